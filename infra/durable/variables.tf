variable "project" {
  description = "The Google Cloud project id."
  type        = string
}

variable "region" {
  description = "Where the Artifact Registry repository and the dataset buckets live (and, in the compute stack, the functions and cluster)."
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

variable "uploads_retention_days" {
  description = "Days after which datasets askers uploaded (the uploads bucket) are deleted."
  type        = number
  default     = 30
  nullable    = false

  validation {
    condition     = var.uploads_retention_days >= 1 && floor(var.uploads_retention_days) == var.uploads_retention_days
    error_message = "uploads_retention_days must be a whole number of days, at least 1."
  }
}

variable "diagnostics_retention_days" {
  description = "Days after which failed questions' crash diagnostics (the diagnostics bucket) are deleted."
  type        = number
  default     = 90
  nullable    = false

  validation {
    condition     = var.diagnostics_retention_days >= 1 && floor(var.diagnostics_retention_days) == var.diagnostics_retention_days
    error_message = "diagnostics_retention_days must be a whole number of days, at least 1."
  }
}

variable "outputs_retention_days" {
  description = "Days after which output datasets in the outputs bucket are deleted; null (the default) keeps them. Answers keep naming them, by gs:// path or signed URL, after they are gone."
  type        = number
  default     = null

  validation {
    condition     = var.outputs_retention_days == null ? true : var.outputs_retention_days >= 1 && floor(var.outputs_retention_days) == var.outputs_retention_days
    error_message = "outputs_retention_days must be null (keep outputs) or a whole number of days, at least 1."
  }
}

variable "uploaders" {
  description = "Who may upload datasets before asking (IAM members, e.g. group:analysts@example.com): usually the compute stack's askers whose questions name datasets on their own machines."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for member in var.uploaders : !contains(["allUsers", "allAuthenticatedUsers"], member)])
    error_message = "uploaders must name principals; the buckets refuse public access (public access prevention)."
  }
}
