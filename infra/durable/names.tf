# The names the functions derive from TWINED_ENVIRONMENT (shared/control-plane/topic-names.ts) and that the compute
# stack and cloudbuild.yaml use; test/infra checks them against the code.
locals {
  prefix = "${var.environment}-twined"

  topics = {
    services      = var.services_topic_name != "" ? var.services_topic_name : "${var.environment}.octue.twined.services"
    accepted      = "${var.environment}.twined.questions.accepted"
    validated     = "${var.environment}.twined.questions.validated"
    cancellations = "${var.environment}.twined.questions.cancellations"
    dead_letters  = "${var.environment}.twined.dead-letters"
  }

  firestore_database = "${var.environment}-twined"
  repository         = "${var.environment}-twined-services"
  push_secret        = "${var.environment}-twined-push-secret"

  # The functions' TWINED_OUTPUTS_LOCATION, TWINED_UPLOADS_LOCATION and TWINED_DIAGNOSTICS_LOCATION (gs://<bucket>,
  # as cloudbuild.yaml names them). Bucket names are global, so they carry the project id too.
  buckets = {
    outputs     = "${var.project}-${var.environment}-twined-outputs"
    uploads     = "${var.project}-${var.environment}-twined-uploads"
    diagnostics = "${var.project}-${var.environment}-twined-diagnostics"
  }

  service_accounts = {
    functions = "${var.environment}-twined-functions"
    jobs      = "${var.environment}-twined-jobs"
    push      = "${var.environment}-twined-push"
    scheduler = "${var.environment}-twined-scheduler"
    nodes     = "${var.environment}-twined-nodes"
    deployer  = "${var.environment}-twined-deployer"
    releaser  = "${var.environment}-twined-releaser"
  }
}
