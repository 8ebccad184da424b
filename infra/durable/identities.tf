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
  # By key rather than over the resource, so that the offline checks (test/infra) can read who each grant names.
  members = { for key, account_id in local.service_accounts : key => "serviceAccount:${google_service_account.twined[key].email}" }
}

# The functions and the jobs read and write questions, events and revisions.
resource "google_project_iam_member" "datastore_user" {
  for_each = toset(["functions", "jobs"])
  project  = var.project
  role     = "roles/datastore.user"
  member   = local.members[each.value]
}

# The functions and the jobs send their spans to Cloud Trace (TWINED_TRACE_EXPORTER=cloud-trace).
resource "google_project_iam_member" "trace_agent" {
  for_each = toset(["functions", "jobs"])
  project  = var.project
  role     = "roles/cloudtrace.agent"
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

# Datasets (storage.tf). The jobs' runner (runtime/jobs/job-datasets.ts, shared/datasets) reads input datasets,
# askers' uploads and children's outputs among them, signs URLs for them, and writes output datasets and crash
# diagnostics: it lists and reads objects, uploads files, rewrites an unchanged file's metadata and a dataset's .octue,
# and reads back what it wrote. Object User is exactly objects' create, read, list, update and delete; Object Admin
# would add managing managed folders' access, which no code does. No job writes the uploads: Object Viewer there.
resource "google_storage_bucket_iam_member" "jobs_datasets" {
  for_each = {
    outputs     = "roles/storage.objectUser"
    uploads     = "roles/storage.objectViewer"
    diagnostics = "roles/storage.objectUser"
  }
  bucket = google_storage_bucket.datasets[each.key].name
  role   = each.value
  member = local.members["jobs"]
}

# The functions read stored answers' outputs and sign URLs for crash diagnostics (signing reads the object first).
resource "google_storage_bucket_iam_member" "functions_read_datasets" {
  for_each = toset(["outputs", "diagnostics"])
  bucket   = google_storage_bucket.datasets[each.value].name
  role     = "roles/storage.objectViewer"
  member   = local.members["functions"]
}

# Signed URLs (use_signed_urls_for_output_datasets, diagnostics): an identity without a key, as on GKE, Cloud Run and
# Cloud Functions, signs V4 URLs through IAM's signBlob as itself, which takes iam.serviceAccounts.signBlob on its own
# account (shared/adapters/google/cloud-storage signUrl). Token Creator is the least predefined role that has it.
resource "google_service_account_iam_member" "signs_as_itself" {
  for_each           = toset(["jobs", "functions"])
  service_account_id = google_service_account.twined[each.value].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.members[each.value]
}

# Askers upload their local datasets before asking, as themselves (shared/datasets uploadLocalDatasets): each file is
# looked up first (its bytes are skipped when unchanged), created, and read back; a dataset asked about again has its
# .octue and files' metadata rewritten. Object Creator alone stops at the first look-up, so Object User.
resource "google_storage_bucket_iam_member" "uploaders" {
  for_each = toset(var.uploaders)
  bucket   = google_storage_bucket.datasets["uploads"].name
  role     = "roles/storage.objectUser"
  member   = each.value
}

data "google_project" "current" {}

# A job's credentials missing from its environment come from Secret Manager in the project: the secret named as the
# credential, latest version (runtime/jobs/job-datasets.ts jobSecrets, as Octue's services do). The names are the
# services' own (their twines' credentials), unknown here, so they cannot be granted secret by secret, and no name
# prefix can be required of them. The grant is therefore project-wide, but conditioned to leave out the network's own
# secrets, named <environment>-twined-…: the push secret signs the events pushed to askers, and a job runs a service's
# code. Conditions see a secret as projects/<project number>/secrets/<id> (…/versions/<version> for a version); the
# project id form is left out as well, in case. Other networks sharing the project are not left out (a condition can
# only test how a name starts or ends): give a network its own project to keep its secrets from another's jobs.
resource "google_project_iam_member" "jobs_read_credentials" {
  project = var.project
  role    = "roles/secretmanager.secretAccessor"
  member  = local.members["jobs"]

  condition {
    title       = "${local.prefix}-job-credentials"
    description = "Any secret in the project but the network's own (${local.prefix}-...)."
    expression  = "!resource.name.startsWith(\"projects/${data.google_project.current.number}/secrets/${local.prefix}-\") && !resource.name.startsWith(\"projects/${var.project}/secrets/${local.prefix}-\")"
  }
}
