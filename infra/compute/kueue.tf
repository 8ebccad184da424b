# Kueue, and the queue the questions' Jobs wait in: one ResourceFlavor, a ClusterQueue with the network's quota, the
# LocalQueue Jobs name, and the WorkloadPriorityClasses question priorities map to. The manifests are in kubernetes/
# (test/infra validates them, rendered, against Kueue's v1beta2 and Kubernetes' schemas).
locals {
  kueue               = var.launcher == "kueue"
  kueue_cluster_queue = "${var.environment}-twined"
  manifest_values = {
    namespace                   = var.kueue_namespace
    resource_flavor             = "${var.environment}-twined-default"
    cluster_queue               = local.kueue_cluster_queue
    local_queue                 = var.local_queue
    cpu                         = var.quota.cpu
    memory                      = var.quota.memory
    ephemeral_storage           = var.quota.ephemeral_storage
    job_service_account         = var.job_service_account
    jobs_google_service_account = data.google_service_account.twined["jobs"].email
    launcher_identity           = data.google_service_account.twined["functions"].email
  }
}

resource "helm_release" "kueue" {
  count = local.kueue ? 1 : 0

  name             = "kueue"
  repository       = "oci://registry.k8s.io/kueue/charts"
  chart            = "kueue"
  version          = var.kueue_version
  namespace        = "kueue-system"
  create_namespace = true
  wait             = true

  # Queue positions come from the visibility API, which needs its API priority and fairness configuration.
  set {
    name  = "enableVisibilityAPF"
    value = "true"
  }

  depends_on = [google_container_cluster.jobs]
}

resource "kubectl_manifest" "namespace" {
  count     = local.kueue ? 1 : 0
  yaml_body = templatefile("${path.module}/kubernetes/namespace.yaml.tftpl", local.manifest_values)

  depends_on = [google_container_cluster.jobs]
}

resource "kubectl_manifest" "cluster_scoped" {
  for_each  = local.kueue ? toset(["resource-flavor", "cluster-queue", "launcher-cluster-role", "launcher-cluster-role-binding"]) : toset([])
  yaml_body = templatefile("${path.module}/kubernetes/${each.value}.yaml.tftpl", local.manifest_values)

  depends_on = [helm_release.kueue]
}

resource "kubectl_manifest" "priority_class" {
  for_each  = local.kueue ? var.priority_classes : {}
  yaml_body = templatefile("${path.module}/kubernetes/workload-priority-class.yaml.tftpl", { name = each.key, value = each.value })

  depends_on = [helm_release.kueue]
}

resource "kubectl_manifest" "namespaced" {
  for_each  = local.kueue ? toset(["local-queue", "job-service-account", "launcher-role", "launcher-role-binding"]) : toset([])
  yaml_body = templatefile("${path.module}/kubernetes/${each.value}.yaml.tftpl", local.manifest_values)

  depends_on = [kubectl_manifest.namespace, kubectl_manifest.cluster_scoped]
}
