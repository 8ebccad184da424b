# Who does what, each with only what it needs on the durable resources. Access to compute (the cluster, the functions'
# invokers, workload identity) is granted by the compute stack.
resource "google_service_account" "twined" {
  for_each     = local.service_accounts
  account_id   = each.value
  display_name = "Twined ${var.environment}: ${each.key}"
  description = {
    functions = "Runs the network's Cloud Functions."
    jobs      = "Runs questions' jobs (Kubernetes pods through workload identity, or Cloud Run jobs)."
    push      = "Signs Pub/Sub's pushes to the functions (OIDC)."
    scheduler = "Signs Cloud Scheduler's calls to the question reconciler (OIDC)."
    nodes     = "The GKE nodes' identity: logs, metrics, pulling service images."
    deployer  = "Cloud Build: tests and deploys the network's functions (cloudbuild.yaml)."
    releaser  = "Cloud Build: builds, pushes and registers service revisions (a service's cloudbuild.yaml)."
  }[each.key]

  depends_on = [google_project_service.api]
}

locals {
  members = { for key, account in google_service_account.twined : key => "serviceAccount:${account.email}" }
}

# The functions and the jobs read and write questions, events and revisions.
resource "google_project_iam_member" "datastore_user" {
  for_each = toset(["functions", "jobs"])
  project  = var.project
  role     = "roles/datastore.user"
  member   = local.members[each.value]
}

# The functions publish on every topic (internal hand-offs, dead letters, events they answer for jobs).
resource "google_pubsub_topic_iam_member" "functions_publish" {
  for_each = local.topics
  topic    = google_pubsub_topic.network[each.key].name
  role     = "roles/pubsub.publisher"
  member   = local.members["functions"]
}

# Jobs send their events, and their own children's questions, on the services topic only.
resource "google_pubsub_topic_iam_member" "jobs_publish" {
  topic  = google_pubsub_topic.network["services"].name
  role   = "roles/pubsub.publisher"
  member = local.members["jobs"]
}

resource "google_secret_manager_secret_iam_member" "functions_read_push_secret" {
  secret_id = google_secret_manager_secret.push_secret.id
  role      = "roles/secretmanager.secretAccessor"
  member    = local.members["functions"]
}

resource "google_artifact_registry_repository_iam_member" "pull" {
  for_each   = toset(["nodes", "jobs"])
  repository = google_artifact_registry_repository.services.name
  location   = google_artifact_registry_repository.services.location
  role       = "roles/artifactregistry.reader"
  member     = local.members[each.value]
}

resource "google_artifact_registry_repository_iam_member" "releaser_push" {
  repository = google_artifact_registry_repository.services.name
  location   = google_artifact_registry_repository.services.location
  role       = "roles/artifactregistry.writer"
  member     = local.members["releaser"]
}

resource "google_project_iam_member" "nodes" {
  project = var.project
  role    = "roles/container.defaultNodeServiceAccount"
  member  = local.members["nodes"]
}

# Cloud Build with a user-specified service account logs to Cloud Logging only (options.logging in the build files).
resource "google_project_iam_member" "builds_write_logs" {
  for_each = toset(["deployer", "releaser"])
  project  = var.project
  role     = "roles/logging.logWriter"
  member   = local.members[each.value]
}

# Deploying gen2 functions: Cloud Functions Developer and Cloud Run Admin on the project, and acting as the functions'
# runtime identity (and nothing else).
resource "google_project_iam_member" "deployer" {
  for_each = toset(["roles/cloudfunctions.developer", "roles/run.admin"])
  project  = var.project
  role     = each.value
  member   = local.members["deployer"]
}

resource "google_service_account_iam_member" "deployer_acts_as_functions" {
  service_account_id = google_service_account.twined["functions"].name
  role               = "roles/iam.serviceAccountUser"
  member             = local.members["deployer"]
}
