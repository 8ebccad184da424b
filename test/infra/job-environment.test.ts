import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cloudJobEnvironment, readGoogleCloudSettings } from "../../platform/google-cloud-network.js";
import { jobContainerSettings } from "../../platform/job-launcher-settings.js";
import type { JobSpec } from "../../shared/ports/index.js";
import { jobContainer } from "../../shared/ports/index.js";
import { functionEnvironment } from "../../tools/deploy/stage-functions.js";
import { environmentReads } from "../../tools/deploy-checks/environment-reads.js";
import { buildValues, loadNetworkBuild, ROOT, stageEnvironment } from "./deployment-fixture.js";

/** Variables a job's runner reads that neither the launcher nor the image sets, each with the reason. */
const UNSET_BY_DESIGN: Readonly<Record<string, string>> = {
  XDG_CACHE_HOME:
    "the user's cache folder, for the compiled-validator cache; unset, ~/.cache (a job compiles its twine once)",
  TWINED_CACHE_DIR:
    "where compiled twine validators are kept between starts; unset, the user's cache folder (an instance that cannot write there only compiles again)",
  PUBSUB_EMULATOR_HOST: "names the Pub/Sub emulator; unset, the client talks to Pub/Sub itself",
  TWINED_NETWORK_URL: "for jobs of a network on a laptop (twined dev); a cloud job uses Firestore and Pub/Sub",
  TWINED_ID_TOKEN:
    "an asker's credential for a network behind IAM; goes with TWINED_NETWORK_URL, which cloud jobs lack",
  TWINED_TOKEN:
    "the token of twined dev reachable beyond loopback; goes with TWINED_NETWORK_URL, which cloud jobs lack",
  TWINED_FIRESTORE_COLLECTION_PREFIX: "passed on when the functions have one; a deployed network has its own database",
  OCTUE_SERVICE_NAMESPACE: "overrides octue.yaml's namespace, as Octue allows; the image's octue.yaml names it",
  OCTUE_SERVICE_NAME: "overrides octue.yaml's name, as Octue allows; the image's octue.yaml names it",
  PYTHONPATH: "extended by the runner for its harness; whatever the image sets is kept",
  // What chooses the Python interpreter, which the runner asks once (python-interpreter.ts).
  PATH: "set by the image",
  PYENV_VERSION: "pyenv's choice of Python on a developer's machine; the image has one Python",
  ASDF_PYTHON_VERSION: "asdf's choice of Python on a developer's machine; the image has one Python",
  VIRTUAL_ENV: "an activated virtual environment on a developer's machine; the image installs into its Python",
  TWINED_STORAGE_FOLDER:
    "an embedded network's storage folder, for jobs on the same machine; cloud jobs use Cloud Storage",
  TWINED_STORAGE_SIGNING_KEY: "signs an embedded network's storage URLs; goes with TWINED_STORAGE_FOLDER",
  TWINED_STORAGE_SIGNER:
    "a throwaway key for the Storage emulator, which checks no signature; cloud jobs sign as themselves",
  STORAGE_EMULATOR_HOST: "names the Storage emulator; unset, the client talks to Cloud Storage itself",
  TRACEPARENT: "the trace context of the launch that made the job, which the launcher adds when a span is active",
  TWINED_WARM_START_SOCKET:
    "warm starts of twined dev --isolated-jobs, whose network forks the job's app process; cloud jobs start Python afresh",
  TWINED_WARM_STARTS: "goes with TWINED_WARM_START_SOCKET (twined dev --warm-starts), which cloud jobs lack",
  OTEL_EXPORTER_OTLP_ENDPOINT: "an OTLP collector, where one is run; unset, spans go nowhere (or to Cloud Trace)",
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "the same, for traces only",
};

/** The `ENV` names of a Dockerfile (`ENV A=1 \` continued lines included). */
function dockerfileEnvironment(file: string): string[] {
  const text = readFileSync(file, "utf8").replace(/\\\n/g, " ");
  return [...text.matchAll(/^ENV\s+(.+)$/gm)].flatMap((match) =>
    [...(match[1] ?? "").matchAll(/([A-Za-z_][A-Za-z0-9_]*)=/g)].map((name) => name[1] ?? ""),
  );
}

describe("the environment of a deployed network's jobs", () => {
  it("gives the runner every variable it reads, from the launcher or the image, or says why not", () => {
    const build = loadNetworkBuild();
    const env = {
      ...functionEnvironment(stageEnvironment(build, buildValues(build))),
      TWINED_PUSH_SECRET: "s".repeat(32),
    };
    const settings = readGoogleCloudSettings(env);
    if (settings.launcher.kind !== "kueue") throw new Error("the build's default launcher is kueue");
    const spec = {
      question: { attributes: { question_uuid: "8b0c5a4e-2a43-4a4e-9a59-5d7c54c1d2a1" } },
      revision: {
        sruid: "examples/elevation:0.1.0",
        revisionTag: "0.1.0",
        source: { kind: "image", image: "europe-west1-docker.pkg.dev/p/main-twined-services/examples/elevation:0.1.0" },
      },
      priority: 0,
      cpus: 1,
    } as unknown as JobSpec;
    const container = jobContainer(
      spec,
      jobContainerSettings(settings.launcher, cloudJobEnvironment(settings, env), "GOOGLE_KUEUE"),
    );
    const provided = new Set([
      ...container.env.map((each) => each.name),
      ...dockerfileEnvironment(path.join(ROOT, "runtime", "Dockerfile")),
    ]);
    expect(container.env.find((each) => each.name === "TWINED_FIRESTORE_DATABASE")?.value).toBe("main-twined");

    // What `twined service answer --question-uuid` runs (cli/actions/service.ts) reaches.
    const reads = environmentReads(path.join(ROOT, "cli", "actions", "service.ts"));
    const unset = reads.filter((read) => !provided.has(read.name) && !(read.name in UNSET_BY_DESIGN));
    expect(unset.map((read) => `${read.name} (${path.relative(ROOT, read.file)}:${read.line})`)).toEqual([]);
    const names = new Set(reads.map((read) => read.name));
    expect(Object.keys(UNSET_BY_DESIGN).filter((name) => !names.has(name))).toEqual([]);
  });
});
