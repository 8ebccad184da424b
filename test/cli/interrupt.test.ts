import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { twinedCommand } from "../../shared/package-root.js";

describe("twined question ask-local, interrupted", () => {
  it("cancels the question on Ctrl-C (SIGINT): the app stops and the answer is a QuestionCancelled exception", async () => {
    const service = mkdtempSync(path.join(tmpdir(), "twined-interrupt-"));
    writeFileSync(path.join(service, "octue.yaml"), "services:\n  - namespace: testing\n    name: sleeper\n");
    writeFileSync(path.join(service, "twine.json"), "{}");
    writeFileSync(
      path.join(service, "app.py"),
      "import logging, time\n\ndef run(analysis):\n    logging.getLogger('sleeper').info('sleeping')\n    time.sleep(60)\n",
    );
    const [command = process.execPath, ...prefix] = twinedCommand();
    const child = spawn(command, [...prefix, "question", "ask-local"], {
      cwd: service,
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    const started = new Promise<void>((resolve) => {
      child.stderr.on("data", (chunk: Buffer) => {
        stderr += chunk.toString();
        if (stderr.includes("sleeping")) resolve();
      });
    });
    await started;
    const interruptedAt = Date.now();
    child.kill("SIGINT");
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    expect(code).toBe(1);
    expect(Date.now() - interruptedAt).toBeLessThan(15_000);
    const event = JSON.parse(stdout) as { kind: string; exception_type: string; exception_message: string };
    expect(event).toMatchObject({ kind: "exception", exception_type: "QuestionCancelled" });
    expect(event.exception_message).toMatch(/interrupted from the keyboard/);
  }, 30_000);
});
