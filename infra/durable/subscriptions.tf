# The push subscriptions that feed the Pub/Sub-triggered functions: one per row of networkSubscriptions() in
# platform/network-wiring.ts (same names, topics, filters and ordering; test/infra holds them together), and the dead
# letter keeper's (pubsub.tf). They hold messages, so they are durable: the functions (cloudbuild.yaml) and compute
# come and go under them. Each pushes to its function's fixed address, whether or not the function exists or may be
# called yet: a push that fails is retried with backoff, and after 10 attempts the message goes to the dead letters
# topic, where the keeper records it for `twined dead-letters replay` (docs/dead-letters.md). Pushes are wrapped, so
# that a function fed by two subscriptions (the launcher) knows which one delivered, and signed with an OIDC token of
# the push identity for the function's address; compute grants that identity the right to invoke the function.
locals {
  # Gen2 functions answer at this address too; the compute stack's scheduler names the same.
  function_url = "https://${var.region}-${var.project}.cloudfunctions.net/${local.prefix}-"

  subscriptions = [
    { name = "${local.topics.services}.question-intake", topic = "services", function = "question-intake-events", filter = "attributes.sender_type = \"PARENT\"", ordered = false },
    { name = "${local.topics.accepted}.twine-validator", topic = "accepted", function = "twine-validator", filter = "", ordered = false },
    { name = "${local.topics.validated}.kueue-launcher", topic = "validated", function = "kueue-launcher", filter = "", ordered = false },
    { name = "${local.topics.cancellations}.kueue-launcher", topic = "cancellations", function = "kueue-launcher", filter = "", ordered = false },
    { name = "${local.topics.services}.answer-forwarder", topic = "services", function = "answer-forwarder", filter = "attributes.sender_type = \"CHILD\"", ordered = false },
  ]

  pubsub_service_agent = "serviceAccount:service-${data.google_project.current.number}@gcp-sa-pubsub.iam.gserviceaccount.com"
}

resource "google_pubsub_subscription" "function" {
  for_each = { for row in local.subscriptions : row.name => row }

  name                       = each.value.name
  topic                      = google_pubsub_topic.network[each.value.topic].id
  filter                     = each.value.filter
  enable_message_ordering    = each.value.ordered
  ack_deadline_seconds       = 60
  message_retention_duration = "604800s"

  push_config {
    push_endpoint = "${local.function_url}${each.value.function}"

    oidc_token {
      service_account_email = google_service_account.twined["push"].email
      audience              = "${local.function_url}${each.value.function}"
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  dead_letter_policy {
    dead_letter_topic     = google_pubsub_topic.network["dead_letters"].id
    max_delivery_attempts = 10
  }

  expiration_policy {
    ttl = ""
  }
}

# Dead-lettering is done by Pub/Sub's own service agent: it must publish to the dead letters topic and acknowledge on
# the subscriptions it takes messages from.
resource "google_pubsub_topic_iam_member" "service_agent_dead_letters" {
  topic  = google_pubsub_topic.network["dead_letters"].name
  role   = "roles/pubsub.publisher"
  member = local.pubsub_service_agent

  depends_on = [google_project_service.api]
}

resource "google_pubsub_subscription_iam_member" "service_agent_acknowledges" {
  for_each     = { for row in local.subscriptions : row.name => row }
  subscription = google_pubsub_subscription.function[each.key].name
  role         = "roles/pubsub.subscriber"
  member       = local.pubsub_service_agent
}

# Pub/Sub mints the push identity's OIDC tokens.
resource "google_service_account_iam_member" "service_agent_signs_pushes" {
  service_account_id = google_service_account.twined["push"].name
  role               = "roles/iam.serviceAccountTokenCreator"
  member             = local.pubsub_service_agent

  depends_on = [google_project_service.api]
}
