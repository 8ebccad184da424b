import { deriveResponseAttributes, renewEventIdentity } from "../../shared/events/index.js";
import type { EventSink, JobLauncher, JobObserver, JobPhase, JobSpec } from "../../shared/ports/index.js";

/**
 * A launcher whose jobs answer at once, without Python: what is left to measure (bench/) or to fuzz (test/fuzz/) is the
 * control plane, and each question costs a few bus messages, not a process. Its jobs send what a real one sends first and last (an acknowledgement and a
 * result, numbered as the runner numbers them), so the answer forwarder and the store see an ordinary question.
 */
export class InstantJobs implements JobLauncher {
  private readonly phases = new Map<string, JobPhase>();
  launched = 0;

  constructor(
    private readonly sink: EventSink,
    private readonly observer: JobObserver,
  ) {}

  async launch(job: JobSpec): Promise<{ launched: boolean }> {
    const uuid = job.question.attributes.question_uuid;
    if (this.phases.has(uuid)) return { launched: false };
    this.launched += 1;
    this.phases.set(uuid, "running");
    this.observer.onStarted?.(uuid);
    const attributes = deriveResponseAttributes(job.question.attributes);
    await Promise.all([
      this.sink.emit({
        event: { kind: "delivery_acknowledgement" },
        attributes: { ...renewEventIdentity(attributes), order: 0 },
      }),
      this.sink.emit({
        event: { kind: "result", output_values: { answered: true } },
        attributes: { ...renewEventIdentity(attributes), order: 1 },
      }),
    ]);
    this.phases.set(uuid, "finished");
    return { launched: true };
  }

  async cancel(): Promise<boolean> {
    return false;
  }

  phase(questionUuid: string): JobPhase | undefined {
    return this.phases.get(questionUuid);
  }

  async close(): Promise<void> {}
}
