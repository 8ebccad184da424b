# The network's topics. The services topic is Octue's: every question (sender_type PARENT) and every response event
# (CHILD) of every service. The rest are internal to the control plane. Subscriptions that feed the functions are
# compute (../compute); the one that keeps dead letters is durable, since it holds data.
resource "google_pubsub_topic" "network" {
  for_each = local.topics
  name     = each.value

  message_retention_duration = each.key == "dead_letters" ? var.dead_letter_retention : null

  depends_on = [google_project_service.api]
}

resource "google_pubsub_subscription" "dead_letters_kept" {
  name                       = "${local.topics.dead_letters}.kept"
  topic                      = google_pubsub_topic.network["dead_letters"].id
  message_retention_duration = var.dead_letter_retention
  retain_acked_messages      = true
  ack_deadline_seconds       = 60

  expiration_policy {
    ttl = ""
  }
}
