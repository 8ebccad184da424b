import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { uniqueName, useEmulators } from "../support/emulators.js";
import { startTwined, type TwinedProcess } from "../support/twined-process.js";
import { waitFor } from "../support/wait-for.js";

const emulators = useEmulators();
const backends: [string, () => string[]][] = [["the embedded backend", () => []]];
if (emulators.available) {
  // A project of its own, the same for both runs of the network: what the first left behind, the second finds.
  backends.push(["the emulators", () => ["--backend", "emulators", "--project", uniqueName("restart")]]);
}

/** A service that sleeps for `input_values.seconds`. */
function sleeperService(root: string): string {
  const directory = path.join(root, "sleeper");
  mkdirSync(directory, { recursive: true });
  writeFileSync(path.join(directory, "octue.yaml"), "services:\n  - namespace: restart\n    name: sleeper\n");
  writeFileSync(
    path.join(directory, "twine.json"),
    JSON.stringify({ input_values_schema: {}, output_values_schema: {} }),
  );
  writeFileSync(
    path.join(directory, "app.py"),
    "import time\n\ndef run(analysis):\n    time.sleep(analysis.input_values['seconds'])\n    analysis.output_values = {'slept': analysis.input_values['seconds']}\n",
  );
  return directory;
}

async function listening(twined: TwinedProcess): Promise<string> {
  const pattern = /listening on (http:\/\/\S+) /;
  await waitFor(() => pattern.test(twined.output.stdout), {
    timeoutMs: 60_000,
    intervalMs: 50,
    description: () => `twined dev to listen (it printed: ${twined.output.stdout}${twined.output.stderr})`,
  });
  return pattern.exec(twined.output.stdout)?.[1] ?? "";
}

interface Summary {
  status: string;
  error?: { type: string; message: string } | null;
  answer?: unknown;
}

/** The processes whose command line names `pattern` (pgrep -f), or whose parent is `parent` (pgrep -P). */
function processes(options: { pattern?: string; parent?: number }): number[] {
  const args = options.parent === undefined ? ["-f", options.pattern ?? ""] : ["-P", String(options.parent)];
  try {
    return execFileSync("pgrep", args, { encoding: "utf8" }).split("\n").filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}

/** The runner of the question's job and its app's Python process, once both are there. */
function jobProcesses(questionUuid: string): [runner: number, app: number] | undefined {
  for (const runner of processes({ pattern: questionUuid })) {
    const app = processes({ parent: runner }).find((child) => commandLine(child).includes("twined_harness"));
    if (app !== undefined) return [runner, app];
  }
  return undefined;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return ""; // it has ended
  }
}

async function register(base: string, service: string): Promise<void> {
  const put = await fetch(`${base}/registry/restart/sleeper/revisions/1.0.0`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      twine: { input_values_schema: {}, output_values_schema: {} },
      source: { kind: "directory", path: service },
      default: true,
    }),
  });
  expect(put.status).toBe(201);
}

async function ask(base: string, seconds: number): Promise<string> {
  const response = await fetch(`${base}/questions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ recipient: "restart/sleeper", input_values: { seconds }, cpus: 1 }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { question_uuid: string }).question_uuid;
}

async function exceptionTypes(base: string, uuid: string): Promise<string[]> {
  const response = await fetch(`${base}/questions/${uuid}/events?kinds=exception`);
  const { events } = (await response.json()) as { events: { event: { exception_type: string } }[] };
  return events.map((event) => event.event.exception_type);
}

async function summary(base: string, uuid: string): Promise<Summary> {
  return (await (await fetch(`${base}/questions/${uuid}`)).json()) as Summary;
}

describe.each(backends)("twined dev killed and started again on %s", (_name, backend) => {
  it("fails the question that was running, saying why, and runs the ones that were waiting", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "twined-restart-"));
    const service = sleeperService(root);
    const backendArguments = backend();
    const dev = () =>
      startTwined(["dev", "--port", "0", "--data-dir", path.join(root, ".twined"), "--cpus", "1", ...backendArguments]);

    const first = dev();
    let second: TwinedProcess | undefined;
    try {
      const base = await listening(first);
      await register(base, service);
      const running = await ask(base, 30);
      await waitFor(async () => (await summary(base, running)).status === "running", {
        timeoutMs: 60_000,
        description: "the first question to run",
      });
      const waiting = [await ask(base, 1), await ask(base, 1)];
      await waitFor(
        async () => (await Promise.all(waiting.map((uuid) => summary(base, uuid)))).every((q) => q.status === "queued"),
        { timeoutMs: 60_000, description: "the others to wait for the one CPU" },
      );

      first.kill("SIGKILL");
      await first.exited;

      second = dev();
      const again = await listening(second);
      expect(second.output.stdout).toContain("2 unfinished question(s) resumed, 1 that were running failed");
      const failed = await summary(again, running);
      expect(failed.status).toBe("failed");
      expect(failed.error?.type).toBe("NetworkStopped");
      expect(failed.error?.message).toContain("the network stopped while the question ran");
      // Its asker hears of it as an exception event, as from any failure. On Pub/Sub the event waits behind the
      // question's earlier messages that the killed network had taken and never acknowledged (same ordering key)
      // until their acknowledgement deadline passes.
      await waitFor(async () => (await exceptionTypes(again, running)).includes("NetworkStopped"), {
        timeoutMs: 120_000,
        description: "the exception event of the failed question",
      });
      for (const uuid of waiting) {
        let last: Summary = { status: "unknown" };
        await waitFor(
          async () => {
            last = await summary(again, uuid);
            return last.status === "succeeded";
          },
          { timeoutMs: 90_000, intervalMs: 200, description: () => `${uuid} to succeed (it is ${last.status})` },
        );
        expect(last.answer).toEqual({ output_values: { slept: 1 } });
      }
    } finally {
      first.kill("SIGKILL");
      second?.kill("SIGINT");
    }
    expect(await second?.exited).toBe(0);
  }, 300_000);

  it("fails a question whose job runner, or whose app, is killed, saying so", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "twined-kills-"));
    const service = sleeperService(root);
    const twined = startTwined([
      "dev",
      ...["--port", "0", "--data-dir", path.join(root, ".twined"), "--cpus", "1", "--isolated-jobs"],
      ...backend(),
    ]);
    try {
      const base = await listening(twined);
      await register(base, service);
      const killed = async (victim: "runner" | "app") => {
        const uuid = await ask(base, 30);
        let runner: number | undefined;
        let app: number | undefined;
        await waitFor(
          async () => {
            // The job's runner is `twined service answer`, named by the question's own folder (perhaps behind a
            // launcher process of Node's that also names it); the app is the runner's Python child.
            [runner, app] = jobProcesses(uuid) ?? [];
            return (await summary(base, uuid)).status === "running" && app !== undefined;
          },
          { timeoutMs: 60_000, description: `the question's job and app to run (${victim})` },
        );
        process.kill((victim === "runner" ? runner : app) ?? 0, "SIGKILL");
        let last: Summary = { status: "unknown" };
        await waitFor(
          async () => {
            last = await summary(base, uuid);
            return last.status === "failed";
          },
          { timeoutMs: 60_000, description: () => `the question to fail (it is ${last.status})` },
        );
        // An app orphaned by its runner's death would sleep on.
        if (victim === "runner" && app !== undefined && processes({ pattern: uuid }).length === 0) {
          process.kill(app, "SIGKILL");
        }
        // The status can be recorded before the asker's event is (another subscription, on Pub/Sub).
        let types: string[] = [];
        await waitFor(
          async () => {
            types = await exceptionTypes(base, uuid);
            return types.length > 0;
          },
          { timeoutMs: 60_000, description: "the question's exception event" },
        );
        expect(types).toEqual(["ServiceCrashed"]);
        return last.error?.message ?? "";
      };
      expect(await killed("runner")).toMatch(/the job ended \(exit code null\) without answering/);
      expect(await killed("app")).toMatch(/the app process ended \(signal SIGKILL\)/);
    } finally {
      twined.kill("SIGINT");
    }
    expect(await twined.exited).toBe(0);
  }, 240_000);
});
