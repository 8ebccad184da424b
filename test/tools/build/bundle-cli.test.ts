import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage } from "node:http";
import { builtinModules } from "node:module";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { packageRoot } from "../../../shared/package-root.js";
import { BUNDLED_DEPENDENCIES, type BundleReport, bundleCli } from "../../../tools/build/bundle-cli.js";
import { copyOfExample, registerFolder } from "../../scenarios/scenario-services.js";
import { type CollectedProcess, collectProcess } from "../../support/collect-process.js";
import { waitFor } from "../../support/wait-for.js";

const root = packageRoot();
const manifest = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
  version: string;
  dependencies: Record<string, string>;
};

/** `node_modules/@scope/name/sub/path` and `name/sub` → the package's name. */
function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : (parts[0] ?? specifier);
}

describe("the bundled CLI (dist/cli/bundle, what `twined` runs once built)", () => {
  let folder = "";
  let report: BundleReport;

  beforeAll(async () => {
    folder = mkdtempSync(path.join(root, "test-output", "bundle-cli-"));
    report = await bundleCli(folder);
  }, 120_000);

  afterAll(() => {
    rmSync(folder, { recursive: true, force: true });
  });

  /** Runs the bundle's entry as the `twined` command, in `cwd`. */
  function run(args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<CollectedProcess> {
    return collectProcess(process.execPath, [path.join(folder, "main.js"), ...args], {
      cwd,
      env: { ...env, NO_COLOR: "1" },
    });
  }

  it("leaves to node_modules only Node's built-ins and the package's own runtime dependencies", () => {
    // A devDependency imported by the command's code would be bundled in silently, or, left out, missing for users.
    const builtins = new Set(builtinModules);
    const leftOut = [...report.externalImports].filter((specifier) => !builtins.has(specifier.replace(/^node:/, "")));
    const packages = new Set(leftOut.map(packageOf));
    for (const name of packages) {
      expect(Object.keys(manifest.dependencies), `${name} is left to node_modules`).toContain(name);
      expect(BUNDLED_DEPENDENCIES, `${name} is bundled`).not.toContain(name);
    }
    // The native addon and the SDKs are among them: bundling those breaks them.
    expect(packages).toContain("better-sqlite3");
    expect(packages).toContain("@google-cloud/pubsub");
    expect(report.outputs.get("main.js")).toBeGreaterThan(0);
  });

  it("starts with the lazily loaded chunks of commands beside its entry", () => {
    // Each command's code is a chunk of its own (esbuild's splitting), loaded only when that command runs.
    const chunks = [...report.outputs.keys()].filter((file) => file !== "main.js");
    expect(chunks.length).toBeGreaterThan(10);
    expect(report.outputs.get("main.js")).toBeLessThan(20_000);
  });

  it("answers --version, validates a service and answers its question as the sources do", async () => {
    const service = copyOfExample("fractal");
    expect(await run(["--version"], service)).toMatchObject({ code: 0, stdout: `${manifest.version}\n` });
    const validated = await run(["service", "validate"], service);
    expect(validated).toMatchObject({ code: 0, stdout: expect.stringMatching(/^ok: examples\/fractal/) });
    const answered = await run(["question", "ask-local"], service);
    expect(answered.code).toBe(0);
    const result = JSON.parse(answered.stdout) as { kind: string; output_values: { data: { x: unknown[] } } };
    expect(result.kind).toBe("result");
    expect(result.output_values.data.x).toHaveLength(200);
  }, 60_000);

  it("ends an ask-local it refuses with the usage status, having stopped the Python it started early", async () => {
    // main.ts starts the harness before the arguments are parsed; left running, it would keep the command alive.
    const refused = await run(["question", "ask-local", "--no-such-option"], copyOfExample("fractal"));
    expect(refused).toMatchObject({ code: 2, stderr: expect.stringMatching(/unknown option '--no-such-option'/) });
    expect(refused.stderr).not.toMatch(/\n\s+at /);
  }, 30_000);

  it("runs a dev network whose traces reach the SDK loaded from node_modules through the bundled OpenTelemetry API", async () => {
    // @opentelemetry/api is bundled, its SDK is not: the two meet only through the API's global registration.
    const bodies: string[] = [];
    const collector = createServer(async (request: IncomingMessage, response) => {
      const chunks: Buffer[] = [];
      for await (const chunk of request) chunks.push(chunk as Buffer);
      bodies.push(Buffer.concat(chunks).toString("utf8"));
      response.writeHead(200, { "content-type": "application/json" }).end("{}");
    });
    await new Promise<void>((resolve) => collector.listen(0, "127.0.0.1", resolve));
    const data = mkdtempSync(path.join(root, "test-output", "bundle-cli-dev-"));
    const env = {
      ...process.env,
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}`,
    };
    const dev = spawn(process.execPath, [path.join(folder, "main.js"), "dev", "--port", "0", "--data-dir", data], {
      cwd: data,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    dev.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    dev.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    try {
      await waitFor(() => /listening on (http:\/\/\S+) /.test(output), {
        timeoutMs: 45_000,
        intervalMs: 50,
        description: () => `twined dev to listen:\n${output}`,
      });
      const network = /listening on (http:\/\/\S+) /.exec(output)?.[1] ?? "";
      const service = copyOfExample("fractal");
      const networkEnv = { ...env, TWINED_NETWORK_URL: network };
      await registerFolder(network, service, { namespace: "examples", name: "fractal", tag: "1.0.0" });
      const asked = await run(["question", "ask", "examples/fractal", "--json"], service, networkEnv);
      expect(asked).toMatchObject({ code: 0, stdout: expect.stringContaining('"output_values"') });
      await waitFor(() => bodies.some((body) => body.includes("twined-dev") && body.includes('"traceId"')), {
        timeoutMs: 30_000,
        intervalMs: 100,
        description: () => `spans of the question at the collector (${bodies.length} requests)`,
      });
    } finally {
      dev.kill("SIGTERM");
      await new Promise((resolve) => dev.once("close", resolve));
      collector.closeAllConnections();
      await new Promise((resolve) => collector.close(resolve));
      rmSync(data, { recursive: true, force: true });
    }
  }, 120_000);
});
