import { Job } from "kubernetes-models/batch/v1";
import { describe, expect, it } from "vitest";
import { jobManifest, jobName, priorityClassFor } from "../../../../../shared/adapters/google/kueue/index.js";
import { NonRetryableError } from "../../../../../shared/errors/index.js";
import { createQuestionAttributes } from "../../../../../shared/events/index.js";
import type { JobSpec, RevisionRecord } from "../../../../../shared/ports/index.js";

const revision: RevisionRecord = {
  namespace: "octue",
  name: "fractal",
  revisionTag: "1.2.0",
  sruid: "octue/fractal:1.2.0",
  twine: {},
  source: { kind: "image", image: "europe-docker.pkg.dev/p/services/octue/fractal:1.2.0" },
  isDefault: true,
  registeredAt: "2026-11-29T00:00:00.000Z",
};

function spec(overrides: Partial<JobSpec> = {}): JobSpec {
  return {
    question: {
      event: { kind: "question", input_values: { height: 0 } },
      attributes: createQuestionAttributes({
        sender: "octue/asker:1.0.0",
        recipient: revision.sruid,
        questionUuid: "8A3B9C2D-1234-4ABC-9DEF-0123456789AB",
      }),
    },
    revision,
    priority: 0,
    cpus: 2,
    ...overrides,
  };
}

const settings = {
  environment: { GOOGLE_CLOUD_PROJECT: "p", TWINED_ENVIRONMENT: "main" },
  computeProvider: "GOOGLE_KUEUE",
  heartbeatIntervalSeconds: 60,
  namespace: "twined",
  localQueue: "local-queue",
  serviceAccountName: "main-twined-jobs",
  ttlSecondsAfterFinished: 600,
  priorityClasses: { low: 0, high: 1000 },
};

describe("jobManifest", () => {
  it("builds one suspended, never-retried Job per question, queued by Kueue, valid against the Kubernetes schema", () => {
    const job = jobManifest(spec({ timeoutSeconds: 90.5, memory: "2Gi", priority: 5 }), settings);
    expect(() => new Job(job as ConstructorParameters<typeof Job>[0]).validate()).not.toThrow();
    expect(job.metadata?.name).toBe("question-8a3b9c2d-1234-4abc-9def-0123456789ab");
    expect(job.metadata?.namespace).toBe("twined");
    expect(job.metadata?.labels).toMatchObject({
      "kueue.x-k8s.io/queue-name": "local-queue",
      "kueue.x-k8s.io/priority-class": "low",
      "app.kubernetes.io/managed-by": "twined",
      "twined.octue.com/question-uuid": "8a3b9c2d-1234-4abc-9def-0123456789ab",
      "twined.octue.com/sruid": "octue.fractal.1-2-0",
    });
    expect(job.metadata?.annotations?.["twined.octue.com/sruid"]).toBe("octue/fractal:1.2.0");
    expect(job.spec).toMatchObject({
      suspend: true,
      backoffLimit: 0,
      parallelism: 1,
      completions: 1,
      ttlSecondsAfterFinished: 600,
      activeDeadlineSeconds: 91 + 120,
    });
    const pod = job.spec?.template.spec;
    expect(pod?.restartPolicy).toBe("Never");
    expect(pod?.serviceAccountName).toBe("main-twined-jobs");
    const [container] = pod?.containers ?? [];
    expect(container?.image).toBe(revision.source.kind === "image" ? revision.source.image : "");
    expect(container?.command).toEqual(["twined", "service", "answer"]);
    expect(container?.args).toEqual([
      "--question-uuid",
      "8A3B9C2D-1234-4ABC-9DEF-0123456789AB",
      "--heartbeat-interval",
      "60",
      "--timeout",
      "90.5",
    ]);
    expect(container?.env).toEqual([
      { name: "COMPUTE_PROVIDER", value: "GOOGLE_KUEUE" },
      { name: "GOOGLE_CLOUD_PROJECT", value: "p" },
      { name: "OCTUE_SERVICE_REVISION_TAG", value: "1.2.0" },
      { name: "TWINED_ENVIRONMENT", value: "main" },
    ]);
    expect(container?.resources).toEqual({
      requests: { cpu: "2", memory: "2Gi", "ephemeral-storage": "1Gi" },
    });
  });

  it("carries no input: the job reads its question from the store, so a large question fits", () => {
    const big = "x".repeat(2_000_000);
    const job = jobManifest(
      spec({ question: { ...spec().question, event: { kind: "question", input_values: { big } } } }),
      settings,
    );
    expect(JSON.stringify(job).length).toBeLessThan(5_000);
  });

  it("leaves out what the question and network do not set", () => {
    const job = jobManifest(spec(), { ...settings, priorityClasses: {}, serviceAccountName: undefined });
    expect(job.metadata?.labels?.["kueue.x-k8s.io/priority-class"]).toBeUndefined();
    expect(job.spec?.activeDeadlineSeconds).toBeUndefined();
    expect(job.spec?.template.spec?.serviceAccountName).toBeUndefined();
    expect(job.spec?.template.spec?.containers[0]?.resources?.requests?.memory).toBe("512Mi");
  });

  it("refuses a revision registered as a folder, saying how to register an image", () => {
    const folder = spec({ revision: { ...revision, source: { kind: "directory", path: "/srv/fractal" } } });
    expect(() => jobManifest(folder, settings)).toThrow(NonRetryableError);
    expect(() => jobManifest(folder, settings)).toThrow(/twined revision register --image IMAGE --tag 1\.2\.0/);
  });

  it("names Jobs in lowercase, as RFC 1123 requires", () => {
    expect(jobName("ABC-1")).toBe("question-abc-1");
  });
});

describe("priorityClassFor", () => {
  const classes = { low: 0, normal: 100, high: 1000 };
  it.each([
    [0, "low"],
    [99, "low"],
    [100, "normal"],
    [5000, "high"],
    [-3, "low"],
  ])("maps priority %i to %s", (priority, name) => {
    expect(priorityClassFor(priority, classes)).toBe(name);
  });
  it("is undefined without classes", () => {
    expect(priorityClassFor(10, {})).toBeUndefined();
  });
});
