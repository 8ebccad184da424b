# The network's compute: the GKE Autopilot cluster with Kueue, what schedules and may call the functions, and the
# access they need. It holds no data: `terraform destroy` here stops the spending, `terraform apply` brings it back, and
# the durable stack (../durable) keeps every question, event and revision meanwhile, and the messages published in
# between on its subscriptions. The functions' code is deployed by
# cloudbuild.yaml, after the durable stack and before this one (docs/deploying.md).
terraform {
  required_version = ">= 1.6"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.20, < 8.0"
    }
    helm = {
      source  = "hashicorp/helm"
      version = ">= 2.17, < 3.0"
    }
    # kubectl_manifest, unlike kubernetes_manifest, does not need Kueue's CRDs at plan time, so the cluster, Kueue
    # and the queues are created in one apply.
    kubectl = {
      source  = "alekc/kubectl"
      version = ">= 2.1, < 3.0"
    }
  }

  # terraform init -backend-config=bucket=… -backend-config=prefix=<environment>/compute
  backend "gcs" {}
}

provider "google" {
  project = var.project
  region  = var.region
}

data "google_client_config" "current" {}

locals {
  cluster_endpoint = var.launcher == "kueue" ? "https://${google_container_cluster.jobs[0].endpoint}" : ""
  cluster_ca       = var.launcher == "kueue" ? base64decode(google_container_cluster.jobs[0].master_auth[0].cluster_ca_certificate) : ""
}

provider "helm" {
  kubernetes {
    host                   = local.cluster_endpoint
    cluster_ca_certificate = local.cluster_ca
    token                  = data.google_client_config.current.access_token
  }
}

provider "kubectl" {
  host                   = local.cluster_endpoint
  cluster_ca_certificate = local.cluster_ca
  token                  = data.google_client_config.current.access_token
  load_config_file       = false
}
