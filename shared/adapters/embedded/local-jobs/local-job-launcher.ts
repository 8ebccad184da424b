import { mkdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { type Context, context, type Span, SpanStatusCode, trace } from "@opentelemetry/api";
import { NonRetryableError, QuestionCancelled, ServiceCrashed } from "../../../errors/index.js";
import {
  type ChildEventEnvelope,
  deriveResponseAttributes,
  type ExceptionEvent,
  exceptionEvent,
  renewEventIdentity,
  validateEvent,
} from "../../../events/index.js";
import type {
  EventSink,
  JobExecutor,
  JobLauncher,
  JobObserver,
  JobPhase,
  JobSpec,
  RunningJob,
} from "../../../ports/index.js";
import { jobSpanAttributes, twinedTracer } from "../../../tracing/index.js";
import { AdmissionQueue } from "./admission-queue.js";
import { ProcessJobExecutor } from "./process-job-executor.js";

export interface LocalJobLauncherOptions {
  /** Where every job's events go, in order per job. */
  readonly sink: EventSink;
  readonly observer?: JobObserver;
  /** CPUs that running jobs may request in total; defaults to this machine's. */
  readonly cpuQuota?: number;
  /** Holds each job's question file: `<jobsDirectory>/<question uuid>/question.json`. */
  readonly jobsDirectory: string;
  readonly heartbeatIntervalSeconds?: number;
  /** Receives what jobs write to stderr (the app's prints, runner warnings), prefixed with the question UUID. */
  readonly onOutput?: (questionUuid: string, text: string) => void;
  /** The network's HTTP address, for jobs whose apps ask children; read when each job starts. */
  readonly networkUrl?: () => string | undefined;
  /** The token the network's HTTP API requires, if it requires one; jobs present it when they call. */
  readonly networkToken?: string;
  /** How admitted jobs run; default: each as its own `twined service answer` process. */
  readonly executor?: JobExecutor;
}

interface Job {
  readonly spec: JobSpec;
  /** The trace context of the launch (the question's trace), which the job's spans continue. */
  readonly traceContext: Context;
  /** From the launch to the job's start; then the job's own span, until it ends. */
  span: Span;
  phase: JobPhase;
  running?: RunningJob;
  cancelled?: string;
  finalSent: boolean;
  /** Emits this job's events one after another. */
  emitting: Promise<void>;
  ended: Promise<void>;
  markEnded: () => void;
}

/**
 * Runs questions on this machine under a CPU quota that behaves like a Kueue ClusterQueue: jobs beyond it wait as
 * `queued` and are admitted by priority, then first come first served. Each admitted job runs through the executor
 * (its own process, or in this one); its events are validated and passed to the sink, and a job that ends without
 * answering is answered for it (`ServiceCrashed`), as is one cancelled before it ran (`QuestionCancelled`).
 */
export class LocalJobLauncher implements JobLauncher {
  private readonly jobs = new Map<string, Job>();
  private readonly queue: AdmissionQueue<Job>;
  private closed = false;

  private readonly executor: JobExecutor;

  constructor(private readonly options: LocalJobLauncherOptions) {
    this.queue = new AdmissionQueue(options.cpuQuota ?? availableParallelism());
    this.executor = options.executor ?? new ProcessJobExecutor();
  }

  async launch(spec: JobSpec): Promise<{ launched: boolean }> {
    const questionUuid = spec.question.attributes.question_uuid;
    if (this.jobs.has(questionUuid)) return { launched: false };
    if (this.closed) throw new Error("the job launcher is closed");
    if (spec.revision.source.kind !== "directory") {
      throw new NonRetryableError(
        `${spec.revision.sruid} is an image revision (${spec.revision.source.image}); the local launcher runs service folders. Register the revision's folder, or use the Kueue or Cloud Run launcher.`,
      );
    }
    if (spec.cpus > this.queue.capacity) {
      throw new NonRetryableError(
        `question ${questionUuid} asks for ${spec.cpus} CPUs but the local quota is ${this.queue.capacity}; ask for fewer or raise --cpus`,
      );
    }
    let markEnded = () => {};
    const ended = new Promise<void>((resolve) => {
      markEnded = resolve;
    });
    const traceContext = context.active();
    const job: Job = {
      spec,
      traceContext,
      span: twinedTracer().startSpan("job queued", { attributes: jobSpanAttributes(spec) }, traceContext),
      phase: "queued",
      finalSent: false,
      emitting: Promise.resolve(),
      ended,
      markEnded,
    };
    this.jobs.set(questionUuid, job);
    this.queue.enqueue(questionUuid, spec.cpus, spec.priority, job);
    this.options.observer?.onQueued?.(questionUuid);
    this.admitWaitingJobs();
    return { launched: true };
  }

  async cancel(questionUuid: string, reason = "the question was cancelled"): Promise<boolean> {
    const job = this.jobs.get(questionUuid);
    // A job that has sent its answer is only winding down: there is nothing left to cancel.
    if (job === undefined || job.phase === "finished" || job.finalSent) return false;
    job.cancelled = reason;
    if (job.phase === "queued") {
      this.queue.remove(questionUuid);
      await this.emitFinal(job, exceptionEvent(job.spec.revision.sruid, new QuestionCancelled(questionUuid, reason)));
      this.finish(job, null);
      return true;
    }
    // The network's word comes first: the asker hears why the question was cancelled, not only that its app was
    // stopped (the runner's own exception, if it sends one, comes after the question has ended).
    await this.emitFinal(job, exceptionEvent(job.spec.revision.sruid, new QuestionCancelled(questionUuid, reason)));
    job.running?.stop(reason);
    await job.ended;
    return true;
  }

  phase(questionUuid: string): JobPhase | undefined {
    return this.jobs.get(questionUuid)?.phase;
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(
      [...this.jobs.keys()].map((questionUuid) => this.cancel(questionUuid, "the network is shutting down")),
    );
    await Promise.all([...this.jobs.values()].map((job) => job.ended));
    await this.executor.close?.();
  }

  private admitWaitingJobs(): void {
    for (const { item: job } of this.queue.admit()) this.start(job);
  }

  private start(job: Job): void {
    const { spec } = job;
    const questionUuid = spec.question.attributes.question_uuid;
    const directory = path.join(this.options.jobsDirectory, questionUuid);
    mkdirSync(directory, { recursive: true });
    const output = (text: string) => this.options.onOutput?.(questionUuid, text);
    job.phase = "running";
    job.span.end();
    job.span = twinedTracer().startSpan("job", { attributes: jobSpanAttributes(spec) }, job.traceContext);
    this.options.observer?.onStarted?.(questionUuid);
    let ended: Promise<{ readonly exitCode: number | null }>;
    try {
      // Started in the job's span: a job in this process runs in it, one in another process is handed it
      // (TRACEPARENT), and the events and child questions either sends are in the question's trace.
      job.running = context.with(trace.setSpan(job.traceContext, job.span), () =>
        this.executor.start(spec, {
          directory,
          networkUrl: this.options.networkUrl?.(),
          networkToken: this.options.networkToken,
          heartbeatIntervalSeconds: this.options.heartbeatIntervalSeconds ?? 60,
          emit: (envelope) => this.forward(job, envelope),
          output,
        }),
      );
      ended = job.running.ended;
    } catch (error) {
      output(`cannot start the job: ${error instanceof Error ? error.message : String(error)}\n`);
      ended = Promise.resolve({ exitCode: null });
    }
    void ended.then(async ({ exitCode }) => {
      if (!job.finalSent) {
        const error =
          job.cancelled !== undefined
            ? new QuestionCancelled(questionUuid, job.cancelled)
            : new ServiceCrashed(questionUuid, `the job ended (exit code ${exitCode}) without answering`);
        await this.emitFinal(job, exceptionEvent(spec.revision.sruid, error));
      }
      await job.emitting;
      this.queue.release(spec.cpus);
      this.finish(job, exitCode);
      this.admitWaitingJobs();
    });
  }

  /** Passes a job's event to the sink if it is a valid event of this question; anything else is job output. */
  private forward(job: Job, candidate: unknown): void {
    const questionUuid = job.spec.question.attributes.question_uuid;
    let envelope: ChildEventEnvelope;
    try {
      envelope = validateEvent(candidate) as ChildEventEnvelope;
    } catch {
      this.options.onOutput?.(questionUuid, `${JSON.stringify(candidate)}\n`);
      return;
    }
    if (envelope.attributes.question_uuid !== questionUuid || envelope.attributes.sender_type !== "CHILD") {
      this.options.onOutput?.(questionUuid, `ignored an event for another question: ${JSON.stringify(candidate)}\n`);
      return;
    }
    if (job.finalSent) return;
    const final = envelope.event.kind === "result" || envelope.event.kind === "exception";
    if (final) job.finalSent = true;
    const send = () =>
      this.options.sink.emit(envelope).catch(async (error: unknown) => {
        // An event that cannot be sent (e.g. larger than a message may be) must not take the network down; a lost
        // answer becomes an exception, so the asker still hears how the question ended.
        const reason = error instanceof Error ? error : new Error(String(error));
        this.options.onOutput?.(questionUuid, `could not send a ${envelope.event.kind} event: ${reason.message}\n`);
        if (final) await this.send(job, exceptionEvent(job.spec.revision.sruid, reason));
      });
    // Events go to the sink as they come (it keeps their order, and a publisher batches them); the final one waits
    // for every other, so nothing of the question is still being sent once its answer is.
    job.emitting = final ? job.emitting.then(send) : Promise.all([job.emitting, send()]).then(() => {});
  }

  private async emitFinal(job: Job, event: ExceptionEvent): Promise<void> {
    if (job.finalSent) return;
    job.finalSent = true;
    job.emitting = job.emitting.then(() => this.send(job, event));
    await job.emitting;
  }

  /** Sends an event the launcher makes itself; if even that fails, the job's output says so. */
  private async send(job: Job, event: ExceptionEvent): Promise<void> {
    const attributes = renewEventIdentity(deriveResponseAttributes(job.spec.question.attributes));
    const envelope = validateEvent({ event, attributes }) as ChildEventEnvelope;
    await this.options.sink.emit(envelope).catch((error: unknown) => {
      const questionUuid = job.spec.question.attributes.question_uuid;
      this.options.onOutput?.(questionUuid, `could not send the job's final event: ${String(error)}\n`);
    });
  }

  private finish(job: Job, exitCode: number | null): void {
    job.phase = "finished";
    if (exitCode !== null) job.span.setAttribute("process.exit.code", exitCode);
    if (job.cancelled !== undefined) job.span.setAttribute("twined.cancelled", job.cancelled);
    if (exitCode !== 0 && job.cancelled === undefined) {
      job.span.setStatus({ code: SpanStatusCode.ERROR, message: `the job ended with exit code ${exitCode}` });
    }
    job.span.end();
    job.markEnded();
    this.options.observer?.onFinished?.(job.spec.question.attributes.question_uuid, {
      exitCode,
      cancelled: job.cancelled !== undefined,
    });
  }
}
