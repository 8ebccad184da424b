/**
 * The simulated cluster behind the API: the store, the controllers (garbage collector, Kueue, Job controller,
 * kubelet) and the loop that runs them. Controllers are level-triggered, like Kubernetes': each pass compares what
 * is stored with what should be and fixes the difference, and any change to the store schedules another pass (on a
 * later tick, so that clients see the intermediate states, as with a real cluster).
 */
import { collectGarbage } from "./deletion.js";
import { JobController } from "./job-controller.js";
import { stringAt, stringMapAt } from "./json.js";
import { Kubelet } from "./kubelet.js";
import { KueueSimulator } from "./kueue-simulator.js";
import { ObjectStore } from "./object-store.js";
import { PODS, WORKLOADS } from "./resources.js";
import type { ControllerContext, FakeKubernetesOptions } from "./types.js";

export class FakeCluster implements ControllerContext {
  readonly store = new ObjectStore();
  readonly kubelet: Kubelet;
  readonly jobs: JobController;
  readonly kueue: KueueSimulator;
  private readonly errors: Error[] = [];
  private scheduled = false;
  private closed = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeTime: number | undefined;

  constructor(options: FakeKubernetesOptions) {
    this.kubelet = new Kubelet(this.store, this, options);
    this.jobs = new JobController(this.store, this);
    this.kueue = new KueueSimulator(this.store, this, options.admissionDelayMs ?? 0, (_kind, workload) => {
      const problems = WORKLOADS.validate(workload);
      if (problems.length === 0) return true;
      this.reportError(new Error(`the fake made an invalid Workload: ${JSON.stringify(problems)}`));
      return false;
    });
    this.store.subscribe((event) => {
      this.kubelet.onEvent(event);
      this.jobs.onEvent(event);
      this.trigger();
    });
  }

  trigger(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => this.run());
  }

  wakeAt(time: number): void {
    if (this.closed || (this.wakeTime !== undefined && this.wakeTime <= time)) return;
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeTime = time;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTime = undefined;
        this.wakeTimer = undefined;
        this.trigger();
      },
      Math.max(0, time - Date.now()),
    );
  }

  reportError(error: unknown): void {
    const wrapped = error instanceof Error ? error : new Error(String(error));
    this.errors.push(wrapped);
    console.error("[fake-kubernetes] internal error:", wrapped);
  }

  internalErrors(): readonly Error[] {
    return [...this.errors];
  }

  private run(): void {
    this.scheduled = false;
    if (this.closed) return;
    const steps: (() => void)[] = [
      () => collectGarbage(this.store),
      // The Job controller sees a new Job (suspended, when queued) before Kueue admits it, as in a real cluster.
      () => this.jobs.reconcile(),
      () => this.kueue.reconcile(),
      () => this.kubelet.reconcile(),
    ];
    for (const step of steps) {
      try {
        step();
      } catch (error) {
        this.reportError(error);
      }
    }
  }

  /** Ends the running container of a Job's pod with exit code 137, reason OOMKilled. */
  oomKill(jobName: string): void {
    const pods = this.store
      .list(PODS)
      .filter((pod) => stringMapAt(pod, "metadata", "labels")["batch.kubernetes.io/job-name"] === jobName);
    const running = pods.find((pod) => this.kubelet.isRunning(stringAt(pod, "metadata", "uid") ?? ""));
    if (running === undefined) throw new Error(`oomKill: Job ${jobName} has no running container`);
    this.kubelet.kill(
      stringAt(running, "metadata", "uid") ?? "",
      { exitCode: 137, reason: "OOMKilled" },
      { hard: true },
    );
  }

  evict(jobName: string, reason = "Preempted"): void {
    this.kueue.evictJob(jobName, reason);
  }

  close(): void {
    this.closed = true;
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.kubelet.close();
  }
}
