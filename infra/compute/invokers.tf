# Who may call each function (a gen2 function is a Cloud Run service of the same name): Pub/Sub's push identity the
# subscription-fed ones, Cloud Scheduler's the reconciler, askers the questions API (dead letters included) and the
# registry, and the services' release builds the registry. The grants are on the functions, so they are made here,
# after cloudbuild.yaml has deployed them: while compute is destroyed, the durable stack's pushes are refused and
# retried, and their messages wait (docs/deploying.md, "Saving money").
resource "google_cloud_run_v2_service_iam_member" "push" {
  for_each = toset(local.pushed_functions)
  name     = "${var.environment}-twined-${each.value}"
  location = var.region
  role     = "roles/run.invoker"
  member   = "serviceAccount:${data.google_service_account.twined["push"].email}"
}

resource "google_cloud_run_v2_service_iam_member" "scheduler" {
  name     = "${var.environment}-twined-question-reconciler"
  location = var.region
  role     = "roles/run.invoker"
  member   = "serviceAccount:${data.google_service_account.twined["scheduler"].email}"
}

resource "google_cloud_run_v2_service_iam_member" "askers" {
  for_each = { for pair in setproduct(["question-intake", "revision-registry"], var.askers) : "${pair[0]} ${pair[1]}" => pair }
  name     = "${var.environment}-twined-${each.value[0]}"
  location = var.region
  role     = "roles/run.invoker"
  member   = each.value[1]
}

resource "google_cloud_run_v2_service_iam_member" "releaser" {
  name     = "${var.environment}-twined-revision-registry"
  location = var.region
  role     = "roles/run.invoker"
  member   = "serviceAccount:${data.google_service_account.twined["releaser"].email}"
}

# Jobs ask their children through the questions API (TWINED_QUESTIONS_URL), as the jobs' identity.
resource "google_cloud_run_v2_service_iam_member" "jobs" {
  name     = "${var.environment}-twined-question-intake"
  location = var.region
  role     = "roles/run.invoker"
  member   = "serviceAccount:${data.google_service_account.twined["jobs"].email}"
}
