# Questions, events and revisions (shared/adapters/google/firestore). The composite indexes and the exemptions of large text
# fields come from ../firestore.indexes.json, the file a test holds to the queries the stores issue.
locals {
  firestore_indexes = jsondecode(file("${path.module}/../firestore.indexes.json"))
}

resource "google_firestore_database" "twined" {
  name                              = local.firestore_database
  location_id                       = var.firestore_location
  type                              = "FIRESTORE_NATIVE"
  concurrency_mode                  = "PESSIMISTIC"
  point_in_time_recovery_enablement = "POINT_IN_TIME_RECOVERY_ENABLED"
  delete_protection_state           = "DELETE_PROTECTION_ENABLED"
  deletion_policy                   = "DELETE"

  depends_on = [google_project_service.api]
}

resource "google_firestore_index" "query" {
  for_each = {
    for index in local.firestore_indexes.indexes :
    join(" ", concat([index.collectionGroup, index.queryScope], [for field in index.fields : "${field.fieldPath}:${field.order}"])) => index
  }
  database    = google_firestore_database.twined.name
  collection  = each.value.collectionGroup
  query_scope = each.value.queryScope

  dynamic "fields" {
    for_each = each.value.fields
    content {
      field_path = fields.value.fieldPath
      order      = fields.value.order
    }
  }
}

# An empty index_config exempts a field from indexing (JSON text too large to index); otherwise the listed indexes.
resource "google_firestore_field" "override" {
  for_each   = { for field in local.firestore_indexes.fieldOverrides : "${field.collectionGroup}.${field.fieldPath}" => field }
  database   = google_firestore_database.twined.name
  collection = each.value.collectionGroup
  field      = each.value.fieldPath

  index_config {
    dynamic "indexes" {
      for_each = each.value.indexes
      content {
        order       = indexes.value.order
        query_scope = indexes.value.queryScope
      }
    }
  }
}
