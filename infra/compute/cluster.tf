# A GKE Autopilot cluster for the questions' Jobs (launcher kueue): nodes appear as Jobs are admitted and go when idle,
# so an idle network costs the cluster fee only. Not deletion-protected: it holds no data.
resource "google_container_cluster" "jobs" {
  count = var.launcher == "kueue" ? 1 : 0

  name                = local.cluster_name
  location            = var.region
  enable_autopilot    = true
  deletion_protection = false

  release_channel {
    channel = "REGULAR"
  }

  cluster_autoscaling {
    auto_provisioning_defaults {
      service_account = data.google_service_account.twined["nodes"].email
      oauth_scopes    = ["https://www.googleapis.com/auth/cloud-platform"]
    }
  }
}
