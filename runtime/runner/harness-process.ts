import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { packageRoot } from "../../shared/package-root.js";
import { type HarnessMessage, parseHarnessMessage } from "./harness-messages.js";

/** The folder holding the `twined_harness` Python package. */
export function harnessPythonPath(): string {
  return path.join(packageRoot(), "runtime", "python");
}

export interface HarnessProcessOptions {
  readonly python: string;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
  /** The app's own stdout and stderr (print(), warnings), which never share a pipe with the protocol. */
  readonly onOutput: (stream: "stdout" | "stderr", text: string) => void;
}

export interface HarnessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A running harness, cold (a process of its own, below) or warm (forked from a revision's zygote, warm-starts.ts). */
export interface Harness {
  readonly exited: Promise<HarnessExit>;
  /** Messages from the harness in the order sent; ends when the harness closes its events channel. */
  messages(): AsyncGenerator<HarnessMessage>;
  send(message: Record<string, unknown>): void;
  /** Asks the harness to stop (SIGTERM), and kills it (SIGKILL) if it is still running after the grace period. */
  terminate(graceMs: number): Promise<HarnessExit>;
  /** Lets the harness exit by itself after its final message (it may be joining the app's threads), then stops it. */
  finish(waitMs: number, graceMs: number): Promise<HarnessExit>;
  /** The last lines the harness wrote to stderr, for crash reports. */
  stderrExcerpt(maxLines?: number): string;
}

/** The harness's environment: its package on PYTHONPATH, unbuffered output, and where its channel is. */
export function harnessEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const pythonPath = [harnessPythonPath(), env.PYTHONPATH].filter(Boolean).join(path.delimiter);
  return {
    ...env,
    PYTHONPATH: pythonPath,
    PYTHONUNBUFFERED: "1",
    TWINED_HARNESS_EVENTS_FD: String(EVENTS_FD),
    TWINED_HARNESS_CONTROL_FD: String(CONTROL_FD),
  };
}

/** `finish` for any harness: wait for its own exit a while, then terminate it. */
export async function finishHarness(harness: Harness, waitMs: number, graceMs: number): Promise<HarnessExit> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), waitMs);
  });
  const exit = await Promise.race([harness.exited, waited]);
  clearTimeout(timer);
  return exit ?? harness.terminate(graceMs);
}

/** SIGTERM, then SIGKILL if the harness has not exited within `graceMs`; resolves with how it exited. */
export async function terminateHarness(
  exited: Promise<HarnessExit>,
  signal: (signal: "SIGTERM" | "SIGKILL") => void,
  graceMs: number,
): Promise<HarnessExit> {
  signal("SIGTERM");
  const timer = setTimeout(() => signal("SIGKILL"), graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Newline-delimited harness messages read from a stream, blank lines skipped, from the moment this is called: call it
 * as the stream is opened, and iterate the generator it returns once the question has started. A reader attached
 * only then could wait for ever: when a process ends with nobody reading its pipes (a spare harness killed while it
 * waited for its question), Node drains them itself, and their end has gone by before the reader arrives.
 */
export function harnessMessages(input: Readable): () => AsyncGenerator<HarnessMessage> {
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })[Symbol.asyncIterator]();
  return async function* () {
    try {
      for (let line = await lines.next(); line.done !== true; line = await lines.next()) {
        if (line.value.trim() === "") continue;
        yield parseHarnessMessage(line.value);
      }
    } finally {
      await lines.return?.();
    }
  };
}

/** Keeps the last lines a harness wrote to stderr. */
export class StderrTail {
  private readonly chunks: string[] = [];

  push(text: string): void {
    this.chunks.push(text);
    if (this.chunks.length > 50) this.chunks.shift();
  }

  excerpt(maxLines: number): string {
    return this.chunks.join("").trimEnd().split("\n").slice(-maxLines).join("\n");
  }
}

const EVENTS_FD = 3;
const CONTROL_FD = 4;

/**
 * One run of the Python harness. Protocol messages travel on two extra pipes (fd 3 from the harness, fd 4 to it) so
 * nothing the app prints can corrupt them.
 */
export class HarnessProcess implements Harness {
  readonly exited: Promise<HarnessExit>;
  private readonly child: ChildProcess;
  private readonly control: Writable;
  private readonly readMessages: () => AsyncGenerator<HarnessMessage>;
  private readonly stderrTail = new StderrTail();

  constructor(options: HarnessProcessOptions) {
    this.child = spawn(options.python, ["-u", "-m", "twined_harness"], {
      cwd: options.cwd,
      env: harnessEnvironment(options.env),
      stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"],
    });
    const [, stdout, stderr, events, control] = this.child.stdio;
    this.readMessages = harnessMessages(events as Readable);
    this.control = control as Writable;
    // The harness may exit before reading everything we send; that is reported through `exited`, not as an error.
    this.control.on("error", () => {});
    stdout?.setEncoding("utf8").on("data", (text: string) => options.onOutput("stdout", text));
    stderr?.setEncoding("utf8").on("data", (text: string) => {
      options.onOutput("stderr", text);
      this.stderrTail.push(text);
    });
    this.exited = new Promise((resolve) => {
      this.child.on("error", (error) => {
        options.onOutput("stderr", `cannot start ${options.python}: ${error.message}\n`);
        this.stderrTail.push(`cannot start ${options.python}: ${error.message}`);
        resolve({ code: null, signal: null });
      });
      this.child.on("close", (code, signal) => resolve({ code, signal }));
    });
  }

  messages(): AsyncGenerator<HarnessMessage> {
    return this.readMessages();
  }

  send(message: Record<string, unknown>): void {
    if (this.control.writable) this.control.write(`${JSON.stringify(message)}\n`);
  }

  /** The Python process's id (undefined when it could not be started). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  async terminate(graceMs: number): Promise<HarnessExit> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.exited;
    return terminateHarness(this.exited, (signal) => this.child.kill(signal), graceMs);
  }

  finish(waitMs: number, graceMs: number): Promise<HarnessExit> {
    return finishHarness(this, waitMs, graceMs);
  }

  stderrExcerpt(maxLines = 20): string {
    return this.stderrTail.excerpt(maxLines);
  }
}
