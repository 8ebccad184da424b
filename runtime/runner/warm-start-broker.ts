import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { createInterface } from "node:readline";
import type { ServiceConfiguration } from "../../shared/config/index.js";
import { isPlainObject } from "../../shared/json/index.js";
import { type Harness, type HarnessExit, HarnessProcess } from "./harness-process.js";
import {
  type ForkedQuestion,
  type ForkRequest,
  forkedHarness,
  type QuestionSignaller,
  QuestionSockets,
  type WarmHarnessOptions,
  type WarmStartSource,
  WarmStarts,
  type WarmStartsOptions,
  type ZygoteOptions,
} from "./warm-starts.js";

/** Where a job process (`--isolated-jobs`) finds its network's warm starts. */
export const WARM_START_SOCKET_ENVIRONMENT = "TWINED_WARM_START_SOCKET";
/** Set to `all` when the network gives every service warm starts, not only those whose octue.yaml asks. */
export const WARM_STARTS_ENVIRONMENT = "TWINED_WARM_STARTS";

/**
 * Warm starts for jobs that run in processes of their own (`--isolated-jobs`): the zygotes live in the network's
 * process, which outlives the jobs, and a job asks for its question's process over a Unix socket. The forked process
 * then talks to the job directly (through the job's own question socket); only the fork, the kill signals and the
 * exit status go through the network.
 */
export class WarmStartBroker {
  private readonly pool: WarmStarts;
  private server: { readonly server: Server; readonly path: string } | undefined;
  private readonly connections = new Set<Socket>();

  constructor(private readonly options: WarmStartsOptions & { readonly allServices?: boolean } = {}) {
    this.pool = new WarmStarts(options);
  }

  /** The variables a job process needs to use the broker (which starts listening on first use). */
  jobEnvironment(): Record<string, string> {
    const { path: socketPath } = this.listen();
    return {
      [WARM_START_SOCKET_ENVIRONMENT]: socketPath,
      ...(this.options.allServices === true ? { [WARM_STARTS_ENVIRONMENT]: "all" } : {}),
    };
  }

  async close(): Promise<void> {
    const listening = this.server;
    this.server = undefined;
    if (listening !== undefined) {
      const closed = new Promise<void>((resolve) => listening.server.close(() => resolve()));
      for (const connection of this.connections) connection.destroy();
      await closed;
    }
    await this.pool.close();
  }

  private listen(): { readonly server: Server; readonly path: string } {
    if (this.server !== undefined) return this.server;
    const base = tmpdir().length > 60 ? "/tmp" : tmpdir();
    const folder = mkdtempSync(path.join(base, "twined-warm-broker-"));
    const socketPath = path.join(folder, "broker.sock");
    const server = createServer((connection) => this.serve(connection));
    // A Unix socket is bound at once; a job that connects before `listening` is queued.
    server.listen(socketPath);
    server.on("error", () => {});
    server.on("close", () => rmSync(folder, { recursive: true, force: true }));
    this.server = { server, path: socketPath };
    return this.server;
  }

  private serve(connection: Socket): void {
    this.connections.add(connection);
    connection.once("close", () => this.connections.delete(connection));
    connection.on("error", () => {});
    const send = (message: Record<string, unknown>) => {
      if (connection.writable) connection.write(`${JSON.stringify(message)}\n`);
    };
    let pid: number | undefined;
    let signaller: QuestionSignaller | undefined;
    const question: ForkedQuestion = {
      forked(forkedPid, forkedSignaller) {
        pid = forkedPid;
        signaller = forkedSignaller;
        send({ type: "forked", pid: forkedPid });
      },
      reportExit(exit) {
        send({ type: "exited", code: exit.code, signal: exit.signal });
        connection.end();
      },
      orphaned() {
        connection.end();
      },
    };
    let asked = false;
    createInterface({ input: connection, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
      const message = parseLine(line);
      if (message === undefined) return;
      if (!asked) {
        asked = true;
        const request = forkRequest(message);
        if (request === undefined) {
          send({ type: "cold", reason: "the job's warm start request is not one the network understands" });
          connection.end();
          return;
        }
        void this.pool.fork(request.zygote, question, request.fork).then((coldReason) => {
          if (coldReason === undefined) return;
          send({ type: "cold", reason: coldReason });
          connection.end();
        });
        return;
      }
      if (
        message.type === "kill" &&
        pid !== undefined &&
        (message.signal === "SIGTERM" || message.signal === "SIGKILL")
      ) {
        signaller?.kill(pid, message.signal);
      }
    });
  }
}

/**
 * The warm starts a job process uses, from its environment: its network's broker, when the network offers one and
 * either gives every service warm starts or this service's octue.yaml asks (`warm_start: true`).
 */
export function warmStartsFromEnvironment(
  env: NodeJS.ProcessEnv,
  configuration: ServiceConfiguration,
): WarmStartSource | undefined {
  const socket = env.TWINED_WARM_START_SOCKET;
  if (socket === undefined || socket === "" || process.platform === "win32") return undefined;
  if (env.TWINED_WARM_STARTS !== "all" && !configuration.warmStart) return undefined;
  return new BrokeredWarmStarts(socket);
}

/** A job process's side of the broker: its question connects to this process; the network forks it. */
export class BrokeredWarmStarts implements WarmStartSource {
  private sockets: Promise<QuestionSockets> | undefined;

  constructor(private readonly brokerPath: string) {}

  async harness(options: WarmHarnessOptions): Promise<Harness> {
    let sockets: QuestionSockets;
    try {
      this.sockets ??= QuestionSockets.open({ unref: true });
      sockets = await this.sockets;
    } catch (error) {
      options.onOutput("stderr", `starting cold: no socket for a warm start: ${String(error)}\n`);
      return new HarnessProcess(options);
    }
    return forkedHarness(sockets, options, (question, request) => this.fork(options, question, request));
  }

  private fork(options: ZygoteOptions, question: ForkedQuestion, request: ForkRequest): Promise<string | undefined> {
    return new Promise((resolve) => {
      let settled = false;
      let forked = false;
      let exited = false;
      const settle = (reason: string | undefined) => {
        if (settled) return;
        settled = true;
        resolve(reason);
      };
      const connection = createConnection(this.brokerPath);
      // The job process exits once it has answered, whatever the broker still has to say.
      connection.unref();
      connection.on("error", (error) => settle(`cannot reach the network's warm starts: ${error.message}`));
      const signaller: QuestionSignaller = {
        kill(_pid, signal) {
          if (connection.writable) connection.write(`${JSON.stringify({ type: "kill", signal })}\n`);
        },
      };
      createInterface({ input: connection, crlfDelay: Number.POSITIVE_INFINITY }).on("line", (line) => {
        const message = parseLine(line);
        if (message?.type === "forked" && Number.isInteger(message.pid)) {
          forked = true;
          question.forked(message.pid as number, signaller);
          settle(undefined);
        } else if (message?.type === "cold") {
          settle(String(message.reason));
        } else if (message?.type === "exited" && forked) {
          exited = true;
          question.reportExit(exitOf(message));
        }
      });
      connection.on("close", () => {
        if (forked && !exited) question.orphaned();
        settle("the network's warm starts ended the request");
      });
      connection.write(
        `${JSON.stringify({
          type: "fork",
          sruid: options.sruid,
          app_source_path: options.appSourcePath,
          python: options.python,
          cwd: options.cwd,
          env: options.env,
          ...request,
        })}\n`,
      );
    });
  }
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function strings(value: unknown): NodeJS.ProcessEnv | undefined {
  if (!isPlainObject(value)) return undefined;
  const entries = Object.entries(value);
  return entries.every(([, each]) => typeof each === "string")
    ? (Object.fromEntries(entries) as NodeJS.ProcessEnv)
    : undefined;
}

function forkRequest(message: Record<string, unknown>): { zygote: ZygoteOptions; fork: ForkRequest } | undefined {
  const { sruid, app_source_path, python, cwd, socket, token, working_directory } = message;
  const env = strings(message.env);
  const environment = strings(message.environment);
  const text = [sruid, app_source_path, python, cwd, socket, token, working_directory];
  if (message.type !== "fork" || env === undefined || environment === undefined) return undefined;
  if (!text.every((each): each is string => typeof each === "string")) return undefined;
  return {
    zygote: {
      sruid: sruid as string,
      appSourcePath: app_source_path as string,
      python: python as string,
      cwd: cwd as string,
      env,
    },
    fork: {
      socket: socket as string,
      token: token as string,
      environment,
      working_directory: working_directory as string,
    },
  };
}

function exitOf(message: Record<string, unknown>): HarnessExit {
  const code = Number.isInteger(message.code) ? (message.code as number) : null;
  const signal = typeof message.signal === "string" ? (message.signal as NodeJS.Signals) : null;
  return { code, signal };
}
