import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startTwined } from "../support/twined-process.js";
import { waitFor } from "../support/wait-for.js";

describe("twined question ask-local, interrupted", () => {
  it("cancels the question on Ctrl-C (SIGINT): the app stops and the answer is a QuestionCancelled exception", async () => {
    const service = mkdtempSync(path.join(tmpdir(), "twined-interrupt-"));
    writeFileSync(path.join(service, "octue.yaml"), "services:\n  - namespace: testing\n    name: sleeper\n");
    writeFileSync(path.join(service, "twine.json"), "{}");
    writeFileSync(
      path.join(service, "app.py"),
      "import logging, time\n\ndef run(analysis):\n    logging.getLogger('sleeper').info('sleeping')\n    time.sleep(60)\n",
    );
    const twined = startTwined(["question", "ask-local"], service);
    await waitFor(() => twined.output.stderr.includes("sleeping"), { timeoutMs: 20_000, intervalMs: 50 });
    const interruptedAt = Date.now();
    twined.kill("SIGINT");
    const code = await twined.exited;
    expect(code).toBe(1);
    expect(Date.now() - interruptedAt).toBeLessThan(15_000);
    const event = JSON.parse(twined.output.stdout) as {
      kind: string;
      exception_type: string;
      exception_message: string;
    };
    expect(event).toMatchObject({ kind: "exception", exception_type: "QuestionCancelled" });
    expect(event.exception_message).toMatch(/interrupted from the keyboard/);
  }, 30_000);
});
