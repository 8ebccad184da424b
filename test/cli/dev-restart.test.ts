import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
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
      const ask = async (seconds: number) => {
        const response = await fetch(`${base}/questions`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ recipient: "restart/sleeper", input_values: { seconds }, cpus: 1 }),
        });
        expect(response.status).toBe(202);
        return ((await response.json()) as { question_uuid: string }).question_uuid;
      };
      const running = await ask(30);
      await waitFor(async () => (await summary(base, running)).status === "running", {
        timeoutMs: 60_000,
        description: "the first question to run",
      });
      const waiting = [await ask(1), await ask(1)];
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
      // Its asker hears of it as an exception event, as from any failure.
      await waitFor(
        async () => {
          const response = await fetch(`${again}/questions/${running}/events?kinds=exception`);
          const { events } = (await response.json()) as { events: { event: { exception_type: string } }[] };
          return events.some((event) => event.event.exception_type === "NetworkStopped");
        },
        { timeoutMs: 30_000, description: "the exception event of the failed question" },
      );
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
  }, 240_000);
});
