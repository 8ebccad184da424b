# What the functions need to run questions, by launcher. Kueue: find the cluster (Cluster Viewer), then Kubernetes RBAC
# in the Jobs' namespace only (kubernetes/launcher-role.yaml.tftpl). The Jobs' pods act as the jobs' Google identity
# through workload identity. Cloud Run: create, run and cancel jobs that run as the jobs' identity.
resource "google_project_iam_member" "launcher_finds_cluster" {
  count   = var.launcher == "kueue" ? 1 : 0
  project = var.project
  role    = "roles/container.clusterViewer"
  member  = "serviceAccount:${data.google_service_account.twined["functions"].email}"
}

resource "google_service_account_iam_member" "pods_act_as_jobs" {
  count              = var.launcher == "kueue" ? 1 : 0
  service_account_id = data.google_service_account.twined["jobs"].name
  role               = "roles/iam.workloadIdentityUser"
  member             = "serviceAccount:${var.project}.svc.id.goog[${var.kueue_namespace}/${var.job_service_account}]"

  depends_on = [google_container_cluster.jobs]
}

resource "google_project_iam_member" "launcher_runs_cloud_run_jobs" {
  count   = var.launcher == "cloud-run" ? 1 : 0
  project = var.project
  role    = "roles/run.developer"
  member  = "serviceAccount:${data.google_service_account.twined["functions"].email}"
}

resource "google_service_account_iam_member" "launcher_acts_as_jobs" {
  count              = var.launcher == "cloud-run" ? 1 : 0
  service_account_id = data.google_service_account.twined["jobs"].name
  role               = "roles/iam.serviceAccountUser"
  member             = "serviceAccount:${data.google_service_account.twined["functions"].email}"
}
