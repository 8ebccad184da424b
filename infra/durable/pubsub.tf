# The network's topics. The services topic is Octue's: every question (sender_type PARENT) and every response event
# (CHILD) of every service. The rest are internal to the control plane. The subscriptions on them are here too
# (subscriptions.tf): they hold the messages that compute has not yet taken.
resource "google_pubsub_topic" "network" {
  for_each = local.topics
  name     = each.value

  message_retention_duration = each.key == "dead_letters" ? var.dead_letter_retention : null

  depends_on = [google_project_service.api]
}

# Every dead letter, pushed to the dead-letter keeper function, which records it in Firestore for good (`twined
# dead-letters list`, `replay`). Acknowledged messages are retained too, so the last `dead_letter_retention` can be
# read again (seek) whatever the keeper did. No dead-letter policy: a dead letter the keeper cannot take yet (it is not
# deployed, or may not be called) is retried for as long as it is retained.
resource "google_pubsub_subscription" "dead_letters_kept" {
  name                       = "${local.topics.dead_letters}.kept"
  topic                      = google_pubsub_topic.network["dead_letters"].id
  message_retention_duration = var.dead_letter_retention
  retain_acked_messages      = true
  ack_deadline_seconds       = 60

  push_config {
    push_endpoint = "${local.function_url}dead-letter-keeper"

    oidc_token {
      service_account_email = google_service_account.twined["push"].email
      audience              = "${local.function_url}dead-letter-keeper"
    }
  }

  retry_policy {
    minimum_backoff = "10s"
    maximum_backoff = "600s"
  }

  expiration_policy {
    ttl = ""
  }
}
