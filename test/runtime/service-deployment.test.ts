import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../platform/embedded-network.js";
import { createHttpApi } from "../../platform/http-api.js";
import { TWINED_VERSION } from "../../shared/version.js";
import { formatCloudBuildProblem, lintCloudBuild } from "../../tools/deploy-checks/cloud-build-lint.js";
import { runTwined } from "../cli/run-cli.js";
import { type CollectedProcess, collectProcess } from "../support/collect-process.js";

const repositoryRoot = path.resolve(".");
const TEMPLATE = path.resolve("runtime/service-deployment/cloudbuild.yaml");
const PROJECT_ID = "test-project";
const DIGEST = `sha256:${"0123456789abcdef".repeat(4)}`;
const IDENTITY_PATH = "/computeMetadata/v1/instance/service-accounts/default/identity";

interface CloudBuildStep {
  readonly id: string;
  readonly name: string;
  readonly entrypoint?: string;
  readonly args?: readonly string[];
  readonly env?: readonly string[];
  readonly dir?: string;
  readonly waitFor?: readonly string[];
}

interface CloudBuildConfig {
  readonly steps: readonly CloudBuildStep[];
  readonly substitutions: Readonly<Record<string, string>>;
  readonly options?: { readonly logging?: string };
  readonly timeout?: string;
}

/** A step as Cloud Build runs it: every substitution made. */
interface ResolvedStep {
  readonly id: string;
  readonly name: string;
  readonly entrypoint: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly dir: string;
}

function readConfig(file: string): CloudBuildConfig {
  return parse(readFileSync(file, "utf8")) as CloudBuildConfig;
}

/**
 * Cloud Build's substitution, as its open-source local builder does it: `$$` is a `$`, and `$NAME` or `${NAME}` (NAME
 * of `[A-Z_][A-Z0-9_]*`) is the substitution's value. An unknown NAME fails, as it fails a build (MUST_MATCH).
 */
function substitute(text: string, values: Readonly<Record<string, string>>, used: Set<string>): string {
  return text.replace(
    /\$\$|\$\{([A-Z_][A-Z0-9_]*)\}|\$([A-Z_][A-Z0-9_]*)/g,
    (match, braced: string | undefined, bare: string | undefined) => {
      if (match === "$$") return "$";
      const key = braced ?? bare ?? "";
      const value = values[key];
      if (value === undefined) throw new Error(`'${match}' is not a substitution; a shell's own $ must be written $$`);
      used.add(key);
      return value;
    },
  );
}

/** The build's steps with its built-in and user substitutions made, and the user substitutions nothing used. */
function resolveBuild(
  config: CloudBuildConfig,
  trigger: { branch: string; commit: string; substitutions?: Readonly<Record<string, string>> },
): { steps: ResolvedStep[]; unused: string[] } {
  const values = {
    PROJECT_ID,
    BUILD_ID: "b0e1c2d3-0000-4000-8000-000000000000",
    BRANCH_NAME: trigger.branch,
    COMMIT_SHA: trigger.commit,
    SHORT_SHA: trigger.commit.slice(0, 7),
    ...config.substitutions,
    ...trigger.substitutions,
  };
  const used = new Set<string>();
  const steps = config.steps.map((step) => ({
    id: step.id,
    name: substitute(step.name, values, used),
    entrypoint: substitute(step.entrypoint ?? "", values, used),
    args: (step.args ?? []).map((arg) => substitute(arg, values, used)),
    env: Object.fromEntries(
      (step.env ?? []).map((entry) => {
        const text = substitute(entry, values, used);
        const equals = text.indexOf("=");
        return [text.slice(0, equals), text.slice(equals + 1)];
      }),
    ),
    dir: substitute(step.dir ?? ".", values, used),
  }));
  const unused = Object.keys(config.substitutions).filter((key) => !used.has(key));
  return { steps, unused };
}

/** Runs a step's entry point with its arguments, in its folder under `workspace` (Cloud Build's /workspace). */
function runStep(
  step: ResolvedStep,
  workspace: string,
  env: Readonly<Record<string, string>>,
): Promise<CollectedProcess> {
  return collectProcess(step.entrypoint, step.args, {
    cwd: path.resolve(workspace, step.dir),
    env: { ...env, ...step.env },
  });
}

function stepOf(steps: readonly ResolvedStep[], id: string): ResolvedStep {
  const step = steps.find((each) => each.id === id);
  if (step === undefined) throw new Error(`the build has no step '${id}'`);
  return step;
}

async function listen(server: Server): Promise<string> {
  server.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function close(server: Server): Promise<unknown> {
  return new Promise((resolve) => server.close(resolve));
}

describe("runtime/service-deployment/cloudbuild.yaml", () => {
  it("passes the Cloud Build linter, as does the file init writes from it", async () => {
    const problems = lintCloudBuild(readFileSync(TEMPLATE, "utf8"), TEMPLATE);
    expect(problems.map(formatCloudBuildProblem)).toEqual([]);
    const target = path.join(mkdtempSync(path.join(tmpdir(), "twined-service-lint-")), "service");
    expect((await runTwined(["service", "init", "child-services", target, "--namespace", "examples"])).code).toBe(0);
    const written = path.join(target, "parent", "cloudbuild.yaml");
    expect(lintCloudBuild(readFileSync(written, "utf8"), written).map(formatCloudBuildProblem)).toEqual([]);
  });

  it("defaults every substitution, uses every one, and leaves no shell $ for Cloud Build to take", () => {
    const config = readConfig(TEMPLATE);
    expect(Object.keys(config.substitutions).sort()).toEqual([
      "_DEFAULT_BRANCH",
      "_DIR",
      "_REGION",
      "_REGISTRY_URL",
      "_REPOSITORY",
      "_SERVICE",
      "_TWINED_VERSION",
    ]);
    expect(config.substitutions).toMatchObject({
      _REGION: "europe-west1",
      _REPOSITORY: "main-twined-services",
      _REGISTRY_URL: "",
      _DEFAULT_BRANCH: "main",
    });
    const { steps, unused } = resolveBuild(config, { branch: "main", commit: "a".repeat(40) });
    expect(unused).toEqual([]);
    expect(config.steps.map((step) => [step.id, step.name, step.waitFor])).toEqual([
      ["twined", "node:22", ["-"]],
      ["tag", "node:22", ["twined"]],
      ["build", "gcr.io/cloud-builders/docker", ["tag"]],
      ["register", "node:22", ["build"]],
    ]);
    expect(config.options?.logging).toBe("CLOUD_LOGGING_ONLY");
    expect(config.timeout).toMatch(/^\d+s$/);
    expect(stepOf(steps, "twined").args).toEqual([
      "install",
      "--no-save",
      "--no-audit",
      "--no-fund",
      "--prefix",
      ".twined",
      "twined@latest",
    ]);
    const build = stepOf(steps, "build");
    expect(build.env).toEqual({ DOCKER_BUILDKIT: "1" });
    const script = build.args.at(-1) ?? "";
    expect(script).toContain(
      'image="europe-west1-docker.pkg.dev/test-project/main-twined-services/my-namespace/my-service:$(cat .twined/tag)"',
    );
    expect(script).toContain('docker build -f "$file" --build-arg "TWINED_PACKAGE=twined@latest" -t "$image" .');
    expect(script).toContain("file=.twined/node_modules/twined/runtime/Dockerfile");
  });

  it("falls back to the Dockerfile that ships in the package", () => {
    const packageJson = JSON.parse(readFileSync("package.json", "utf8")) as { files: string[] };
    expect(packageJson.files).toEqual(expect.arrayContaining(["runtime/Dockerfile", "runtime/service-deployment"]));
  });
});

describe("a service's cloudbuild.yaml, its tag and register steps run for real", () => {
  const scratch = mkdtempSync(path.join(tmpdir(), "twined-service-deployment-"));
  /** Cloud Build's /workspace: the repository, here the child-services template (a service per folder). */
  const workspace = path.join(scratch, "workspace");
  const metadataRequests: { path: string; audience: string | null; flavor: string | undefined }[] = [];
  const registryAuthorizations: (string | undefined)[] = [];
  let network: EmbeddedNetwork;
  let servers: Server[];
  let registryUrl: string;
  let stepEnv: Record<string, string>;

  beforeAll(async () => {
    network = await startEmbeddedNetwork({ dataDirectory: path.join(scratch, ".network"), databasePath: ":memory:" });
    const api = createHttpApi(network).listen(0, "127.0.0.1");
    await new Promise((resolve) => api.once("listening", resolve));
    const apiPort = (api.address() as AddressInfo).port;
    // The registry seen through a proxy that notes the bearer token (the embedded network ignores it).
    const registry = createServer((incoming, outgoing) => {
      registryAuthorizations.push(incoming.headers.authorization);
      const forwarded = httpRequest(
        { host: "127.0.0.1", port: apiPort, path: incoming.url, method: incoming.method, headers: incoming.headers },
        (answer) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      incoming.pipe(forwarded);
    });
    const metadata = createServer((incoming, outgoing) => {
      const url = new URL(incoming.url ?? "/", "http://metadata");
      const flavor = incoming.headers["metadata-flavor"];
      metadataRequests.push({ path: url.pathname, audience: url.searchParams.get("audience"), flavor: `${flavor}` });
      if (flavor !== "Google") {
        outgoing.writeHead(403).end("Missing required header: Metadata-Flavor");
        return;
      }
      if (url.pathname !== IDENTITY_PATH || !url.searchParams.get("audience")) {
        outgoing.writeHead(404).end("not found");
        return;
      }
      outgoing.writeHead(200, { "content-type": "text/html", "metadata-flavor": "Google" });
      outgoing.end(`id-token-for-${url.searchParams.get("audience")}`);
    });
    servers = [api, registry, metadata];
    registryUrl = `http://${await listen(registry)}`;
    stepEnv = {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: scratch,
      NO_COLOR: "1",
      GCE_METADATA_HOST: await listen(metadata),
    };

    expect((await runTwined(["service", "init", "child-services", workspace, "--namespace", "examples"])).code).toBe(0);
    // What the `twined` step's `npm install --prefix .twined twined@…` provides: a `twined` command, here this
    // repository's CLI.
    for (const service of ["elevation", "wind-speed"]) {
      const bin = path.join(workspace, service, ".twined", "node_modules", ".bin");
      mkdirSync(bin, { recursive: true });
      const shim = path.join(bin, "twined");
      writeFileSync(
        shim,
        `#!/bin/sh\nexec "${path.join(repositoryRoot, "node_modules", ".bin", "tsx")}" "${path.join(repositoryRoot, "cli", "main.ts")}" "$@"\n`,
      );
      chmodSync(shim, 0o755);
    }
    writeFileSync(
      path.join(workspace, "elevation", "pyproject.toml"),
      '[project]\nname = "elevation"\nversion = "0.4.0"\n',
    );
  });

  afterAll(async () => {
    await Promise.all((servers ?? []).map(close));
    await network?.close();
  });

  /** Runs the `tag` step, then (with the image the `build` step would have pushed) the `register` step. */
  async function tagAndRegister(service: string, trigger: { branch: string; commit: string }) {
    const config = readConfig(path.join(workspace, service, "cloudbuild.yaml"));
    const { steps, unused } = resolveBuild(config, { ...trigger, substitutions: { _REGISTRY_URL: registryUrl } });
    expect(unused).toEqual([]);
    const tagStep = stepOf(steps, "tag");
    const registerStep = stepOf(steps, "register");
    expect([tagStep.entrypoint, registerStep.entrypoint]).toEqual(["bash", "bash"]);
    expect(tagStep.dir).toBe(service);

    const tagged = await runStep(tagStep, workspace, stepEnv);
    expect(tagged.stderr).toBe("");
    expect(tagged.code).toBe(0);
    const tag = readFileSync(path.join(workspace, service, ".twined", "tag"), "utf8").trim();

    const repository = `europe-west1-docker.pkg.dev/${PROJECT_ID}/main-twined-services/${config.substitutions._SERVICE}`;
    writeFileSync(path.join(workspace, service, ".twined", "image"), `${repository}@${DIGEST}\n`);
    const registered = await runStep(registerStep, workspace, stepEnv);
    return { tag, registered, image: `${repository}@${DIGEST}` };
  }

  it("registers a push to main as the default revision, by digest, tagged with the package version", async () => {
    const commit = "5d41402abc4b2a76b9719d911017c592ae1b7f3c";
    const { tag, registered, image } = await tagAndRegister("elevation", { branch: "main", commit });
    const expected = await runTwined([
      "service",
      "tag",
      path.join(workspace, "elevation"),
      "--branch",
      "main",
      "--commit",
      commit,
    ]);
    expect(tag).toBe(expected.stdout.trim());
    expect(tag).toBe("0.4.0");
    expect(registered.code).toBe(0);
    expect(registered.stdout).toBe("examples/elevation:0.4.0\n");
    expect(registered.stderr).toContain("it is now the default revision of examples/elevation");

    const revision = await network.revisions.get("examples", "elevation", "0.4.0");
    expect(revision).toMatchObject({ source: { kind: "image", image }, isDefault: true });
    expect(image).toMatch(/^europe-west1-docker\.pkg\.dev\/test-project\/main-twined-services\/examples\/elevation@/);
    expect(metadataRequests.at(-1)).toEqual({ path: IDENTITY_PATH, audience: registryUrl, flavor: "Google" });
    expect(registryAuthorizations.at(-1)).toBe(`Bearer id-token-for-${registryUrl}`);
  }, 60_000);

  it("registers a push to another branch as a revision that is not the default", async () => {
    const commit = "e4da3b7fbbce2345d7772b0674a318d5aaaa0b1c";
    const { tag, registered, image } = await tagAndRegister("elevation", { branch: "feature/Faster-Lookup", commit });
    expect(tag).toBe("feature-faster-lookup-e4da3b7");
    expect(registered.code).toBe(0);
    expect(registered.stderr).not.toContain("default revision");
    expect(await network.revisions.get("examples", "elevation", tag)).toMatchObject({
      source: { kind: "image", image },
      isDefault: false,
    });
    expect(await network.revisions.getDefault("examples", "elevation")).toMatchObject({ revisionTag: "0.4.0" });
  }, 60_000);

  it("tags a push to main of a service without a version with its short commit", async () => {
    const commit = "c4ca4238a0b923820dcc509a6f75849b00000000";
    const { tag, registered } = await tagAndRegister("wind-speed", { branch: "main", commit });
    expect(tag).toBe("c4ca423");
    expect(registered.code).toBe(0);
    expect(await network.revisions.getDefault("examples", "wind-speed")).toMatchObject({
      revisionTag: "c4ca423",
      source: { kind: "image", image: expect.stringMatching(/\/examples\/wind-speed@sha256:/) },
    });
  }, 60_000);

  it("fails the register step with what to set when the trigger gives no _REGISTRY_URL", async () => {
    const config = readConfig(path.join(workspace, "elevation", "cloudbuild.yaml"));
    const { steps } = resolveBuild(config, { branch: "main", commit: "a".repeat(40) });
    const before = metadataRequests.length;
    const result = await runStep(stepOf(steps, "register"), workspace, stepEnv);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: the _REGISTRY_URL substitution is empty: set it on the trigger /);
    expect(metadataRequests.length).toBe(before);
  });

  it("pins the twined it installs to the version that wrote it", () => {
    const config = readConfig(path.join(workspace, "elevation", "cloudbuild.yaml"));
    const { steps } = resolveBuild(config, { branch: "main", commit: "a".repeat(40) });
    expect(stepOf(steps, "twined").args.at(-1)).toBe(`twined@${TWINED_VERSION}`);
    expect(stepOf(steps, "build").args.at(-1)).toContain(`TWINED_PACKAGE=twined@${TWINED_VERSION}`);
  });
});
