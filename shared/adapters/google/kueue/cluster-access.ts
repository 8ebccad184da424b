import { existsSync } from "node:fs";
import { KubeConfig } from "@kubernetes/client-node";
import { GoogleAuth } from "google-auth-library";
import { ClusterAccessError } from "../../../errors/index.js";

/** How the Kueue launcher reaches its cluster. */
export type ClusterAccess =
  /** A kubeconfig file (its current context, or `context`). */
  | { readonly kind: "kubeconfig"; readonly file: string; readonly context?: string }
  /** The pod's own service account, when the launcher runs inside the cluster. */
  | { readonly kind: "in-cluster" }
  /**
   * A GKE cluster by id (`projects/P/locations/L/clusters/C`), with Application Default Credentials: what a Cloud
   * Function uses, since it has neither a kubeconfig nor a pod identity.
   */
  | { readonly kind: "gke"; readonly clusterId: string };

const GKE_CLUSTER_ID = /^projects\/([^/]+)\/locations\/([^/]+)\/clusters\/([^/]+)$/;

/**
 * Builds a KubeConfig and checks it names a usable server. The client's own loaders fail quietly (no configuration
 * becomes `http://localhost:8080`; in-cluster outside a pod becomes `https://undefined:undefined`), which would turn
 * a deployment mistake into a confusing connection error on the first question; here it is an error at start-up.
 */
export async function loadClusterAccess(access: ClusterAccess): Promise<KubeConfig> {
  const config = new KubeConfig();
  switch (access.kind) {
    case "kubeconfig": {
      if (!existsSync(access.file)) {
        throw new ClusterAccessError(`kubeconfig ${access.file}`, "no such file; pass the path of a kubeconfig");
      }
      try {
        config.loadFromFile(access.file);
      } catch (error) {
        throw new ClusterAccessError(`kubeconfig ${access.file}`, `cannot be read: ${messageOf(error)}`, {
          cause: error,
        });
      }
      if (access.context !== undefined) {
        if (!config.getContexts().some((context) => context.name === access.context)) {
          throw new ClusterAccessError(
            `kubeconfig ${access.file}`,
            `has no context '${access.context}'; it has: ${config
              .getContexts()
              .map((context) => context.name)
              .join(", ")}`,
          );
        }
        config.setCurrentContext(access.context);
      }
      checkServer(config, `kubeconfig ${access.file}`);
      return config;
    }
    case "in-cluster": {
      if (process.env.KUBERNETES_SERVICE_HOST === undefined || process.env.KUBERNETES_SERVICE_PORT === undefined) {
        throw new ClusterAccessError(
          "in-cluster access",
          "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set, so this is not running in a pod; use a kubeconfig or a GKE cluster id",
        );
      }
      config.loadFromCluster();
      checkServer(config, "in-cluster access");
      return config;
    }
    case "gke":
      return loadGkeCluster(config, access.clusterId);
  }
}

async function loadGkeCluster(config: KubeConfig, clusterId: string): Promise<KubeConfig> {
  const where = `GKE cluster ${clusterId}`;
  if (!GKE_CLUSTER_ID.test(clusterId)) {
    throw new ClusterAccessError(where, "expected 'projects/PROJECT/locations/LOCATION/clusters/NAME'");
  }
  const auth = new GoogleAuth({ scopes: "https://www.googleapis.com/auth/cloud-platform" });
  let token: string | null | undefined;
  let cluster: { endpoint?: string; masterAuth?: { clusterCaCertificate?: string } };
  try {
    const client = await auth.getClient();
    token = (await client.getAccessToken()).token;
    const response = await client.request<typeof cluster>({
      url: `https://container.googleapis.com/v1/${clusterId}`,
    });
    cluster = response.data;
  } catch (error) {
    throw new ClusterAccessError(
      where,
      `cannot be described with Application Default Credentials (needs container.clusters.get): ${messageOf(error)}`,
      { cause: error },
    );
  }
  if (token === null || token === undefined || cluster.endpoint === undefined) {
    throw new ClusterAccessError(where, "the cluster has no endpoint, or no access token could be had");
  }
  // Access tokens last about an hour: a long-lived process rebuilds this configuration rather than keeping it.
  config.loadFromOptions({
    clusters: [
      {
        name: clusterId,
        server: `https://${cluster.endpoint}`,
        caData: cluster.masterAuth?.clusterCaCertificate,
        skipTLSVerify: false,
      },
    ],
    users: [{ name: "application-default-credentials", token }],
    contexts: [{ name: clusterId, cluster: clusterId, user: "application-default-credentials" }],
    currentContext: clusterId,
  });
  return config;
}

function checkServer(config: KubeConfig, where: string): void {
  const cluster = config.getCurrentCluster();
  if (cluster === null) throw new ClusterAccessError(where, "has no current cluster; set its current-context");
  let url: URL;
  try {
    url = new URL(cluster.server);
  } catch {
    throw new ClusterAccessError(where, `the server '${cluster.server}' is not a URL`);
  }
  if (url.hostname === "undefined" || url.port === "undefined") {
    throw new ClusterAccessError(where, `the server '${cluster.server}' is incomplete`);
  }
  if (url.protocol === "http:" && cluster.skipTLSVerify !== true) {
    throw new ClusterAccessError(
      where,
      `the server '${cluster.server}' is plain HTTP, which the Kubernetes client refuses unless the cluster sets insecure-skip-tls-verify: true`,
    );
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
