# The network's durable state: what holds data or identity, and outlives the compute stack (../compute), which can be
# destroyed to save money and applied again without losing a question, an event or a revision.
terraform {
  required_version = ">= 1.6"

  required_providers {
    google = {
      source  = "hashicorp/google"
      version = ">= 6.20, < 8.0"
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.6, < 4.0"
    }
  }

  # State in a GCS bucket made once per project (docs/deploying.md): terraform init -backend-config=bucket=… -backend-config=prefix=<environment>/durable
  backend "gcs" {}
}

provider "google" {
  project = var.project
  region  = var.region
}
