variable "project" {
  description = "The Google Cloud project id (the same as the durable stack's)."
  type        = string
}

variable "region" {
  description = "Where the functions, the cluster, the scheduler job and Cloud Run jobs run (the same as cloudbuild.yaml's _REGION)."
  type        = string
  default     = "europe-west1"
}

variable "environment" {
  description = "The network's name prefix (the same as the durable stack's, and cloudbuild.yaml's _ENVIRONMENT)."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[a-z][a-z0-9]{0,9}$", var.environment))
    error_message = "The environment must be one lowercase word of at most 10 letters and digits, starting with a letter."
  }
}

variable "launcher" {
  description = "How questions run: kueue (Kubernetes Jobs on a GKE Autopilot cluster, queued by Kueue) or cloud-run (Cloud Run jobs, no cluster). The functions' TWINED_LAUNCHER (cloudbuild.yaml's _LAUNCHER)."
  type        = string
  default     = "kueue"

  validation {
    condition     = contains(["kueue", "cloud-run"], var.launcher)
    error_message = "The launcher must be kueue or cloud-run."
  }
}

variable "kueue_version" {
  description = "The Kueue release installed (its API is kueue.x-k8s.io/v1beta2 from 0.16)."
  type        = string
  default     = "0.19.2"
}

variable "kueue_namespace" {
  description = "The Kubernetes namespace of the questions' Jobs (cloudbuild.yaml's _KUEUE_NAMESPACE)."
  type        = string
  default     = "twined"
}

variable "local_queue" {
  description = "The LocalQueue Jobs are submitted to (cloudbuild.yaml's _KUEUE_LOCAL_QUEUE)."
  type        = string
  default     = "local-queue"
}

variable "job_service_account" {
  description = "The Kubernetes service account the Jobs run as, bound to the jobs' Google identity (cloudbuild.yaml's _JOB_SERVICE_ACCOUNT)."
  type        = string
  default     = "twined-jobs"
}

variable "quota" {
  description = "What all running questions may use at once (the ClusterQueue's nominal quota); more wait in the queue."
  type = object({
    cpu               = string
    memory            = string
    ephemeral_storage = string
  })
  default = {
    cpu               = "10"
    memory            = "40Gi"
    ephemeral_storage = "100Gi"
  }
}

variable "priority_classes" {
  description = "WorkloadPriorityClasses by name and value; a question gets the class with the highest value not above its priority (cloudbuild.yaml's _KUEUE_PRIORITY_CLASSES names the same)."
  type        = map(number)
  default = {
    "twined-normal" = 0
    "twined-high"   = 100
    "twined-urgent" = 1000
  }
}

variable "reconcile_schedule" {
  description = "How often the question reconciler runs (cron, in the scheduler's time zone UTC)."
  type        = string
  default     = "* * * * *"
}

variable "askers" {
  description = "Who may ask questions and read the registry (IAM members, e.g. group:analysts@example.com or serviceAccount:…); they call the functions with an identity token."
  type        = list(string)
  default     = []
}
