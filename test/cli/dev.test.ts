import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { useEmulators } from "../support/emulators.js";
import { startTwined } from "../support/twined-process.js";
import { waitFor } from "../support/wait-for.js";

const emulators = useEmulators();
const backends: [string, string[]][] = [["the embedded backend", []]];
if (emulators.available) {
  backends.push(["the emulators", ["--backend", "emulators", "--project", emulators.projectId]]);
}

describe.each(backends)("twined dev on %s", (_name, backendArguments) => {
  it("runs a network that answers questions over HTTP, and stops cleanly on Ctrl-C", async () => {
    const data = mkdtempSync(path.join(tmpdir(), "twined-dev-"));
    const service = path.join(data, "wind-speed");
    cpSync(path.resolve("examples/child-services/wind-speed"), service, { recursive: true });
    const twined = startTwined([
      "dev",
      "--port",
      "0",
      "--data-dir",
      path.join(data, ".twined"),
      "--cpus",
      "1",
      ...backendArguments,
    ]);
    try {
      // On the emulators it first provisions every topic and subscription, which is slow on a busy machine.
      await waitFor(() => /listening on (http:\/\/\S+) /.test(twined.output.stdout), {
        timeoutMs: 45_000,
        intervalMs: 50,
      });
      const base = /listening on (http:\/\/\S+) /.exec(twined.output.stdout)?.[1] ?? "";
      const put = await fetch(`${base}/registry/examples/wind-speed/revisions/0.1.0`, {
        method: "PUT",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          twine: JSON.parse(readFileSync(path.join(service, "twine.json"), "utf8")),
          source: { kind: "directory", path: service },
          default: true,
        }),
      });
      expect(put.status).toBe(201);
      const asked = await fetch(`${base}/questions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          recipient: "examples/wind-speed",
          input_values: { locations: [{ longitude: 0, latitude: 0 }] },
        }),
      });
      expect(asked.status).toBe(202);
      const { question_uuid: uuid } = (await asked.json()) as { question_uuid: string };
      let question: { status?: string; answer?: unknown } = {};
      await waitFor(
        async () => {
          question = (await (await fetch(`${base}/questions/${uuid}`)).json()) as typeof question;
          return question.status === "succeeded";
        },
        // The emulators share the machine with the other suites' 200-question loads in CI: give them time.
        { timeoutMs: 90_000, intervalMs: 100, description: () => `the question to succeed (it is ${question.status})` },
      );
      expect(question.answer).toEqual({ output_values: [59] });
    } finally {
      twined.kill("SIGINT");
    }
    expect(await twined.exited).toBe(0);
    expect(twined.output.stdout).toMatch(/Stopping \(SIGINT\)/);
  }, 180_000);
});
