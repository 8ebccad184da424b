import { CustomObjectsApi, type KubeConfig, Watch } from "@kubernetes/client-node";
import { PriorityClassesUnavailable } from "../../../errors/index.js";
import type { Logger } from "../../../ports/index.js";
import { apiFailure } from "./kubernetes-status.js";

/** Where Kueue serves WorkloadPriorityClasses: cluster-scoped, in the same API version as the launcher's other objects. */
export const WORKLOAD_PRIORITY_CLASSES = {
  group: "kueue.x-k8s.io",
  version: "v1beta2",
  plural: "workloadpriorityclasses",
} as const;

export interface ClusterPriorityClassesOptions {
  /** The cluster's configuration, asked again for every list and watch (GKE's tokens are short-lived). */
  readonly kubeConfig: () => Promise<KubeConfig>;
  readonly log: Logger;
  /** How long a launch waits for the first list before giving up (retryably); default 15 s. */
  readonly firstListTimeoutMs?: number;
  /** Reconnection back-off after a failure: doubles from `initialMs` up to `maxMs`; defaults 500 ms and 30 s. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** How long the API server keeps one watch open before the launcher reconnects; default 5 minutes. */
  readonly watchTimeoutSeconds?: number;
}

interface PriorityClassObject {
  readonly metadata?: { readonly name?: string; readonly resourceVersion?: string };
  readonly value?: unknown;
  readonly code?: unknown;
}

/** A watch that ends sooner than this without any event is counted as a failure, so a flapping server is not hammered. */
const SHORTEST_HEALTHY_WATCH_MS = 1000;

/**
 * The cluster's WorkloadPriorityClasses, kept current: one list, then a watch from its resourceVersion (with
 * bookmarks), resumed from the last version seen when the connection drops and listed again when the server answers
 * 410 Gone (the version is no longer kept). Failures are retried with a doubling back-off. When the API refuses the
 * list (403: no RBAC to read them; 404: Kueue's CRDs are not installed) that is logged once and the classes are
 * empty, so questions are launched without a class; the list is still retried now and then, in case the permission
 * or Kueue arrives later.
 */
export class ClusterPriorityClasses {
  private readonly known = new Map<string, number>();
  private resourceVersion = "";
  private state: "starting" | "listed" | "refused" = "starting";
  private started = false;
  private closed = false;
  private failures = 0;
  private lastError: unknown;
  private refusalLogged = false;
  private timer: NodeJS.Timeout | undefined;
  private watch: AbortController | undefined;
  private readonly settledWaiters = new Set<() => void>();

  constructor(private readonly options: ClusterPriorityClassesOptions) {}

  /** Starts listing and watching, if not yet started. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    void this.connect();
  }

  /**
   * The classes by name, with their values; empty when the cluster refuses to list them. Waits (bounded) for the first
   * list rather than guessing, then throws `PriorityClassesUnavailable` (retryable) naming the last failure.
   */
  async classes(questionUuid: string): Promise<Readonly<Record<string, number>>> {
    this.start();
    if (this.state === "starting" && !this.closed) {
      let timer: NodeJS.Timeout | undefined;
      let settled = () => {};
      await new Promise<void>((resolve) => {
        settled = resolve;
        this.settledWaiters.add(resolve);
        timer = setTimeout(resolve, this.options.firstListTimeoutMs ?? 15_000);
      });
      clearTimeout(timer);
      this.settledWaiters.delete(settled);
    }
    if (this.state === "starting") {
      const cause = this.lastError;
      throw new PriorityClassesUnavailable(
        questionUuid,
        `the cluster's WorkloadPriorityClasses could not be listed yet, so the question's class is unknown${cause === undefined ? "" : `: ${describe(cause)}`}`,
        { cause },
      );
    }
    return Object.fromEntries(this.known);
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.watch?.abort();
    this.watch = undefined;
    this.settle();
  }

  private settle(): void {
    for (const resolve of this.settledWaiters) resolve();
    this.settledWaiters.clear();
  }

  private async connect(): Promise<void> {
    this.timer = undefined;
    if (this.closed) return;
    try {
      const kubeConfig = await this.options.kubeConfig();
      if (this.resourceVersion === "") {
        const listed = await this.list(kubeConfig);
        if (!listed) return;
      }
      await this.follow(kubeConfig);
    } catch (error) {
      this.failed(error);
    }
  }

  /** Lists the classes and replaces what is known; false when the API refused (then a retry is already scheduled). */
  private async list(kubeConfig: KubeConfig): Promise<boolean> {
    let list: { metadata?: { resourceVersion?: string }; items?: PriorityClassObject[] };
    try {
      list = (await kubeConfig
        .makeApiClient(CustomObjectsApi)
        .listClusterCustomObject({ ...WORKLOAD_PRIORITY_CLASSES })) as typeof list;
    } catch (error) {
      const failure = apiFailure(error);
      if (failure?.code !== 403 && failure?.code !== 404) throw error;
      this.known.clear();
      this.state = "refused";
      if (!this.refusalLogged) {
        this.refusalLogged = true;
        this.options.log.warning(
          `cannot list the cluster's WorkloadPriorityClasses (${failure.code} ${failure.reason ?? ""}: ${failure.message}); ${
            failure.code === 403
              ? "the launcher's identity needs get, list and watch on workloadpriorityclasses.kueue.x-k8s.io"
              : "Kueue's CRDs are not installed"
          }. Questions are launched without a priority class.`,
        );
      }
      this.settle();
      this.schedule(this.options.backoff?.maxMs ?? 30_000);
      return false;
    }
    this.known.clear();
    for (const item of list.items ?? []) this.remember(item);
    this.resourceVersion = list.metadata?.resourceVersion ?? "";
    if (this.state === "refused") this.options.log.info("the cluster's WorkloadPriorityClasses can be listed now");
    this.state = "listed";
    this.refusalLogged = false;
    this.failures = 0;
    this.settle();
    return true;
  }

  private async follow(kubeConfig: KubeConfig): Promise<void> {
    const path = `/apis/${WORKLOAD_PRIORITY_CLASSES.group}/${WORKLOAD_PRIORITY_CLASSES.version}/${WORKLOAD_PRIORITY_CLASSES.plural}`;
    const openedAt = Date.now();
    let delivered = false;
    const controller = await new Watch(kubeConfig).watch(
      path,
      {
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: this.options.watchTimeoutSeconds ?? 300,
      },
      (type: string, object: PriorityClassObject) => {
        if (type !== "ERROR") delivered = true;
        this.apply(type, object);
      },
      (error: unknown) => {
        if (this.closed) return;
        if (statusCodeOf(error) === 410) {
          this.resourceVersion = "";
          this.schedule(0);
        } else if (error !== null && error !== undefined) this.failed(error);
        else if (delivered || Date.now() - openedAt >= SHORTEST_HEALTHY_WATCH_MS) this.schedule(0);
        else this.failed(new Error("the watch of WorkloadPriorityClasses closed at once"));
      },
    );
    if (this.closed) controller.abort();
    else this.watch = controller;
  }

  private apply(type: string, object: PriorityClassObject): void {
    switch (type) {
      case "ADDED":
      case "MODIFIED":
        this.remember(object);
        break;
      case "DELETED":
        if (object.metadata?.name !== undefined) this.known.delete(object.metadata.name);
        break;
      case "BOOKMARK":
        break;
      default:
        // An ERROR event (410 Gone above all): the version is no longer usable, so the next connection lists again.
        this.resourceVersion = "";
        return;
    }
    this.failures = 0;
    if (object.metadata?.resourceVersion !== undefined) this.resourceVersion = object.metadata.resourceVersion;
  }

  private remember(object: PriorityClassObject): void {
    const name = object.metadata?.name;
    if (name !== undefined && typeof object.value === "number") this.known.set(name, object.value);
  }

  private failed(error: unknown): void {
    if (this.closed) return;
    this.lastError = error;
    if (this.failures === 0) {
      this.options.log.warning(
        `reading the cluster's WorkloadPriorityClasses failed (${describe(error)}); retrying with back-off`,
      );
    }
    this.failures++;
    const { initialMs, maxMs } = this.options.backoff ?? { initialMs: 500, maxMs: 30_000 };
    const delay = Math.min(maxMs, initialMs * 2 ** (this.failures - 1));
    // Jitter, so that many launchers restarted together do not reconnect in step.
    this.schedule(delay * (0.8 + Math.random() * 0.4));
  }

  private schedule(delayMs: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), delayMs);
    // A pending reconnection never keeps the process alive on its own.
    this.timer.unref();
  }
}

function statusCodeOf(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { statusCode, code } = error as { statusCode?: unknown; code?: unknown };
  const value = statusCode ?? code;
  return typeof value === "number" ? value : undefined;
}

function describe(error: unknown): string {
  const failure = apiFailure(error);
  if (failure !== undefined) return `${failure.code} ${failure.message}`;
  return error instanceof Error ? error.message : String(error);
}
