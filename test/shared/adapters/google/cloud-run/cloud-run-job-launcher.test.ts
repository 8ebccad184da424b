import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  CloudRunJobLauncher,
  type CloudRunJobLauncherOptions,
  cloudRunJobId,
  MAX_JOB_ID_LENGTH,
  observeExecution,
} from "../../../../../shared/adapters/google/cloud-run/index.js";
import { CloudRunPermissionDenied, ImageRequired, NonRetryableError } from "../../../../../shared/errors/index.js";
import {
  type ChildEventEnvelope,
  createQuestionAttributes,
  type ExceptionEvent,
} from "../../../../../shared/events/index.js";
import type { EventSink, JobSpec, RevisionRecord } from "../../../../../shared/ports/index.js";
import { rejectionOf } from "../../../../support/error-of.js";
import { FakeCloudRun, type JsonObject } from "../../../../support/fake-cloud-run.js";

const PROJECT = "twined-test";
const REGION = "europe-west1";
const LOCATION = `projects/${PROJECT}/locations/${REGION}`;
const SERVICE_ACCOUNT = "jobs@twined-test.iam.gserviceaccount.com";

class Sink implements EventSink {
  readonly events: ChildEventEnvelope[] = [];
  async emit(envelope: ChildEventEnvelope): Promise<void> {
    this.events.push(envelope);
  }
}

function revision(options: { tag?: string; image?: string; folder?: string } = {}): RevisionRecord {
  const tag = options.tag ?? "1.0.0";
  return {
    namespace: "testing",
    name: "job",
    revisionTag: tag,
    sruid: `testing/job:${tag}`,
    twine: {},
    source:
      options.folder === undefined
        ? { kind: "image", image: options.image ?? "europe-docker.pkg.dev/twined-test/services/job:1.0.0" }
        : { kind: "directory", path: options.folder },
    isDefault: true,
    registeredAt: "2025-01-01T00:00:00+00:00",
  };
}

function spec(of: RevisionRecord, options: Partial<JobSpec> = {}): JobSpec {
  return {
    question: {
      event: { kind: "question", input_values: { n: 1 } },
      attributes: createQuestionAttributes({ sender: "local/asker:local", recipient: of.sruid }),
    },
    revision: of,
    priority: 0,
    cpus: 1,
    ...options,
  };
}

function uuidOf(job: JobSpec): string {
  return job.question.attributes.question_uuid;
}

let fake: FakeCloudRun;
let sink: Sink;
const launchers: CloudRunJobLauncher[] = [];

function launcher(options: Partial<CloudRunJobLauncherOptions> = {}): CloudRunJobLauncher {
  const made = new CloudRunJobLauncher({
    project: PROJECT,
    region: REGION,
    serviceAccount: SERVICE_ACCOUNT,
    settings: {
      environment: { GOOGLE_CLOUD_PROJECT: PROJECT, TWINED_ENVIRONMENT: "test" },
      computeProvider: "GOOGLE_CLOUD_RUN_JOBS",
      heartbeatIntervalSeconds: 30,
    },
    sink,
    clientOptions: fake.clientOptions(),
    ...options,
  });
  launchers.push(made);
  return made;
}

function first<T>(items: readonly T[]): T {
  const [item] = items;
  if (item === undefined) throw new Error("expected at least one item");
  return item;
}

/** The execution the fake made for a question (the only one, or the test fails). */
function executionOf(questionUuid: string): string {
  const names = fake.executionNames().filter((name) => {
    const template = fake.execution(name)?.template as { containers?: { args?: string[] }[] } | undefined;
    return template?.containers?.[0]?.args?.includes(questionUuid) === true;
  });
  expect(names).toHaveLength(1);
  return names[0] ?? "";
}

beforeEach(async () => {
  fake = await FakeCloudRun.start();
  sink = new Sink();
});

afterEach(async () => {
  await Promise.all(launchers.splice(0).map((each) => each.close()));
  await fake.close();
});

describe("CloudRunJobLauncher.launch", () => {
  it("creates the revision's job on first use, then runs it with the question's args, env and timeout", async () => {
    const question = spec(revision(), { cpus: 2, memory: "2Gi", ephemeralStorage: "5Gi", timeoutSeconds: 599.5 });
    const questionUuid = uuidOf(question);

    expect(await launcher().launch(question)).toEqual({ launched: true });

    expect(fake.requests.map((request) => request.rpc)).toEqual(["getJob", "createJob", "listExecutions", "runJob"]);
    for (const request of fake.requests) expect(request.query.$alt).toBe("json;enum-encoding=int");

    const create = first(fake.requestsOf("createJob"));
    const jobId = create.query.jobId ?? "";
    expect(jobId).toMatch(/^twined-testing-job-1-0-0-[0-9a-f]{8}$/);
    expect(create.path).toBe(`/v2/${LOCATION}/jobs`);
    expect(create.body).toMatchObject({
      labels: { "managed-by": "twined", "twined-revision": "testing-job-1-0-0" },
      annotations: { "twined.octue.com/sruid": "testing/job:1.0.0" },
      template: {
        taskCount: 1,
        template: {
          containers: [
            {
              name: "service",
              image: "europe-docker.pkg.dev/twined-test/services/job:1.0.0",
              command: ["twined", "service", "answer"],
              resources: { limits: { cpu: "2", memory: "2Gi" } },
            },
          ],
          maxRetries: 0,
          timeout: "86400s",
          serviceAccount: SERVICE_ACCOUNT,
        },
      },
    });
    expect(JSON.stringify(create.body)).not.toContain("5Gi");

    const run = first(fake.requestsOf("runJob"));
    expect(run.method).toBe("POST");
    expect(run.path).toBe(`/v2/${LOCATION}/jobs/${jobId}:run`);
    const override = (run.body as { overrides: { containerOverrides: JsonObject[]; timeout: string } }).overrides;
    expect(override.timeout).toBe("600s");
    expect(override.containerOverrides).toHaveLength(1);
    expect(override.containerOverrides[0]?.name).toBe("service");
    expect(override.containerOverrides[0]?.args).toEqual([
      "--question-uuid",
      questionUuid,
      "--heartbeat-interval",
      "30",
      "--timeout",
      "599.5",
    ]);
    expect(override.containerOverrides[0]?.env).toEqual(
      expect.arrayContaining([
        { name: "COMPUTE_PROVIDER", value: "GOOGLE_CLOUD_RUN_JOBS" },
        { name: "OCTUE_SERVICE_REVISION_TAG", value: "1.0.0" },
        { name: "GOOGLE_CLOUD_PROJECT", value: PROJECT },
        { name: "TWINED_QUESTION_UUID", value: questionUuid },
      ]),
    );
  });

  it("reports the question queued, and never waits for the execution to end", async () => {
    const jobs = launcher();
    const question = spec(revision());
    await jobs.launch(question);
    expect(jobs.phase(uuidOf(question))).toBe("queued");
    // Only the run itself: no polling of the run's operation.
    expect(fake.requests.filter((request) => request.path.includes("operations"))).toEqual([]);
  });

  it("reuses the revision's job for its next question, also from another instance", async () => {
    const first = launcher();
    await first.launch(spec(revision()));
    await first.launch(spec(revision()));
    await launcher().launch(spec(revision()));

    expect(fake.requestsOf("createJob")).toHaveLength(1);
    // The first instance remembers the job; the second finds it with getJob.
    expect(fake.requestsOf("getJob")).toHaveLength(2);
    expect(fake.requestsOf("runJob")).toHaveLength(3);
    expect(new Set(fake.requestsOf("runJob").map((request) => request.path)).size).toBe(1);
  });

  it("counts a job that another instance created meanwhile (ALREADY_EXISTS) as there", async () => {
    await launcher().launch(spec(revision()));
    fake.failNext("getJob", { code: 404, status: "NOT_FOUND", message: "Resource was not found" });

    expect(await launcher().launch(spec(revision()))).toEqual({ launched: true });
    expect(fake.requestsOf("createJob")).toHaveLength(2);
    expect(fake.requestsOf("runJob")).toHaveLength(2);
  });

  it("gives questions with other resources, and other revisions, their own jobs", async () => {
    const jobs = launcher();
    await jobs.launch(spec(revision()));
    await jobs.launch(spec(revision(), { memory: "4Gi" }));
    await jobs.launch(spec(revision({ tag: "2.0.0", image: "europe-docker.pkg.dev/twined-test/services/job:2" })));

    const ids = fake.requestsOf("createJob").map((request) => request.query.jobId);
    expect(new Set(ids).size).toBe(3);
  });

  it("starts one execution for a question launched twice, at once, or by another instance", async () => {
    const question = spec(revision());
    const jobs = launcher();

    const results = await Promise.all([jobs.launch(question), jobs.launch(question)]);
    expect(results.map((result) => result.launched).sort()).toEqual([false, true]);
    expect(await jobs.launch(question)).toEqual({ launched: false });

    // A stateless instance finds the execution by the question UUID in its task template.
    const other = launcher();
    expect(await other.launch(question)).toEqual({ launched: false });
    expect(other.phase(uuidOf(question))).toBe("queued");

    expect(fake.requestsOf("runJob")).toHaveLength(1);
    expect(fake.executionNames()).toHaveLength(1);
  });

  it("refuses a revision registered as a folder, before calling Cloud Run", async () => {
    const error = await rejectionOf(launcher().launch(spec(revision({ folder: "/services/job" }))));
    expect(error).toBeInstanceOf(ImageRequired);
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(error.message).toBe(
      "testing/job:1.0.0 is registered as a folder (/services/job); Cloud Run jobs run container images. Register an image with 'twined revision register --image IMAGE --tag 1.0.0', or run the network locally.",
    );
    expect((error as ImageRequired).sruid).toBe("testing/job:1.0.0");
    expect(fake.requests).toEqual([]);
  });

  it("names the permission that is likely missing when Cloud Run refuses to run the job", async () => {
    const question = spec(revision());
    fake.failNext("runJob", {
      code: 403,
      status: "PERMISSION_DENIED",
      message: `Permission 'run.jobs.runWithOverrides' denied on resource '${LOCATION}/jobs/x' (or resource may not exist).`,
    });

    const error = await rejectionOf(launcher().launch(question));
    expect(error).toBeInstanceOf(CloudRunPermissionDenied);
    expect(error).toBeInstanceOf(NonRetryableError);
    expect((error as CloudRunPermissionDenied).questionUuid).toBe(uuidOf(question));
    expect(error.message).toContain(`for question ${uuidOf(question)}: permission denied (Permission 'run.jobs`);
    expect(error.message).toContain("probably missing run.jobs.runWithOverrides");
    expect(fake.executionNames()).toEqual([]);
  });

  it("rejects a question whose timeout is beyond the jobs' maximum", async () => {
    const question = spec(revision(), { timeoutSeconds: 7200 });
    const error = await rejectionOf(launcher({ maxTimeoutSeconds: 3600 }).launch(question));
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(error.message).toContain("asks for a 7200 s timeout but this network's Cloud Run jobs stop after 3600 s");
  });
});

describe("CloudRunJobLauncher.cancel", () => {
  it("cancels the question's execution and answers the question with QuestionCancelled", async () => {
    const jobs = launcher();
    const question = spec(revision());
    const questionUuid = uuidOf(question);
    await jobs.launch(question);
    const execution = executionOf(questionUuid);
    fake.startExecution(execution);

    expect(await jobs.cancel(questionUuid, "the asker gave up")).toBe(true);

    const cancel = fake.requestsOf("cancelExecution");
    expect(cancel.map((request) => [request.method, request.path])).toEqual([["POST", `/v2/${execution}:cancel`]]);
    expect(jobs.phase(questionUuid)).toBe("finished");
    expect(sink.events).toHaveLength(1);
    const [final] = sink.events;
    expect(final?.attributes).toMatchObject({
      question_uuid: questionUuid,
      sender_type: "CHILD",
      sender: "testing/job:1.0.0",
      recipient: "local/asker:local",
    });
    expect(final?.event).toEqual({
      kind: "exception",
      exception_type: "QuestionCancelled",
      exception_message: `Error in <Service('testing/job:1.0.0')>: Question ${questionUuid} was cancelled: the asker gave up.`,
      exception_traceback: [],
    } satisfies ExceptionEvent);

    // Cancelled, then reported as an expected end rather than a failure.
    expect((await jobs.observeJobs()).get(questionUuid)).toMatchObject({ state: "succeeded" });
    expect(await jobs.cancel(questionUuid)).toBe(false);
    expect(fake.requestsOf("cancelExecution")).toHaveLength(1);
  });

  it("returns false for an unknown question and for one whose execution already ended", async () => {
    const jobs = launcher();
    expect(await jobs.cancel("7f1b4d0e-0000-4000-8000-000000000000")).toBe(false);

    const question = spec(revision());
    await jobs.launch(question);
    fake.finishExecution(executionOf(uuidOf(question)), { succeeded: true });
    expect(await jobs.cancel(uuidOf(question))).toBe(false);
    expect(fake.requestsOf("cancelExecution")).toEqual([]);
    expect(sink.events).toEqual([]);
  });

  it("cancels from another instance, finding the execution and the question's attributes itself", async () => {
    const question = spec(revision());
    const questionUuid = uuidOf(question);
    await launcher().launch(question);

    const other = launcher({
      questionAttributes: async (uuid) => (uuid === questionUuid ? question.question.attributes : undefined),
    });
    expect(await other.cancel(questionUuid, "stopped by an operator")).toBe(true);
    expect(fake.requestsOf("cancelExecution")).toHaveLength(1);
    expect((first(sink.events).event as ExceptionEvent).exception_message).toContain("stopped by an operator");
  });
});

describe("CloudRunJobLauncher.observeJobs", () => {
  it("maps the network's executions to queued, running, succeeded and failed", async () => {
    const jobs = launcher();
    const questions = Array.from({ length: 6 }, () => spec(revision(), { timeoutSeconds: 60 }));
    for (const question of questions) await jobs.launch(question);
    const [queued, running, succeeded, failed, timedOut, cancelledElsewhere] = questions.map(uuidOf) as [
      string,
      string,
      string,
      string,
      string,
      string,
    ];
    fake.startExecution(executionOf(running));
    fake.finishExecution(executionOf(succeeded), { succeeded: true });
    fake.finishExecution(executionOf(failed), { failed: true, message: "The container exited with an error." });
    fake.finishExecution(executionOf(timedOut), { failed: true, message: "The configured timeout was reached." });
    // Cancelled by someone else (the console, gcloud): the question never got its answer.
    await launcher().cancel(cancelledElsewhere);
    // Jobs Twined did not make are left alone.
    fake.addJob(`${LOCATION}/jobs/nightly-export`, { labels: { team: "data" }, template: { template: {} } });

    const observations = await jobs.observeJobs();

    expect(observations.size).toBe(6);
    expect(observations.get(queued)).toEqual({ state: "queued" });
    expect(observations.get(running)).toEqual({ state: "running" });
    expect(observations.get(succeeded)).toMatchObject({ state: "succeeded", endedAt: expect.any(String) });
    const execution = executionOf(failed);
    expect(observations.get(failed)).toMatchObject({
      state: "failed",
      failure: {
        type: "JobFailed",
        message: `the Cloud Run execution ${execution} failed (NON_ZERO_EXIT_CODE): Task ${execution.split("/").at(-1)}-task0 failed with message: The container exited with an error.`,
      },
    });
    expect(observations.get(timedOut)).toMatchObject({
      state: "failed",
      failure: { type: "DeadlineExceeded", message: "the job ran past its deadline of 60 s and was stopped" },
    });
    expect(observations.get(cancelledElsewhere)).toMatchObject({
      state: "failed",
      failure: { type: "JobFailed", message: expect.stringContaining("was cancelled outside Twined") },
    });
    expect(fake.requestsOf("listExecutions").map((request) => request.path)).not.toContain(
      `/v2/${LOCATION}/jobs/nightly-export/executions`,
    );

    expect(jobs.phase(queued)).toBe("queued");
    expect(jobs.phase(running)).toBe("running");
    expect(jobs.phase(failed)).toBe("finished");
  });

  it("reads executions launched by other instances, so a stateless control plane can reconcile", async () => {
    const question = spec(revision());
    await launcher().launch(question);
    fake.startExecution(executionOf(uuidOf(question)));

    const observer = launcher();
    expect(await observer.observeJobs()).toEqual(new Map([[uuidOf(question), { state: "running" }]]));
    expect(observer.phase(uuidOf(question))).toBe("running");
  });
});

describe("the fake Cloud Run", () => {
  it("refuses fields the API does not have, as the API does (the client drops them before sending)", async () => {
    const response = await fetch(`http://127.0.0.1:${fake.port}/v2/${LOCATION}/jobs?jobId=x`, {
      method: "POST",
      body: JSON.stringify({ template: { template: { containers: [{ image: "i", ephemeralStorage: "1Gi" }] } } }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({
      error: {
        code: 400,
        status: "INVALID_ARGUMENT",
        message:
          "Invalid JSON payload received. Unknown name \"ephemeralStorage\" at 'job.template.template.containers[0]': Cannot find field.",
      },
    });
  });
});

describe("execution states", () => {
  it("reads numeric enums as well as names, and image failures", () => {
    expect(
      observeExecution(
        {
          name: "e",
          failedCount: 1,
          template: { containers: [{ image: "gone:1" }] },
          conditions: [
            { type: "ResourcesAvailable", state: 3, reason: 6, message: "Image 'gone:1' not found." },
            { type: "Completed", state: 3 },
          ],
        },
        false,
      ),
    ).toMatchObject({
      state: "failed",
      failure: { type: "ImageUnavailable", message: expect.stringContaining("gone:1") },
    });
    expect(observeExecution({ conditions: [{ type: "Completed", state: "CONDITION_SUCCEEDED" }] }, false)).toEqual({
      state: "succeeded",
    });
  });
});

describe("cloudRunJobId", () => {
  it("makes valid Cloud Run job ids that tell SRUIDs apart", () => {
    const ids = [
      "testing/job:1.0.0",
      "testing/job:1-0-0",
      "Testing/Job:1.0.0",
      `ns/${"very-long-name".repeat(8)}:1`,
    ].map((sruid) => cloudRunJobId(sruid));
    for (const id of ids) {
      expect(id).toMatch(/^[a-z]([a-z0-9-]*[a-z0-9])?$/);
      expect(id.length).toBeLessThanOrEqual(MAX_JOB_ID_LENGTH);
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toMatch(/^twined-testing-job-1-0-0-[0-9a-f]{8}$/);
    expect(cloudRunJobId("testing/job:1.0.0", "a")).not.toBe(cloudRunJobId("testing/job:1.0.0", "b"));
  });
});
