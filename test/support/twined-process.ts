import { spawn } from "node:child_process";
import { definedProperties } from "../../shared/objects/index.js";
import { testTwinedCommand } from "./twined-command.js";

/** `twined` run as its own process (for what needs real signals or a long-running command), its output collected. */
export interface TwinedProcess {
  readonly output: { stdout: string; stderr: string };
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** The process's id: `twined` itself, or the Node that runs its sources. */
  readonly pid: number;
  kill(signal: NodeJS.Signals): void;
}

export function startTwined(
  args: readonly string[],
  cwd?: string,
  env: NodeJS.ProcessEnv = process.env,
): TwinedProcess {
  const [command = process.execPath, ...prefix] = testTwinedCommand();
  const child = spawn(command, [...prefix, ...args], {
    ...definedProperties({ cwd }),
    env: { ...env, NO_COLOR: "1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = { stdout: "", stderr: "" };
  child.stdout.on("data", (chunk: Buffer) => {
    output.stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output.stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  return { output, exited, pid: child.pid ?? 0, kill: (signal) => child.kill(signal) };
}
