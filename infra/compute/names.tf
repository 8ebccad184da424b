# Names shared with the durable stack and cloudbuild.yaml (all derived from the environment, as the functions derive
# theirs from TWINED_ENVIRONMENT); test/infra checks them against the code.
locals {
  topics = {
    services      = var.services_topic_name != "" ? var.services_topic_name : "${var.environment}.octue.twined.services"
    accepted      = "${var.environment}.twined.questions.accepted"
    validated     = "${var.environment}.twined.questions.validated"
    cancellations = "${var.environment}.twined.questions.cancellations"
    dead_letters  = "${var.environment}.twined.dead-letters"
  }

  cluster_name = "${var.environment}-twined-cluster"

  # Gen2 functions answer at this address too; Pub/Sub and Cloud Scheduler sign their calls for it.
  function_url = "https://${var.region}-${var.project}.cloudfunctions.net/${var.environment}-twined-"
}

data "google_project" "current" {}

data "google_service_account" "twined" {
  for_each   = toset(["functions", "jobs", "push", "scheduler", "nodes", "releaser"])
  account_id = "${var.environment}-twined-${each.value}"
}

data "google_pubsub_topic" "network" {
  for_each = local.topics
  name     = each.value
}
