# The key that signs events pushed to askers' endpoints (TWINED_PUSH_SECRET), read by the functions from Secret
# Manager. It is generated here, so it is also in this stack's state: keep the state bucket private.
resource "random_password" "push_secret" {
  length  = 48
  special = false
}

resource "google_secret_manager_secret" "push_secret" {
  secret_id = local.push_secret

  replication {
    auto {}
  }

  depends_on = [google_project_service.api]
}

resource "google_secret_manager_secret_version" "push_secret" {
  secret      = google_secret_manager_secret.push_secret.id
  secret_data = random_password.push_secret.result
}
