variable "project" {
  description = "The Google Cloud project id."
  type        = string
}

variable "region" {
  description = "Where the Artifact Registry repository lives (and, in the compute stack, the functions and cluster)."
  type        = string
  default     = "europe-west1"
}

variable "environment" {
  description = "One lowercase word that prefixes every name, so that several networks (e.g. main, staging) share a project; the functions' TWINED_ENVIRONMENT."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{0,9}$", var.environment))
    error_message = "The environment must be one lowercase word of at most 10 letters and digits, starting with a letter (service account ids are limited to 30 characters)."
  }
}

variable "firestore_location" {
  description = "The Firestore database's location (a region such as europe-west1, or a multi-region such as eur3); it cannot be changed later."
  type        = string
  default     = "europe-west1"
}

variable "services_topic_name" {
  description = "The services topic's name, if not Octue's <environment>.octue.twined.services (the functions' TWINED_SERVICES_TOPIC_NAME)."
  type        = string
  default     = ""
}

variable "dead_letter_retention" {
  description = "How long messages that could never be processed are kept on the dead letters topic, for inspection."
  type        = string
  default     = "604800s"
}
