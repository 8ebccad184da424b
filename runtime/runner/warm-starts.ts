import { type ChildProcess, spawn } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { type Dirent, existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { constants, tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import { PassThrough, type Readable, type Writable } from "node:stream";
import { StringDecoder } from "node:string_decoder";
import { WarmStartUnavailable } from "../../shared/errors/index.js";
import { isPlainObject } from "../../shared/json/index.js";
import { TRACEPARENT_ENVIRONMENT } from "../../shared/tracing/index.js";
import type { HarnessMessage } from "./harness-messages.js";
import {
  finishHarness,
  type Harness,
  type HarnessExit,
  HarnessProcess,
  type HarnessProcessOptions,
  harnessEnvironment,
  harnessMessages,
  StderrTail,
  terminateHarness,
} from "./harness-process.js";

export interface WarmStartsOptions {
  /** Where zygotes' own output (the app's import-time prints) and the reasons for cold starts go; default stderr. */
  readonly log?: (text: string) => void;
  /** How many revisions keep a zygote at once; the least recently used one is stopped beyond that. Default 16. */
  readonly maxZygotes?: number;
}

export interface WarmHarnessOptions extends HarnessProcessOptions {
  /** The revision the zygote belongs to (part of its key). */
  readonly sruid: string;
  /** The folder holding `app.py`: imported by the zygote, and watched for edits to its `.py` files. */
  readonly appSourcePath: string;
}

/** Where `answerQuestion` gets a question's harness when warm starts are on. */
export interface WarmStartSource {
  harness(options: WarmHarnessOptions): Promise<Harness>;
}

/** What identifies a zygote: the revision, its app and the interpreter and environment it starts with. */
export type ZygoteOptions = Pick<WarmHarnessOptions, "sruid" | "appSourcePath" | "python" | "cwd" | "env">;

/** Where a forked question connects, and what it is given. */
export interface ForkRequest {
  readonly socket: string;
  readonly token: string;
  readonly environment: NodeJS.ProcessEnv;
  readonly working_directory: string;
}

/** Signals the questions a zygote forked. */
export interface QuestionSignaller {
  kill(pid: number, signal: "SIGTERM" | "SIGKILL"): void;
}

/** A forked question, as whoever asked for it follows it. */
export interface ForkedQuestion {
  forked(pid: number, signaller: QuestionSignaller): void;
  reportExit(exit: HarnessExit): void;
  /** Its zygote ended, so nobody will report its exit. */
  orphaned(): void;
}

/** Files looked at, at most, to tell whether an app's Python files changed since its zygote imported them. */
const MAX_FINGERPRINT_ENTRIES = 20_000;
const DEFAULT_MAX_ZYGOTES = 16;
/** How long a stopped zygote has to exit by itself before it is killed. */
const ZYGOTE_EXIT_GRACE_MS = 2_000;

/**
 * Warm starts: per revision, a Python process ("zygote") that has imported the harness and the app and forks a new
 * process for each question (runtime/python/PROTOCOL.md §9). A question then pays neither Python's start nor the app's
 * imports, yet runs in a process of its own that starts from the pristine imports, never from an earlier question.
 * A question that cannot be forked (no `fork` on this platform, the app fails to import, the fork fails) starts cold,
 * in a process of its own, with a log line saying why.
 */
export class WarmStarts implements WarmStartSource {
  private readonly zygotes = new Map<string, Zygote>();
  private sockets: Promise<QuestionSockets> | undefined;
  private closed = false;
  private readonly log: (text: string) => void;

  constructor(private readonly options: WarmStartsOptions = {}) {
    this.log = options.log ?? ((text) => process.stderr.write(text));
  }

  /** A harness for one question: forked from the revision's zygote (started or replaced as needed), or cold. */
  async harness(options: WarmHarnessOptions): Promise<Harness> {
    if (this.closed || process.platform === "win32") return new HarnessProcess(options);
    let sockets: QuestionSockets;
    try {
      sockets = await this.questionSockets();
    } catch (error) {
      this.log(`${options.sruid}: starting a question cold: ${errorText(error)}\n`);
      return new HarnessProcess(options);
    }
    return forkedHarness(sockets, options, (question, request) => this.fork(options, question, request));
  }

  /**
   * Forks a question from the revision's zygote, which connects to `request.socket`. Resolves to undefined once it
   * is forked, or to why the question must start cold (also logged).
   */
  async fork(options: ZygoteOptions, question: ForkedQuestion, request: ForkRequest): Promise<string | undefined> {
    if (this.closed || process.platform === "win32") return "warm starts are not available here";
    const zygote = this.zygote(options);
    const ready = await zygote.ready;
    if (!ready.loaded) {
      if (zygote.shouldReportColdStart()) {
        this.log(
          `${options.sruid}: no warm start (${ready.reason}); its questions start cold until its files change\n`,
        );
      }
      return ready.reason;
    }
    try {
      await zygote.fork(question, request);
      return undefined;
    } catch (error) {
      this.log(`${options.sruid}: starting a question cold: ${errorText(error)}\n`);
      return errorText(error);
    }
  }

  /** Stops every zygote (questions already forked are not stopped) and the question socket. */
  async close(): Promise<void> {
    this.closed = true;
    const zygotes = [...this.zygotes.values()];
    this.zygotes.clear();
    await Promise.all(zygotes.map((zygote) => zygote.close()));
    const sockets = this.sockets;
    this.sockets = undefined;
    if (sockets !== undefined) await (await sockets.catch(() => undefined))?.close();
  }

  private zygote(options: ZygoteOptions): Zygote {
    const environment = zygoteEnvironment(options.env);
    const key = JSON.stringify([options.sruid, options.appSourcePath, options.cwd, options.python, environment]);
    const fingerprint = appFingerprint(options.appSourcePath);
    let zygote = this.zygotes.get(key);
    if (zygote !== undefined && (zygote.fingerprint !== fingerprint || !zygote.usable())) {
      this.zygotes.delete(key);
      zygote.retire();
      zygote = undefined;
    }
    if (zygote === undefined) {
      zygote = new Zygote(fingerprint, {
        python: options.python,
        cwd: options.cwd,
        env: environment,
        appSourcePath: options.appSourcePath,
        log: this.log,
      });
    } else {
      this.zygotes.delete(key);
    }
    // Most recently used last, so the first is the one to stop when there are too many.
    this.zygotes.set(key, zygote);
    const maximum = this.options.maxZygotes ?? DEFAULT_MAX_ZYGOTES;
    for (const [oldKey, old] of this.zygotes) {
      if (this.zygotes.size <= maximum) break;
      this.zygotes.delete(oldKey);
      old.retire();
    }
    return zygote;
  }

  private questionSockets(): Promise<QuestionSockets> {
    this.sockets ??= QuestionSockets.open();
    return this.sockets;
  }
}

/**
 * A question's harness forked through `fork`, connecting to `sockets`; a cold one if it cannot be (`fork` says why).
 */
export async function forkedHarness(
  sockets: QuestionSockets,
  options: WarmHarnessOptions,
  fork: (question: ForkedQuestion, request: ForkRequest) => Promise<string | undefined>,
): Promise<Harness> {
  const harness = new WarmHarness(options.onOutput);
  const token = sockets.expect(harness);
  void harness.exited.then(() => sockets.forget(token));
  const coldReason = await fork(harness, {
    socket: sockets.path,
    token,
    environment: harnessEnvironment(options.env),
    working_directory: options.cwd,
  });
  if (coldReason === undefined) return harness;
  sockets.forget(token);
  return new HarnessProcess(options);
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * What the zygote starts with: the question's environment without what differs from one question to the next (its
 * trace context), so that the questions of one revision share a zygote. Each forked question gets its full own.
 */
function zygoteEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const { [TRACEPARENT_ENVIRONMENT]: _perQuestion, ...rest } = env;
  return Object.fromEntries(Object.entries(rest).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * The app's Python files as they are now (paths, sizes and modification times of every `.py` file under the app
 * folder, skipping hidden folders, `__pycache__`, `node_modules` and virtual environments): a zygote whose
 * fingerprint differs imported an older app and is replaced.
 */
export function appFingerprint(directory: string): string {
  const hash = createHash("sha1");
  let entriesSeen = 0;
  const walk = (folder: string) => {
    let entries: Dirent[];
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (++entriesSeen > MAX_FINGERPRINT_ENTRIES) return;
      if (entry.name.startsWith(".")) continue;
      const full = path.join(folder, entry.name);
      if (entry.isDirectory()) {
        const skipped = ["__pycache__", "node_modules", "site-packages"].includes(entry.name);
        if (!skipped && !existsSync(path.join(full, "pyvenv.cfg"))) walk(full);
      } else if (entry.name.endsWith(".py")) {
        try {
          const stats = statSync(full, { bigint: true });
          hash.update(`${full}\0${stats.size}\0${stats.mtimeNs}\n`);
        } catch {
          // A file removed while we look: the next question sees the folder without it.
        }
      }
    }
  };
  walk(directory);
  return hash.digest("hex");
}

type ZygoteReady = { readonly loaded: true } | { readonly loaded: false; readonly reason: string };

type ZygoteMessage =
  | { readonly type: "ready"; readonly app_loaded: boolean; readonly reason: string }
  | { readonly type: "forked"; readonly id: number; readonly pid: number }
  | { readonly type: "fork_failed"; readonly id: number; readonly message: string }
  | {
      readonly type: "exited";
      readonly pid: number;
      readonly code: number | null;
      readonly signal: NodeJS.Signals | null;
    };

/** One revision's pre-imported Python, which forks a process per question and reports how each one ended. */
class Zygote implements QuestionSignaller {
  readonly ready: Promise<ZygoteReady>;
  private readonly child: ChildProcess;
  private readonly control: Writable;
  private readonly forks = new Map<number, { question: ForkedQuestion; settle: (error?: Error) => void }>();
  private readonly running = new Map<number, ForkedQuestion>();
  private readonly ended: Promise<void>;
  private nextId = 1;
  private alive = true;
  private importFailed = false;
  private retired = false;
  private coldStartReported = false;

  constructor(
    readonly fingerprint: string,
    options: {
      readonly python: string;
      readonly cwd: string;
      readonly env: NodeJS.ProcessEnv;
      readonly appSourcePath: string;
      readonly log: (text: string) => void;
    },
  ) {
    this.child = spawn(options.python, ["-u", "-m", "twined_harness.zygote"], {
      cwd: options.cwd,
      env: harnessEnvironment(options.env),
      stdio: ["ignore", "pipe", "pipe", "pipe", "pipe"],
    });
    const [, stdout, stderr, events, control] = this.child.stdio;
    this.control = control as Writable;
    this.control.on("error", () => {});
    stdout?.setEncoding("utf8").on("data", (text: string) => options.log(text));
    stderr?.setEncoding("utf8").on("data", (text: string) => options.log(text));
    let resolveReady: (ready: ZygoteReady) => void = () => {};
    this.ready = new Promise((resolve) => {
      resolveReady = resolve;
    });
    createInterface({ input: events as Readable, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
      const message = parseZygoteMessage(line);
      if (message === undefined) return;
      switch (message.type) {
        case "ready":
          if (!message.app_loaded) this.importFailed = true;
          resolveReady(message.app_loaded ? { loaded: true } : { loaded: false, reason: message.reason });
          return;
        case "forked": {
          const pending = this.forks.get(message.id);
          this.forks.delete(message.id);
          if (pending === undefined) return;
          this.running.set(message.pid, pending.question);
          pending.question.forked(message.pid, this);
          pending.settle();
          return;
        }
        case "fork_failed":
          this.forks.get(message.id)?.settle(new WarmStartUnavailable(`the zygote could not fork: ${message.message}`));
          this.forks.delete(message.id);
          return;
        case "exited":
          this.running.get(message.pid)?.reportExit({ code: message.code, signal: message.signal });
          this.running.delete(message.pid);
          if (this.retired && this.running.size === 0) void this.close();
          return;
      }
    });
    this.ended = new Promise((resolve) => {
      const end = (how: string) => {
        if (!this.alive) return;
        this.alive = false;
        resolveReady({ loaded: false, reason: `its zygote ended before it was ready (${how})` });
        for (const pending of this.forks.values())
          pending.settle(new WarmStartUnavailable(`the zygote ended (${how})`));
        this.forks.clear();
        // Its questions go on without it; they are seen to end when their sockets close.
        for (const question of this.running.values()) question.orphaned();
        this.running.clear();
        resolve();
      };
      this.child.on("error", (error) => end(`cannot start ${options.python}: ${error.message}`));
      this.child.on("close", (code, signal) => end(signal === null ? `exit code ${code}` : `signal ${signal}`));
    });
    this.write({ type: "zygote", app_source_path: options.appSourcePath, working_directory: options.cwd });
  }

  /** Whether it can still fork, or is a failed import that a new zygote would only repeat until the files change. */
  usable(): boolean {
    return !this.retired && (this.alive || this.importFailed);
  }

  /** True the first time only: the reason for cold starts is logged once per zygote, not once per question. */
  shouldReportColdStart(): boolean {
    const first = !this.coldStartReported;
    this.coldStartReported = true;
    return first;
  }

  fork(question: ForkedQuestion, request: ForkRequest): Promise<void> {
    if (!this.alive) return Promise.reject(new WarmStartUnavailable("the zygote has ended"));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.forks.set(id, { question, settle: (error) => (error === undefined ? resolve() : reject(error)) });
      this.write({ type: "fork", id, ...request });
    });
  }

  /** Signals a question the zygote forked, only while the zygote has not reaped it (so its pid is still its own). */
  kill(pid: number, signal: "SIGTERM" | "SIGKILL"): void {
    if (this.alive) {
      this.write({ type: "kill", pid, signal: constants.signals[signal] });
      return;
    }
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }

  /** No more questions: it stops once the questions it forked have ended. */
  retire(): void {
    this.retired = true;
    if (this.running.size === 0) void this.close();
  }

  /** Closes its control pipe (it exits), killing it if it has not after a grace period. */
  async close(): Promise<void> {
    this.retired = true;
    this.control.end();
    const timer = setTimeout(() => this.child.kill("SIGKILL"), ZYGOTE_EXIT_GRACE_MS);
    await this.ended;
    clearTimeout(timer);
  }

  private write(message: Record<string, unknown>): void {
    if (this.control.writable) this.control.write(`${JSON.stringify(message)}\n`);
  }
}

function parseZygoteMessage(line: string): ZygoteMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isPlainObject(value)) return undefined;
  const integer = (key: string) => (Number.isInteger(value[key]) ? (value[key] as number) : undefined);
  const id = integer("id");
  const pid = integer("pid");
  switch (value.type) {
    case "ready": {
      const exception = isPlainObject(value.exception) ? value.exception : {};
      const reason = `the app failed to import: ${String(exception.exception_type ?? "Error")}: ${String(exception.exception_message ?? "")}`;
      return { type: "ready", app_loaded: value.app_loaded === true, reason };
    }
    case "forked":
      return id === undefined || pid === undefined ? undefined : { type: "forked", id, pid };
    case "fork_failed":
      return id === undefined ? undefined : { type: "fork_failed", id, message: String(value.message) };
    case "exited": {
      if (pid === undefined) return undefined;
      const signalNumber = integer("signal");
      const signal =
        signalNumber === undefined
          ? null
          : ((Object.entries(constants.signals).find(([, number]) => number === signalNumber)?.[0] ??
              null) as NodeJS.Signals | null);
      return { type: "exited", pid, code: integer("code") ?? null, signal };
    }
    default:
      return undefined;
  }
}

type Stream = "events" | "stdout" | "stderr";
const STREAMS: readonly Stream[] = ["events", "stdout", "stderr"];

/**
 * The Unix socket forked questions connect to, three times each (their protocol channel, stdout and stderr), each
 * connection opening with a line naming its question's token and the stream. It lives in a folder only this user can
 * enter.
 */
export class QuestionSockets {
  private readonly waiting = new Map<string, WarmHarness>();
  private readonly connections = new Set<Socket>();

  private constructor(
    readonly path: string,
    private readonly server: Server,
  ) {
    server.on("connection", (socket) => this.identify(socket));
  }

  /** `unref`: the socket does not keep this process alive (a job process, which exits once it has answered). */
  static async open(options: { readonly unref?: boolean } = {}): Promise<QuestionSockets> {
    // Unix socket paths are limited to about 100 bytes: a long TMPDIR falls back to /tmp.
    const base = tmpdir().length > 60 ? "/tmp" : tmpdir();
    const folder = mkdtempSync(path.join(base, "twined-warm-"));
    const socketPath = path.join(folder, "q.sock");
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(socketPath, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const remove = () => rmSync(folder, { recursive: true, force: true });
    server.on("close", remove);
    if (options.unref === true) {
      server.unref();
      process.once("exit", remove);
    }
    return new QuestionSockets(socketPath, server);
  }

  expect(harness: WarmHarness): string {
    const token = randomBytes(16).toString("hex");
    this.waiting.set(token, harness);
    return token;
  }

  forget(token: string): void {
    this.waiting.delete(token);
  }

  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    // A question's subprocess may still hold its output open; the network is going, and so are they.
    for (const socket of this.connections) socket.destroy();
    return closed;
  }

  private identify(socket: Socket): void {
    socket.on("error", () => {});
    this.connections.add(socket);
    socket.once("close", () => this.connections.delete(socket));
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const newline = buffered.indexOf(10);
      if (newline === -1) {
        if (buffered.length > 4096) socket.destroy();
        return;
      }
      socket.off("data", onData);
      socket.pause();
      let hello: unknown;
      try {
        hello = JSON.parse(buffered.subarray(0, newline).toString("utf8"));
      } catch {
        hello = undefined;
      }
      const harness =
        isPlainObject(hello) && typeof hello.token === "string" ? this.waiting.get(hello.token) : undefined;
      const stream = isPlainObject(hello) ? STREAMS.find((name) => name === hello.stream) : undefined;
      if (harness === undefined || stream === undefined) {
        socket.destroy();
        return;
      }
      harness.attach(stream, socket, buffered.subarray(newline + 1));
    };
    socket.on("data", onData);
  }
}

/** A question's harness forked from a zygote: the same protocol as a cold one, over a socket instead of pipes. */
class WarmHarness implements Harness, ForkedQuestion {
  readonly exited: Promise<HarnessExit>;
  private readonly events = new PassThrough();
  private readonly readMessages = harnessMessages(this.events);
  private readonly streams = new Map<Stream, Socket>();
  private readonly closings: Promise<void>[] = [];
  private readonly pending: string[] = [];
  private readonly stderrTail = new StderrTail();
  private pid: number | undefined;
  private signaller: QuestionSignaller | undefined;
  private ended = false;
  private resolveExit: (exit: HarnessExit) => void = () => {};

  constructor(private readonly onOutput: (stream: "stdout" | "stderr", text: string) => void) {
    const reported = new Promise<HarnessExit>((resolve) => {
      this.resolveExit = resolve;
    });
    // As for a cold harness, its end counts once its output has been read too.
    this.exited = reported.then(async (exit) => {
      this.ended = true;
      await Promise.all(this.closings);
      if (!this.streams.has("events")) this.events.end();
      return exit;
    });
  }

  forked(pid: number, signaller: QuestionSignaller): void {
    this.pid = pid;
    this.signaller = signaller;
  }

  reportExit(exit: HarnessExit): void {
    this.resolveExit(exit);
  }

  /** Its zygote ended: nobody will report how it exits, so it has ended once its sockets are closed. */
  orphaned(): void {
    this.signaller = undefined;
    void Promise.all(this.closings).then(() => this.resolveExit({ code: null, signal: null }));
  }

  attach(stream: Stream, socket: Socket, rest: Buffer): void {
    if (this.streams.has(stream) || this.ended) {
      socket.destroy();
      return;
    }
    this.streams.set(stream, socket);
    this.closings.push(new Promise((resolve) => socket.once("close", () => resolve())));
    if (stream === "events") {
      if (rest.length > 0) this.events.write(rest);
      socket.pipe(this.events);
    } else {
      const decoder = new StringDecoder("utf8");
      const output = (text: string) => {
        if (text === "") return;
        this.onOutput(stream, text);
        if (stream === "stderr") this.stderrTail.push(text);
      };
      output(decoder.write(rest));
      socket.on("data", (chunk: Buffer) => output(decoder.write(chunk)));
      socket.on("end", () => output(decoder.end()));
    }
    socket.resume();
    // The start message waits until all three streams are here, so no output of the question can arrive after its end.
    if (this.streams.size === STREAMS.length) {
      for (const line of this.pending.splice(0)) this.write(line);
    }
  }

  messages(): AsyncGenerator<HarnessMessage> {
    return this.readMessages();
  }

  send(message: Record<string, unknown>): void {
    const line = `${JSON.stringify(message)}\n`;
    if (this.streams.size < STREAMS.length) this.pending.push(line);
    else this.write(line);
  }

  async terminate(graceMs: number): Promise<HarnessExit> {
    const pid = this.pid;
    if (this.ended || pid === undefined) return this.exited;
    return terminateHarness(this.exited, (signal) => this.signal(pid, signal), graceMs);
  }

  finish(waitMs: number, graceMs: number): Promise<HarnessExit> {
    return finishHarness(this, waitMs, graceMs);
  }

  stderrExcerpt(maxLines = 20): string {
    return this.stderrTail.excerpt(maxLines);
  }

  private signal(pid: number, signal: "SIGTERM" | "SIGKILL"): void {
    if (this.signaller !== undefined) {
      this.signaller.kill(pid, signal);
      return;
    }
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }

  private write(line: string): void {
    const socket = this.streams.get("events");
    if (socket?.writable === true) socket.write(line);
  }
}
