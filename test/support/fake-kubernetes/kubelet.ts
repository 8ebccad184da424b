/**
 * A kubelet for one imaginary node: it "pulls" each new pod's image (failing with ErrImagePull, then ImagePullBackOff,
 * when `imageExists` says no), runs the first container through the `runContainer` callback, and writes the pod's
 * status as a real kubelet would: Pending, Running (ready), then Succeeded or Failed with a terminated state.
 * Init and sidecar containers are not run; a pod with several containers runs only its first.
 */

import { definedProperties } from "../../../shared/objects/index.js";
import { arrayAt, at, isRecord, type JsonObject, nowIso, recordAt, stringAt, stringMapAt } from "./json.js";
import type { ObjectStore, StoreEvent } from "./object-store.js";
import { PODS } from "./resources.js";
import type { ControllerContext, FakeContainerRun, FakeRunningContainer } from "./types.js";

export const NODE_NAME = "fake-node";
/** How long a pod shows ErrImagePull before the kubelet backs off (ImagePullBackOff). */
const IMAGE_PULL_BACKOFF_MS = 50;

interface RuntimeEntry {
  readonly namespace: string;
  readonly name: string;
  container?: FakeRunningContainer;
  startedAt?: string;
  /** Set once the container has ended (or was killed): later results are ignored. */
  done: boolean;
  timer?: NodeJS.Timeout;
}

export interface ContainerResult {
  readonly exitCode: number;
  readonly reason?: string;
  readonly message?: string;
}

const defaultRun = (): FakeRunningContainer => ({ ended: Promise.resolve({ exitCode: 0 }), stop: () => {} });

function qosClass(container: unknown): string {
  const requests = recordAt(container, "resources", "requests") ?? {};
  const limits = recordAt(container, "resources", "limits") ?? {};
  if (Object.keys(requests).length === 0 && Object.keys(limits).length === 0) return "BestEffort";
  const guaranteed = ["cpu", "memory"].every(
    (name) =>
      limits[name] !== undefined && (requests[name] === undefined || String(requests[name]) === String(limits[name])),
  );
  return guaranteed ? "Guaranteed" : "Burstable";
}

export class Kubelet {
  private readonly runtime = new Map<string, RuntimeEntry>();
  private readonly run: (run: FakeContainerRun) => FakeRunningContainer;
  private readonly imageExists: (image: string) => boolean;

  constructor(
    private readonly store: ObjectStore,
    private readonly context: ControllerContext,
    options: {
      runContainer?: (run: FakeContainerRun) => FakeRunningContainer;
      imageExists?: (image: string) => boolean;
    },
  ) {
    this.run = options.runContainer ?? defaultRun;
    this.imageExists = options.imageExists ?? (() => true);
  }

  /** Starts every pod it has not seen yet. */
  reconcile(): void {
    for (const pod of this.store.list(PODS)) {
      const uid = stringAt(pod, "metadata", "uid") ?? "";
      if (this.runtime.has(uid)) continue;
      const phase = stringAt(pod, "status", "phase");
      if (phase === "Succeeded" || phase === "Failed") continue;
      this.start(uid, pod);
    }
  }

  /** A deleted pod's container gets its SIGTERM, whoever deleted the pod. */
  onEvent(event: StoreEvent): void {
    if (event.resource !== PODS || event.type !== "DELETED") return;
    const uid = stringAt(event.object, "metadata", "uid") ?? "";
    const entry = this.runtime.get(uid);
    if (entry === undefined) return;
    this.runtime.delete(uid);
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    entry.done = true;
    this.stopContainer(entry);
  }

  /**
   * Ends a pod's running container now with `result` (OOM kill, deadline), whatever the container does next; `hard`
   * kills it without warning, as the OOM killer does, rather than stopping it.
   */
  kill(podUid: string, result: ContainerResult, options: { readonly hard?: boolean } = {}): boolean {
    const entry = this.runtime.get(podUid);
    if (entry === undefined || entry.done || entry.container === undefined) return false;
    this.finish(podUid, entry, result);
    if (options.hard === true && entry.container.kill !== undefined) {
      try {
        entry.container.kill();
      } catch (error) {
        this.context.reportError(error);
      }
    } else {
      this.stopContainer(entry);
    }
    return true;
  }

  /** Whether the pod's container is running (started and not ended). */
  isRunning(podUid: string): boolean {
    const entry = this.runtime.get(podUid);
    return entry !== undefined && !entry.done && entry.container !== undefined;
  }

  close(): void {
    for (const entry of this.runtime.values()) {
      if (entry.timer !== undefined) clearTimeout(entry.timer);
      if (!entry.done) {
        entry.done = true;
        this.stopContainer(entry);
      }
    }
    this.runtime.clear();
  }

  private stopContainer(entry: RuntimeEntry): void {
    try {
      entry.container?.stop();
    } catch (error) {
      this.context.reportError(error);
    }
  }

  private updateStatus(
    entry: RuntimeEntry,
    change: (status: JsonObject, pod: JsonObject) => void,
  ): JsonObject | undefined {
    return this.store.modify(PODS, entry.namespace, entry.name, (pod) => {
      const status = isRecord(pod.status) ? pod.status : {};
      pod.status = status;
      change(status, pod);
    });
  }

  private start(uid: string, pod: JsonObject): void {
    const namespace = stringAt(pod, "metadata", "namespace") ?? "";
    const name = stringAt(pod, "metadata", "name") ?? "";
    const entry: RuntimeEntry = { namespace, name, done: false };
    this.runtime.set(uid, entry);
    const container = arrayAt(pod, "spec", "containers")[0];
    const containerName = stringAt(container, "name") ?? "main";
    const image = stringAt(container, "image") ?? "";
    const now = nowIso();
    const baseStatus = { name: containerName, image, imageID: "", restartCount: 0 };
    this.updateStatus(entry, (status, draft) => {
      (draft.spec as JsonObject).nodeName = NODE_NAME;
      status.phase = "Pending";
      status.conditions = [
        { type: "PodScheduled", status: "True", lastProbeTime: null, lastTransitionTime: now },
        { type: "Initialized", status: "True", lastProbeTime: null, lastTransitionTime: now },
      ];
      status.hostIP = "10.0.0.1";
      status.startTime = now;
      status.qosClass = qosClass(container);
      status.containerStatuses = [
        { ...baseStatus, ready: false, started: false, state: { waiting: { reason: "ContainerCreating" } } },
      ];
    });

    if (!this.imageExists(image)) {
      const waiting = (reason: string, message: string) =>
        this.updateStatus(entry, (status) => {
          status.containerStatuses = [
            { ...baseStatus, ready: false, started: false, state: { waiting: { reason, message } } },
          ];
        });
      waiting(
        "ErrImagePull",
        `failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`,
      );
      entry.timer = setTimeout(() => {
        if (!entry.done) waiting("ImagePullBackOff", `Back-off pulling image "${image}"`);
      }, IMAGE_PULL_BACKOFF_MS);
      return;
    }

    entry.startedAt = nowIso();
    const running = this.updateStatus(entry, (status) => {
      status.phase = "Running";
      status.podIP = `10.1.${Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250) + 1}`;
      status.conditions = [
        ...arrayAt(status, "conditions"),
        { type: "ContainersReady", status: "True", lastProbeTime: null, lastTransitionTime: entry.startedAt },
        { type: "Ready", status: "True", lastProbeTime: null, lastTransitionTime: entry.startedAt },
      ];
      status.containerStatuses = [
        {
          ...baseStatus,
          imageID: `${image}@sha256:fake`,
          containerID: `containerd://${uid}`,
          ready: true,
          started: true,
          state: { running: { startedAt: entry.startedAt } },
        },
      ];
    });
    if (running === undefined) return;
    let process: FakeRunningContainer;
    try {
      process = this.run(describeRun(running, container));
    } catch (error) {
      this.finish(uid, entry, { exitCode: 128, reason: "StartError", message: String(error) });
      return;
    }
    entry.container = process;
    process.ended.then(
      (result) => this.finish(uid, entry, result),
      (error: unknown) => this.finish(uid, entry, { exitCode: 128, reason: "Error", message: String(error) }),
    );
  }

  private finish(uid: string, entry: RuntimeEntry, result: ContainerResult): void {
    if (entry.done) return;
    entry.done = true;
    if (this.runtime.get(uid) !== entry) return;
    const reason = result.reason ?? (result.exitCode === 0 ? "Completed" : "Error");
    const finishedAt = nowIso();
    this.updateStatus(entry, (status) => {
      const succeeded = result.exitCode === 0;
      status.phase = succeeded ? "Succeeded" : "Failed";
      const previous = arrayAt(status, "containerStatuses")[0];
      const terminated: JsonObject = {
        exitCode: result.exitCode,
        reason,
        ...definedProperties({ message: result.message }),
        startedAt: entry.startedAt ?? finishedAt,
        finishedAt,
        containerID: `containerd://${uid}`,
      };
      status.containerStatuses = [
        { ...(isRecord(previous) ? previous : {}), ready: false, started: false, state: { terminated } },
      ];
      status.conditions = arrayAt(status, "conditions").map((condition) =>
        isRecord(condition) && (condition.type === "Ready" || condition.type === "ContainersReady")
          ? {
              ...condition,
              status: "False",
              reason: succeeded ? "PodCompleted" : "PodFailed",
              lastTransitionTime: finishedAt,
            }
          : condition,
      );
    });
    this.context.trigger();
  }
}

/** The callback's view of a pod: image, command, literal env and metadata fieldRefs, and requests. */
function describeRun(pod: JsonObject, container: unknown): FakeContainerRun {
  const labels = stringMapAt(pod, "metadata", "labels");
  const env: Record<string, string> = {};
  for (const variable of arrayAt(container, "env")) {
    const name = stringAt(variable, "name");
    if (name === undefined) continue;
    const value = stringAt(variable, "value");
    const fieldPath = stringAt(variable, "valueFrom", "fieldRef", "fieldPath");
    if (value !== undefined) env[name] = value;
    else if (fieldPath !== undefined) {
      const resolved = resolveFieldRef(pod, fieldPath);
      if (resolved !== undefined) env[name] = resolved;
    } else if (!isRecord(at(variable, "valueFrom"))) env[name] = "";
  }
  const requests = recordAt(container, "resources", "requests") ?? {};
  const limits = recordAt(container, "resources", "limits") ?? {};
  const quantity = (resource: string): string | undefined => {
    const value = requests[resource] ?? limits[resource];
    return value === undefined ? undefined : String(value);
  };
  const resources: { cpu?: string; memory?: string; ephemeralStorage?: string } = {};
  const cpu = quantity("cpu");
  const memory = quantity("memory");
  const ephemeralStorage = quantity("ephemeral-storage");
  if (cpu !== undefined) resources.cpu = cpu;
  if (memory !== undefined) resources.memory = memory;
  if (ephemeralStorage !== undefined) resources.ephemeralStorage = ephemeralStorage;
  const strings = (key: string): string[] =>
    arrayAt(container, key).filter((each): each is string => typeof each === "string");
  return {
    namespace: stringAt(pod, "metadata", "namespace") ?? "",
    podName: stringAt(pod, "metadata", "name") ?? "",
    jobName: labels["batch.kubernetes.io/job-name"] ?? labels["job-name"] ?? "",
    labels,
    image: stringAt(container, "image") ?? "",
    command: strings("command"),
    args: strings("args"),
    env,
    resources,
  };
}

function resolveFieldRef(pod: JsonObject, fieldPath: string): string | undefined {
  const label = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(fieldPath);
  if (label !== null) return stringMapAt(pod, "metadata", label[1] ?? "")[label[2] ?? ""];
  const simple: Record<string, string | undefined> = {
    "metadata.name": stringAt(pod, "metadata", "name"),
    "metadata.namespace": stringAt(pod, "metadata", "namespace"),
    "metadata.uid": stringAt(pod, "metadata", "uid"),
    "spec.nodeName": stringAt(pod, "spec", "nodeName"),
    "spec.serviceAccountName": stringAt(pod, "spec", "serviceAccountName") ?? "default",
    "status.podIP": stringAt(pod, "status", "podIP"),
    "status.hostIP": stringAt(pod, "status", "hostIP"),
  };
  return simple[fieldPath];
}
