# The question reconciler runs on a timer: it moves questions along as their jobs are admitted and start, and fails
# those whose jobs died unseen (docs/job-launchers.md). A missed run is simply done by the next one.
resource "google_cloud_scheduler_job" "reconciler" {
  name             = "${var.environment}-twined-question-reconciler"
  description      = "Twined ${var.environment}: reconciles questions with their jobs"
  schedule         = var.reconcile_schedule
  time_zone        = "Etc/UTC"
  attempt_deadline = "120s"
  region           = var.region

  retry_config {
    retry_count = 0
  }

  http_target {
    uri         = "${local.function_url}question-reconciler"
    http_method = "POST"

    oidc_token {
      service_account_email = data.google_service_account.twined["scheduler"].email
      audience              = "${local.function_url}question-reconciler"
    }
  }
}
