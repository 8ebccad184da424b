# Service images (<region>-docker.pkg.dev/<project>/<environment>-twined-services/<namespace>/<name>:<tag>), pushed
# by each service's Cloud Build (docs/deploying-services.md) and pulled by the jobs.
resource "google_artifact_registry_repository" "services" {
  repository_id = local.repository
  location      = var.region
  format        = "DOCKER"
  description   = "Twined ${var.environment}: service revision images"

  depends_on = [google_project_service.api]
}
