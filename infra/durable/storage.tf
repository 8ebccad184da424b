# Datasets, one bucket each: the outputs of services that name no output_location (and answers' large values), the
# datasets askers upload from their machines before asking, and failed questions' crash diagnostics. Who may do what
# with them is in identities.tf; docs/deploying.md#datasets has the whole story.
locals {
  # Days after which a bucket's objects are deleted; null keeps them.
  retention_days = {
    outputs     = var.outputs_retention_days
    uploads     = var.uploads_retention_days
    diagnostics = var.diagnostics_retention_days
  }
}

resource "google_storage_bucket" "datasets" {
  for_each = local.buckets

  name                        = each.value
  location                    = var.region
  storage_class               = "STANDARD"
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"
  force_destroy               = false

  labels = {
    "twined-environment" = var.environment
    "twined-datasets"    = each.key
  }

  versioning {
    enabled = false
  }

  dynamic "lifecycle_rule" {
    for_each = local.retention_days[each.key] == null ? [] : [local.retention_days[each.key]]
    content {
      condition {
        age = lifecycle_rule.value
      }
      action {
        type = "Delete"
      }
    }
  }

  depends_on = [google_project_service.api]
}
