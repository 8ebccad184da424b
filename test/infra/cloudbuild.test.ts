import path from "node:path";
import { getFunction } from "@google-cloud/functions-framework/testing";
import { beforeAll, describe, expect, it } from "vitest";
import { deployedFunctionName, NETWORK_FUNCTIONS } from "../../platform/function-catalog.js";
import { FUNCTION_ENVIRONMENT, readGoogleCloudSettings } from "../../platform/google-cloud-network.js";
import { FUNCTION_SECRETS, functionEnvironment } from "../../tools/deploy/stage-functions.js";
import { environmentReads } from "../../tools/deploy-checks/environment-reads.js";
import {
  buildValues,
  flag,
  loadNetworkBuild,
  loadStack,
  type NetworkBuild,
  ROOT,
  stageEnvironment,
  substitute,
} from "./deployment-fixture.js";

/**
 * Variables the functions' code reads that the deployment leaves unset on purpose, each with the reason. A read not
 * set by cloudbuild.yaml and not listed here fails the check: a new setting must be deployed, or explained.
 */
const UNSET_BY_DESIGN: Readonly<Record<string, string>> = {
  TWINED_CACHE_DIR:
    "where compiled twine validators are kept between starts; unset, the user's cache folder (an instance that cannot write there only compiles again)",
  XDG_CACHE_HOME: "the user's cache folder, for the compiled-validator cache; unset, ~/.cache",
  TWINED_WARM_START_SOCKET:
    "set by an embedded network for its own isolated jobs (warm starts on this machine); a deployed network's jobs start cold",
  TWINED_WARM_STARTS: "set with TWINED_WARM_START_SOCKET by an embedded network; warm starts are a local launcher's",
  PUBSUB_EMULATOR_HOST: "names the Pub/Sub emulator; unset, the client talks to Pub/Sub itself",
  FUNCTION_TARGET:
    "set by the Cloud Functions runtime to the function's entry point (its logs' `function` label); not a setting",
  TWINED_FIRESTORE_COLLECTION_PREFIX: "lets networks share a database; each deployed network has its own database",
  TWINED_PUSH_ENDPOINT_ALLOW_LIST:
    "optional: private hosts an operator trusts as push endpoints; unset, pushes go over https to public addresses only",
  TWINED_KUBECONFIG:
    "for clusters outside Google Cloud (twined dev); a deployed network reaches GKE by TWINED_GKE_CLUSTER",
  TWINED_JOBS_READ_LOCAL_FILES:
    "only for the local topology, whose jobs run on the asker's machine; a deployed network's jobs never do",
  TWINED_LOCAL_CPUS: "only for TWINED_LAUNCHER=local, which runs jobs inside the function (the local topology)",
  TWINED_RECONCILER_STALL_GRACE_SECONDS:
    "its default (120 s, two of Cloud Scheduler's passes) suits a deployed network; an operator may set it on the reconciler",
  TWINED_RECONCILER_LAUNCH_GRACE_SECONDS:
    "its default (120 s: a Job is made in seconds) suits a deployed network; an operator may set it on the reconciler",
  TWINED_STORAGE_FOLDER:
    "an embedded network's storage folder, read by a runner inside a function with TWINED_LAUNCHER=local",
  TWINED_STORAGE_SIGNING_KEY: "goes with TWINED_STORAGE_FOLDER, only for embedded networks",
  TWINED_STORAGE_SIGNER:
    "a throwaway key for the Storage emulator (the local topology); deployed functions sign as themselves",
  STORAGE_EMULATOR_HOST: "names the Storage emulator; unset, the client talks to Cloud Storage itself",
  KUBERNETES_SERVICE_HOST: "set by Kubernetes in a pod, for in-cluster access; the functions are not in the cluster",
  KUBERNETES_SERVICE_PORT: "set by Kubernetes in a pod, for in-cluster access; the functions are not in the cluster",
  // The local launcher runs a service inside the function process; deployed jobs run in their own containers, whose
  // environment is checked in test/infra/job-environment.test.ts.
  OCTUE_SERVICE_CONFIGURATION_PATH: "read by a service's runner, only inside a function with TWINED_LAUNCHER=local",
  OCTUE_SERVICE_NAMESPACE: "read by a service's runner, only inside a function with TWINED_LAUNCHER=local",
  OCTUE_SERVICE_NAME: "read by a service's runner, only inside a function with TWINED_LAUNCHER=local",
  OCTUE_SERVICE_REVISION_TAG: "read by a service's runner, only inside a function with TWINED_LAUNCHER=local",
  TWINED_PYTHON: "read by a service's runner, only inside a function with TWINED_LAUNCHER=local",
  // What chooses the Python interpreter, read by the runner (only inside a function with TWINED_LAUNCHER=local).
  PATH: "set by the functions' runtime itself",
  PYENV_VERSION: "pyenv's choice of Python on a developer's machine; not used by a deployed function",
  ASDF_PYTHON_VERSION: "asdf's choice of Python on a developer's machine; not used by a deployed function",
  VIRTUAL_ENV: "an activated virtual environment on a developer's machine; not used by a deployed function",
  TWINED_ID_TOKEN: "an asker's credential for a network behind IAM, used when a local job asks children over HTTP",
  TWINED_TOKEN: "the token of twined dev reachable beyond loopback, used when a local job asks children over HTTP",
  PYTHONPATH: "read by a service's runner, only inside a function with TWINED_LAUNCHER=local",
  OTEL_EXPORTER_OTLP_ENDPOINT: "opt-in: an OpenTelemetry collector's address; unset, no span goes to a collector",
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "opt-in: the traces address of a collector, as OTEL_EXPORTER_OTLP_ENDPOINT",
  TRACEPARENT: "a job's trace context, which its launcher hands to a runner's process; a function's runs in its span",
};

let build: NetworkBuild;
const deploySteps = () =>
  build.steps.filter(
    (step) => step.args[0] === "functions" && step.args[1] === "deploy" && step.entrypoint === "gcloud",
  );

beforeAll(async () => {
  build = loadNetworkBuild();
  await import("../../functions/index.js");
});

describe("cloudbuild.yaml, the network's build", () => {
  it("passes the Cloud Build linter", async () => {
    const { formatCloudBuildProblem, lintCloudBuild } = await import("../../tools/deploy-checks/cloud-build-lint.js");
    const problems = lintCloudBuild(build.text, "cloudbuild.yaml");
    expect(problems.map(formatCloudBuildProblem)).toEqual([]);
  });

  it("deploys every function of the catalog once, by the entry point the Functions Framework knows it by", () => {
    const values = buildValues(build);
    const deployed = deploySteps().map((step) => ({
      name: substitute(step.args[2] ?? "", values),
      target: flag(step.args, "--entry-point"),
    }));
    expect(deployed.map((each) => each.target).sort()).toEqual(NETWORK_FUNCTIONS.map((each) => each.target).sort());
    for (const { name, target } of deployed) {
      expect(name).toBe(deployedFunctionName(values._ENVIRONMENT ?? "", target ?? ""));
      expect(getFunction(target ?? ""), `${target} is registered with the Functions Framework`).toBeTypeOf("function");
    }
  });

  it("deploys each on Node 22, over HTTP behind IAM, reachable only by the callers it has", () => {
    for (const step of deploySteps()) {
      const target = flag(step.args, "--entry-point");
      const caller = NETWORK_FUNCTIONS.find((each) => each.target === target)?.caller;
      expect(flag(step.args, "--runtime"), target).toBe("nodejs22");
      expect(step.args, target).toEqual(
        expect.arrayContaining(["--gen2", "--trigger-http", "--no-allow-unauthenticated"]),
      );
      expect(step.args, target).not.toContain("--allow-unauthenticated");
      // Pub/Sub pushes and Cloud Scheduler count as internal traffic; askers come from anywhere, with a token.
      expect(flag(step.args, "--ingress-settings"), target).toBe(caller === "askers" ? "all" : "internal-only");
      expect(step.waitFor, `${target} deploys only after the tests pass`).toEqual(
        expect.arrayContaining(["test", "stage"]),
      );
    }
  });

  it("deploys the staged source with the staged settings, its secrets from Secret Manager, as the functions' identity", async () => {
    const stage = build.steps.find((step) => step.id === "stage");
    const values = buildValues(build);
    const durable = await loadStack("durable", { environment: values._ENVIRONMENT });
    const secret = durable.instances("google_secret_manager_secret.push_secret")[0]?.attributes.secret_id;
    const functionsAccount = durable.instances("google_service_account.twined").find((each) => each.key === "functions")
      ?.attributes.account_id;
    for (const step of deploySteps()) {
      const target = flag(step.args, "--entry-point");
      expect(flag(step.args, "--source"), target).toBe(flag(stage?.args ?? [], "--out"));
      expect(flag(step.args, "--env-vars-file"), target).toBe(flag(stage?.args ?? [], "--environment-file"));
      expect(substitute(flag(step.args, "--set-secrets") ?? "", values), target).toBe(
        FUNCTION_SECRETS.map((name) => `${name}=${secret}:latest`).join(","),
      );
      expect(substitute(flag(step.args, "--service-account") ?? "", values), target).toBe(
        `${functionsAccount}@my-project.iam.gserviceaccount.com`,
      );
    }
  });

  it("stages settings that the functions accept, for either launcher", () => {
    const kueue = readGoogleCloudSettings({
      ...functionEnvironment(stageEnvironment(build, buildValues(build))),
      TWINED_PUSH_SECRET: "s".repeat(32),
    });
    expect(kueue.launcher).toMatchObject({
      kind: "kueue",
      cluster: { kind: "gke", clusterId: "projects/my-project/locations/europe-west1/clusters/main-twined-cluster" },
      namespace: "twined",
      localQueue: "local-queue",
    });
    expect(kueue.firestoreDatabase).toBe("main-twined");

    const cloudRun = functionEnvironment(
      stageEnvironment(build, buildValues(build, { _LAUNCHER: "cloud-run", _ENVIRONMENT: "staging" })),
    );
    expect(readGoogleCloudSettings({ ...cloudRun, TWINED_PUSH_SECRET: "s".repeat(32) }).launcher).toMatchObject({
      kind: "cloud-run",
      region: "europe-west1",
    });
  });

  it("sets every variable the functions' code reads, or says why it need not", () => {
    // Named by the stage step (set whenever its substitution is given), or a secret.
    const staged = Object.keys(stageEnvironment(build, buildValues(build)));
    const provided = new Set<string>([...staged, ...FUNCTION_SECRETS]);
    const reads = environmentReads(path.join(ROOT, "functions", "index.ts"));
    const unset = reads.filter((read) => !provided.has(read.name) && !(read.name in UNSET_BY_DESIGN));
    expect(
      unset.map((read) => `${read.name} (${path.relative(ROOT, read.file)}:${read.line})`),
      "read by a function but never set by cloudbuild.yaml (set it in the stage step, or explain why not)",
    ).toEqual([]);
    // Every explanation is still needed, and every setting the functions document is one they read.
    const names = new Set(reads.map((read) => read.name));
    expect(Object.keys(UNSET_BY_DESIGN).filter((name) => !names.has(name))).toEqual([]);
    expect(FUNCTION_ENVIRONMENT.filter((name) => !names.has(name))).toEqual([]);
  });

  it("finds a read that nothing sets (the check itself)", () => {
    const reads = environmentReads(path.join(ROOT, "test", "fixtures", "environment-reads", "entry.ts"));
    expect(reads.map((read) => read.name).sort()).toEqual([
      "TWINED_ALSO_READ",
      "TWINED_BY_NAME",
      "TWINED_NOT_DEPLOYED",
    ]);
  });
});
