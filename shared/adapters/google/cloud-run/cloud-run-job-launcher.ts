import { ExecutionsClient, JobsClient } from "@google-cloud/run";
import { ImageRequired, QuestionCancelled, QuestionRejected, TwinedError } from "../../../errors/index.js";
import { exceptionEnvelopeFor, type ParentAttributes } from "../../../events/index.js";
import type { EventSink, JobPhase, JobSpec, ObservableJobLauncher } from "../../../ports/index.js";
import { type JobContainerSettings, jobContainer } from "../../../ports/index.js";
import { Status } from "../google-api-status.js";
import { statusOf, translateFailure } from "./api-errors.js";
import {
  type Execution,
  hasEnded,
  observeExecution,
  QUESTION_UUID_VARIABLE,
  questionUuidOf,
  type TimedObservation,
} from "./execution-state.js";
import {
  CONTAINER_NAME,
  DEFAULT_MAX_TIMEOUT_SECONDS,
  type Job,
  jobDefinition,
  LABELS,
  MANAGED_BY,
  SRUID_ANNOTATION,
} from "./job-definition.js";

/** Options for the Cloud Run clients, e.g. a test's `{ fallback: true, apiEndpoint, port, protocol, authClient }`. */
export type CloudRunClientOptions = NonNullable<ConstructorParameters<typeof JobsClient>[0]>;

export interface CloudRunJobLauncherOptions {
  readonly project: string;
  /** The Cloud Run region, e.g. `europe-west1`. */
  readonly region: string;
  /** The service account jobs run as (their Google identity); the project's default compute account if absent. */
  readonly serviceAccount?: string;
  readonly settings: JobContainerSettings;
  /** Where the launcher sends the final event of a question it cancels. */
  readonly sink: EventSink;
  /**
   * The task timeout of every job, so the longest any question may ask for; each execution gets its question's own
   * timeout. Default a day.
   */
  readonly maxTimeoutSeconds?: number;
  /**
   * The attributes of a question this instance did not launch (e.g. from the question store), so that cancelling it
   * from any instance of a stateless control plane can still answer with `QuestionCancelled`.
   */
  readonly questionAttributes?: (questionUuid: string) => Promise<ParentAttributes | undefined>;
  /** Receives what the launcher could not do quietly (a final event it could not send), per question. */
  readonly onOutput?: (questionUuid: string, text: string) => void;
  /** Clients to use instead of ones built from `clientOptions`; they belong to the caller, who closes them. */
  readonly jobsClient?: JobsClient;
  readonly executionsClient?: ExecutionsClient;
  readonly clientOptions?: CloudRunClientOptions;
}

/** What this instance knows of a question's execution, from launching, observing or cancelling it. */
interface KnownExecution {
  executionName?: string;
  sruid: string;
  /** Present when this instance launched the question. */
  question?: ParentAttributes;
  phase: JobPhase;
  /** This instance cancelled it and sent its `QuestionCancelled`. */
  cancelled: boolean;
}

interface FoundExecution {
  readonly execution: Execution;
  readonly sruid: string;
}

/**
 * Runs questions as Cloud Run job executions, for networks without a cluster. Each service revision gets a Cloud Run
 * job (one per image, resources and settings, as those cannot be overridden per run), created on first use; each
 * question is one execution of it, started with the question's args, env and timeout as overrides.
 *
 * The launcher can run in a stateless function: what it remembers only saves calls. An execution is found again by
 * its question UUID, which its task template carries in `--question-uuid` (Cloud Run gives executions
 * server-chosen names and no per-run labels). Two launches of one question racing on different instances can both
 * see no execution and both start one: the control plane has to serialize launches of a question (its store's
 * transaction), as Cloud Run offers no create-if-absent for executions.
 *
 * Cloud Run has no queue, priorities or preemption: a question's `priority` is ignored, and an execution waits only
 * for Cloud Run to find resources (reported as `queued`, without a position).
 */
export class CloudRunJobLauncher implements ObservableJobLauncher {
  private readonly jobs: JobsClient;
  private readonly executions: ExecutionsClient;
  /** The clients this launcher made, and so closes. */
  private readonly ownClients: { close(): Promise<void> }[] = [];
  private readonly parent: string;
  private readonly maxTimeoutSeconds: number;
  private readonly known = new Map<string, KnownExecution>();
  private readonly readyJobs = new Map<string, Promise<void>>();
  private readonly launching = new Map<string, Promise<{ launched: boolean }>>();
  private closed = false;

  constructor(private readonly options: CloudRunJobLauncherOptions) {
    this.jobs = options.jobsClient ?? this.own(new JobsClient(options.clientOptions));
    this.executions = options.executionsClient ?? this.own(new ExecutionsClient(options.clientOptions));
    this.parent = this.jobs.locationPath(options.project, options.region);
    this.maxTimeoutSeconds = options.maxTimeoutSeconds ?? DEFAULT_MAX_TIMEOUT_SECONDS;
  }

  async launch(spec: JobSpec): Promise<{ launched: boolean }> {
    const key = spec.question.attributes.question_uuid.toLowerCase();
    if (this.known.has(key)) return { launched: false };
    const pending = this.launching.get(key);
    if (pending !== undefined) {
      await pending;
      return { launched: false };
    }
    if (this.closed) throw new TwinedError("the Cloud Run job launcher is closed");
    const attempt = this.start(spec).finally(() => this.launching.delete(key));
    this.launching.set(key, attempt);
    return attempt;
  }

  async cancel(questionUuid: string, reason = "the question was cancelled"): Promise<boolean> {
    const key = questionUuid.toLowerCase();
    await this.launching.get(key)?.catch(() => undefined);
    const known = this.known.get(key);
    if (known?.phase === "finished") return false;
    const found = await this.findForCancel(key, known);
    if (found === undefined) return false;
    const { execution, sruid } = found;
    const name = execution.name ?? "";
    const record = this.remember(key, { executionName: name, sruid });
    if (hasEnded(execution)) {
      record.phase = "finished";
      return false;
    }
    try {
      // The operation completes when the execution has stopped; like runJob's, it is not waited for.
      await this.executions.cancelExecution({ name });
    } catch (error) {
      const status = statusOf(error);
      // Gone, or finished in the meantime.
      if (status === Status.NOT_FOUND || status === Status.FAILED_PRECONDITION) {
        record.phase = "finished";
        return false;
      }
      throw translateFailure(error, "cancelExecution", name, questionUuid);
    }
    record.phase = "finished";
    record.cancelled = true;
    await this.sendCancelled(questionUuid, record, reason);
    return true;
  }

  phase(questionUuid: string): JobPhase | undefined {
    return this.known.get(questionUuid.toLowerCase())?.phase;
  }

  /**
   * Every execution of the network's Twined jobs (labelled `managed-by: twined`), by question UUID. Cloud Run keeps
   * the details of a job's 1,000 most recent executions and of any from the last seven days, so older questions drop
   * out. If a question somehow has several executions, a running one wins, else the newest.
   */
  async observeJobs(): Promise<ReadonlyMap<string, TimedObservation>> {
    const observations = new Map<string, TimedObservation>();
    const chosen = new Map<string, Execution>();
    const jobs = await this.twinedJobs();
    const listed = await Promise.all(jobs.map((job) => this.listExecutions(job.name ?? "")));
    for (const [index, job] of jobs.entries()) {
      const sruid = job.annotations?.[SRUID_ANNOTATION] ?? job.labels?.[LABELS.revision] ?? "";
      for (const execution of listed[index] ?? []) {
        const questionUuid = questionUuidOf(execution);
        if (questionUuid === undefined) continue;
        const previous = chosen.get(questionUuid);
        if (previous !== undefined && !prefer(execution, previous)) continue;
        chosen.set(questionUuid, execution);
        const key = questionUuid.toLowerCase();
        const record = this.remember(key, { executionName: execution.name ?? "", sruid });
        const observation = observeExecution(execution, record.cancelled);
        record.phase =
          observation.state === "queued" || observation.state === "running" ? observation.state : "finished";
        observations.set(questionUuid, observation);
      }
    }
    return observations;
  }

  /**
   * Closes the clients this launcher made. Executions are left running: they belong to the network, not to this
   * process, which in a cloud network is one short-lived function instance among many.
   */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled(this.launching.values());
    await Promise.all(this.ownClients.splice(0).map((client) => client.close()));
  }

  private own<C extends { close(): Promise<void> }>(client: C): C {
    this.ownClients.push(client);
    return client;
  }

  private async start(spec: JobSpec): Promise<{ launched: boolean }> {
    const { revision } = spec;
    const questionUuid = spec.question.attributes.question_uuid;
    const key = questionUuid.toLowerCase();
    if (revision.source.kind !== "image") {
      throw new ImageRequired(revision.sruid, revision.source.path, revision.revisionTag);
    }
    const timeoutSeconds = spec.timeoutSeconds === undefined ? undefined : Math.ceil(spec.timeoutSeconds);
    if (timeoutSeconds !== undefined && timeoutSeconds > this.maxTimeoutSeconds) {
      throw new QuestionRejected(
        questionUuid,
        `it asks for a ${timeoutSeconds} s timeout but this network's Cloud Run jobs stop after ${this.maxTimeoutSeconds} s; ask for less, or raise the launcher's maxTimeoutSeconds`,
      );
    }
    const container = jobContainer(spec, this.options.settings);
    const { jobId, job } = jobDefinition(revision.sruid, container, {
      maxTimeoutSeconds: this.maxTimeoutSeconds,
      serviceAccount: this.options.serviceAccount,
    });
    const jobName = this.jobs.jobPath(this.options.project, this.options.region, jobId);
    await this.ensureJob(jobName, jobId, job, questionUuid);

    const existing = await this.findInJob(jobName, key, questionUuid);
    if (existing !== undefined) {
      const record = this.remember(key, { executionName: existing.name ?? "", sruid: revision.sruid });
      record.question = spec.question.attributes;
      const state = observeExecution(existing, false).state;
      record.phase = state === "queued" || state === "running" ? state : "finished";
      return { launched: false };
    }

    const [operation] = await this.jobs
      .runJob({
        name: jobName,
        overrides: {
          containerOverrides: [
            {
              name: CONTAINER_NAME,
              args: [...container.args],
              // Merged into the job's env by name; the settings may have changed since the job was made.
              env: [...container.env, { name: QUESTION_UUID_VARIABLE, value: questionUuid }].map(({ name, value }) => ({
                name,
                value,
              })),
            },
          ],
          ...(timeoutSeconds === undefined ? {} : { timeout: { seconds: timeoutSeconds } }),
        },
      })
      .catch((error: unknown) => {
        throw translateFailure(error, "runJob", jobName, questionUuid);
      });
    // Never `operation.promise()`: it resolves only when the execution ends. Its metadata already names the execution.
    const record = this.remember(key, { executionName: executionNameOf(operation.metadata), sruid: revision.sruid });
    record.question = spec.question.attributes;
    record.phase = "queued";
    return { launched: true };
  }

  private async ensureJob(jobName: string, jobId: string, job: Job, questionUuid: string): Promise<void> {
    let ready = this.readyJobs.get(jobName);
    if (ready === undefined) {
      ready = this.createJobIfMissing(jobName, jobId, job, questionUuid);
      this.readyJobs.set(jobName, ready);
      ready.catch(() => this.readyJobs.delete(jobName));
    }
    await ready;
  }

  private async createJobIfMissing(jobName: string, jobId: string, job: Job, questionUuid: string): Promise<void> {
    try {
      await this.jobs.getJob({ name: jobName });
      return;
    } catch (error) {
      if (statusOf(error) !== Status.NOT_FOUND) throw translateFailure(error, "getJob", jobName, questionUuid);
    }
    try {
      const [operation] = await this.jobs.createJob({ parent: this.parent, jobId, job });
      // Creating a job takes seconds (unlike an execution), and running it before it is ready would fail.
      await operation.promise();
    } catch (error) {
      // Created meanwhile by another launch or instance.
      if (statusOf(error) === Status.ALREADY_EXISTS) return;
      throw translateFailure(error, "createJob", jobName, questionUuid);
    }
  }

  /** The question's execution in one job: an unfinished one if there are several, else the newest. */
  private async findInJob(jobName: string, key: string, questionUuid?: string): Promise<Execution | undefined> {
    let found: Execution | undefined;
    for (const execution of await this.listExecutions(jobName, questionUuid)) {
      if (questionUuidOf(execution)?.toLowerCase() !== key) continue;
      if (found === undefined || prefer(execution, found)) found = execution;
    }
    return found;
  }

  private async findForCancel(key: string, known: KnownExecution | undefined): Promise<FoundExecution | undefined> {
    if (known?.executionName) {
      try {
        const [execution] = await this.executions.getExecution({ name: known.executionName });
        return { execution, sruid: known.sruid };
      } catch (error) {
        if (statusOf(error) === Status.NOT_FOUND) return undefined;
        throw translateFailure(error, "getExecution", known.executionName, key);
      }
    }
    // Launched by another instance (or its name was not in the run's response): look through the network's jobs.
    let found: FoundExecution | undefined;
    for (const job of await this.twinedJobs()) {
      const execution = await this.findInJob(job.name ?? "", key);
      if (execution === undefined || (found !== undefined && !prefer(execution, found.execution))) continue;
      found = { execution, sruid: job.annotations?.[SRUID_ANNOTATION] ?? known?.sruid ?? "" };
    }
    return found;
  }

  private async twinedJobs(): Promise<Job[]> {
    const jobs: Job[] = [];
    try {
      // ListJobs has no filter; autoPaginate false only silences a warning, the iterator still follows pages.
      for await (const job of this.jobs.listJobsAsync({ parent: this.parent }, { autoPaginate: false })) {
        if (job.labels?.[LABELS.managedBy] === MANAGED_BY) jobs.push(job);
      }
    } catch (error) {
      throw translateFailure(error, "listJobs", this.parent, undefined);
    }
    return jobs;
  }

  private async listExecutions(jobName: string, questionUuid?: string): Promise<Execution[]> {
    const executions: Execution[] = [];
    try {
      for await (const execution of this.executions.listExecutionsAsync({ parent: jobName }, { autoPaginate: false })) {
        executions.push(execution);
      }
    } catch (error) {
      // A job deleted between listing jobs and its executions has none.
      if (statusOf(error) === Status.NOT_FOUND) return [];
      throw translateFailure(error, "listExecutions", jobName, questionUuid);
    }
    return executions;
  }

  private remember(key: string, seen: { executionName?: string; sruid: string }): KnownExecution {
    let record = this.known.get(key);
    if (record === undefined) {
      record = { sruid: seen.sruid, phase: "queued", cancelled: false };
      this.known.set(key, record);
    }
    if (seen.executionName) record.executionName = seen.executionName;
    if (seen.sruid) record.sruid = seen.sruid;
    return record;
  }

  /** Answers a cancelled question for it, as its job never will. */
  private async sendCancelled(questionUuid: string, record: KnownExecution, reason: string): Promise<void> {
    const question = record.question ?? (await this.options.questionAttributes?.(questionUuid));
    if (question === undefined) {
      this.options.onOutput?.(
        questionUuid,
        `cancelled the question's Cloud Run execution ${record.executionName ?? ""} but cannot send its QuestionCancelled event: this instance did not launch it and no questionAttributes lookup is configured\n`,
      );
      return;
    }
    const sender = record.sruid || question.recipient;
    const envelope = exceptionEnvelopeFor(question, sender, new QuestionCancelled(question.question_uuid, reason));
    await this.options.sink.emit(envelope).catch((sendError: unknown) => {
      this.options.onOutput?.(questionUuid, `could not send the job's final event: ${String(sendError)}\n`);
    });
  }
}

/** Whether execution `a` better represents its question than `b`: an unfinished one, else the newer. */
function prefer(a: Execution, b: Execution): boolean {
  if (hasEnded(a) !== hasEnded(b)) return !hasEnded(a);
  return seconds(a.createTime) > seconds(b.createTime);
}

function seconds(value: Execution["createTime"]): number {
  return Number(value?.seconds?.toString() ?? 0) + (value?.nanos ?? 0) / 1e9;
}

/** The execution's name from runJob's operation metadata (the client decodes it to an Execution). */
function executionNameOf(metadata: unknown): string | undefined {
  if (typeof metadata !== "object" || metadata === null || !("name" in metadata)) return undefined;
  return typeof metadata.name === "string" && metadata.name !== "" ? metadata.name : undefined;
}
