import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { testTwinedCommand } from "../support/twined-command.js";

/** What a user would see of a crash: an unhandled 'error' event, a stack frame, Node's internals. */
const CRASH = /Error: write|Unhandled|^ {4}at |node:internal|EPIPE/m;

interface Closed {
  readonly code: number | null;
  /** What the command wrote before its reader left (stdout when stdout is closed, stderr when stderr is). */
  readonly before: string;
  /** The other stream, read to its end. */
  readonly other: string;
}

/**
 * Runs `twined ARGS` as its own process with `stream` read by a reader that leaves after `afterLines` lines (0: at
 * once, before the command has written anything), like `twined … | head -1`.
 */
function runWithClosingReader(
  args: readonly string[],
  { stream = "stdout", afterLines = 1, cwd }: { stream?: "stdout" | "stderr"; afterLines?: number; cwd?: string } = {},
): Promise<Closed> {
  const [command = process.execPath, ...prefix] = testTwinedCommand();
  const child = spawn(command, [...prefix, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const closing = stream === "stdout" ? child.stdout : child.stderr;
  const other = stream === "stdout" ? child.stderr : child.stdout;
  let before = "";
  let rest = "";
  if (afterLines === 0) closing.destroy();
  else {
    closing.on("data", (chunk: Buffer) => {
      before += chunk.toString();
      if (before.split("\n").length > afterLines) closing.destroy();
    });
  }
  other.on("data", (chunk: Buffer) => {
    rest += chunk.toString();
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, before, other: rest })));
}

/** A service whose app logs until it is stopped: an endless stream of events. */
function chattyService(): string {
  const service = mkdtempSync(path.join(tmpdir(), "twined-closed-pipe-"));
  writeFileSync(path.join(service, "octue.yaml"), "services:\n  - namespace: testing\n    name: chatty\n");
  writeFileSync(path.join(service, "twine.json"), "{}");
  writeFileSync(
    path.join(service, "app.py"),
    "import logging, os, time\n\ndef run(analysis):\n    open('app.pid', 'w').write(str(os.getpid()))\n    while True:\n        logging.getLogger('chatty').info('still going')\n        time.sleep(0.01)\n",
  );
  const question = {
    event: { kind: "question", input_values: null },
    attributes: {
      datetime: "2024-04-11T09:26:39.144818",
      uuid: "c8bda9fa-f072-4330-92b1-96920d06b28d",
      question_uuid: "ca534cdd-24cb-4ed2-af57-e36757192acb",
      originator_question_uuid: "ca534cdd-24cb-4ed2-af57-e36757192acb",
      parent: "octue/parent:1.0.0",
      originator: "octue/parent:1.0.0",
      sender: "octue/parent:1.0.0",
      sender_type: "PARENT",
      sender_sdk_version: "0.69.0",
      recipient: "testing/chatty:0.1.0",
      retry_count: 0,
      forward_logs: true,
      save_diagnostics: "SAVE_DIAGNOSTICS_OFF",
    },
  };
  writeFileSync(path.join(service, "question.json"), JSON.stringify(question));
  return service;
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// 128 + SIGPIPE: what a shell reports for git or cat cut short by `| head`.
const CLOSED_PIPE = 141;

describe("twined, its output closed by the reader (| head)", () => {
  it("ends a listing quietly when stdout is closed before it writes", async () => {
    const result = await runWithClosingReader(["service", "init", "--list"], { afterLines: 0 });
    expect(result.other).not.toMatch(CRASH);
    expect(result.other).toBe("");
    expect(result.code).toBe(CLOSED_PIPE);
  });

  it("ends a help text quietly when stdout is closed before it writes", async () => {
    const result = await runWithClosingReader(["question", "ask", "--help"], { afterLines: 0 });
    expect(result.other).toBe("");
    expect(result.code).toBe(CLOSED_PIPE);
  });

  it("ends quietly when stderr is closed before an error message", async () => {
    const result = await runWithClosingReader(["service", "init", "nonesuch"], { stream: "stderr", afterLines: 0 });
    expect(result.other).not.toMatch(CRASH);
    expect(result.code).toBe(CLOSED_PIPE);
  });

  it("stops an endless stream of events on stdout after the reader's first line, and its app with it", async () => {
    const service = chattyService();
    const result = await runWithClosingReader(["service", "answer", "--question", "@question.json"], {
      cwd: service,
    });
    expect(JSON.parse(result.before.split("\n")[0] ?? "")).toMatchObject({
      event: { kind: "delivery_acknowledgement" },
    });
    expect(result.other).not.toMatch(CRASH);
    expect(result.code).toBe(CLOSED_PIPE);
    expect(isRunning(Number(readFileSync(path.join(service, "app.pid"), "utf8")))).toBe(false);
  }, 60_000);

  it("stops an endless stream of logs on stderr after the reader's first line", async () => {
    const service = chattyService();
    const result = await runWithClosingReader(["question", "ask-local", "--json"], {
      cwd: service,
      stream: "stderr",
    });
    expect(result.before).not.toMatch(CRASH);
    expect(result.other).not.toMatch(CRASH);
    expect(result.code).toBe(CLOSED_PIPE);
  }, 60_000);
});

describe("twined --version, answered without loading the command tree", () => {
  it("prints the version, and ends quietly when its reader has gone", async () => {
    const { TWINED_VERSION } = await import("../../shared/version.js");
    const printed = await runWithClosingReader(["--version"], { afterLines: 1 });
    expect(printed).toMatchObject({ code: 0, before: `${TWINED_VERSION}\n`, other: "" });
    const closed = await runWithClosingReader(["-V"], { afterLines: 0 });
    expect(closed.code).toBe(141);
    expect(closed.other).not.toMatch(CRASH);
  });
});
