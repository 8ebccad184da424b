output "topics" {
  description = "The network's topics by role."
  value       = { for key, topic in google_pubsub_topic.network : key => topic.name }
}

output "firestore_database" {
  description = "The functions' TWINED_FIRESTORE_DATABASE."
  value       = google_firestore_database.twined.name
}

output "repository_url" {
  description = "Where service images are pushed: <this>/<namespace>/<name>:<tag>."
  value       = "${var.region}-docker.pkg.dev/${var.project}/${google_artifact_registry_repository.services.repository_id}"
}

output "service_accounts" {
  description = "The network's identities by role."
  value       = { for key, account in google_service_account.twined : key => account.email }
}

output "push_secret" {
  description = "The Secret Manager secret the functions read TWINED_PUSH_SECRET from."
  value       = google_secret_manager_secret.push_secret.secret_id
}

output "storage_locations" {
  description = "The dataset buckets as the functions' TWINED_OUTPUTS_LOCATION, TWINED_UPLOADS_LOCATION and TWINED_DIAGNOSTICS_LOCATION (gs://…), by kind."
  value       = { for key, bucket in google_storage_bucket.datasets : key => "gs://${bucket.name}" }
}
