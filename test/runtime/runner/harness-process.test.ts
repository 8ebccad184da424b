import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { HarnessProcess } from "../../../runtime/runner/harness-process.js";

describe("a harness process", () => {
  it("ends its messages when it died before anybody read them, as a spare killed while it waits does", async () => {
    const harness = new HarnessProcess({
      python: process.env.TWINED_PYTHON ?? "python3",
      cwd: mkdtempSync(path.join(tmpdir(), "twined-harness-")),
      env: { ...process.env },
      onOutput: () => {},
    });
    expect((await harness.terminate(0)).signal).not.toBeNull();
    // Node has drained the dead process's pipes by now: a reader attached only now used to wait for ever.
    let timer: NodeJS.Timeout | undefined;
    const read = (async () => {
      const messages = [];
      for await (const message of harness.messages()) messages.push(message);
      return messages;
    })();
    const outcome = await Promise.race([
      read,
      new Promise((resolve) => {
        timer = setTimeout(() => resolve("its messages never ended"), 5_000);
      }),
    ]);
    clearTimeout(timer);
    expect(outcome).toEqual([]);
  });
});
