# Names shared with the durable stack and cloudbuild.yaml (all derived from the environment, as the functions derive
# theirs from TWINED_ENVIRONMENT); test/infra checks them against the code.
locals {
  cluster_name = "${var.environment}-twined-cluster"

  # Gen2 functions answer at this address too; Cloud Scheduler signs its calls for it (and the durable stack's push
  # subscriptions theirs).
  function_url = "https://${var.region}-${var.project}.cloudfunctions.net/${var.environment}-twined-"

  # The functions the durable stack's push subscriptions feed: one per function of networkSubscriptions() in
  # platform/network-wiring.ts, and the dead-letter keeper (test/infra holds them together).
  pushed_functions = ["question-intake-events", "twine-validator", "kueue-launcher", "answer-forwarder", "dead-letter-keeper"]
}

data "google_service_account" "twined" {
  for_each   = toset(["functions", "jobs", "push", "scheduler", "nodes", "releaser"])
  account_id = "${var.environment}-twined-${each.value}"
}
