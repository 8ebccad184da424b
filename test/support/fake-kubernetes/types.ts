/** The public types of the fake (re-exported by index.ts). */

/** What the kubelet callback receives for an admitted Job's pod. */
export interface FakeContainerRun {
  readonly namespace: string;
  readonly podName: string;
  readonly jobName: string;
  /** The pod's labels (from the Job's pod template, plus the job-name and controller-uid labels). */
  readonly labels: Readonly<Record<string, string>>;
  readonly image: string;
  readonly command: readonly string[];
  readonly args: readonly string[];
  /** `env` entries with a literal `value`, and `fieldRef`s to the pod's metadata; secret and config map refs are not resolved. */
  readonly env: Readonly<Record<string, string>>;
  /** The first container's requests (its limits where a request is missing, as Kubernetes defaults them). */
  readonly resources: { readonly cpu?: string; readonly memory?: string; readonly ephemeralStorage?: string };
}

export interface FakeRunningContainer {
  /** Resolves when the process ends: exit code, and a termination reason like Kubernetes' ("Completed", "Error", "OOMKilled"). */
  readonly ended: Promise<{ readonly exitCode: number; readonly reason?: string }>;
  /** SIGTERM-like stop (pod deletion); the container should end soon after. */
  stop(): void;
  /**
   * SIGKILL-like end (the kernel's OOM killer): the process gets no chance to say anything. Without it, `stop()` is
   * used.
   */
  kill?(): void;
}

export interface FakeKubernetesOptions {
  /** Runs an admitted pod's container; default: a container that exits 0 at once. */
  readonly runContainer?: (run: FakeContainerRun) => FakeRunningContainer;
  /** Images that "exist"; a pod whose image is not accepted stays Pending with ErrImagePull then ImagePullBackOff. Default: every image exists. */
  readonly imageExists?: (image: string) => boolean;
  /** Delay before Kueue admits a workload that fits (ms, default 0), to make "queued" observable. */
  readonly admissionDelayMs?: number;
}

/** What controllers share: the store, and a way to ask for another reconcile pass. */
export interface ControllerContext {
  /** Reconcile again as soon as possible. */
  trigger(): void;
  /** Reconcile again at this time (epoch ms) at the latest. */
  wakeAt(time: number): void;
  /** An internal error (a controller bug, or an object the fake made that fails its own validation). */
  reportError(error: unknown): void;
}
