import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmulatorInfo, uniqueName } from "../support/emulators.js";
import { testTwinedCommand } from "../support/twined-command.js";
import { waitFor } from "../support/wait-for.js";

/**
 * Runs the ```sh blocks of an example's READMEs as a reader would, read from the README at test time so the two cannot
 * drift apart. Conventions the READMEs follow (they read naturally to a person too):
 *
 * - Each block starts in the README's own folder ("from this folder"); a line that is only `cd DIR` moves the rest of
 *   the block there. Every command runs in bash, with `twined` on the PATH as this checkout's CLI.
 * - A command whose trailing comment says `runs until Ctrl-C` keeps running while the reader goes on in another
 *   terminal: it is started in the background (a process group of its own), awaited until it says `Ctrl-C stops`, and
 *   stopped with its group when the next `twined dev` starts or the test ends. `twined dev` and `twined service start`
 *   must carry that comment.
 * - `twined dev` gets `--port 0` appended, and the address it listens on is TWINED_NETWORK_URL for the commands after
 *   it (the README's 127.0.0.1:7070 is taken on a shared machine). A placeholder `http://127.0.0.1:<port>` is the
 *   Storage emulator that `twined dev --backend emulators` named. Each emulator network gets a project of its own.
 * - Every command must succeed (exit 0); `twined service validate` must say `ok:`, and every `twined question ask` and
 *   `ask-local` must print an answer, whose output values the example's test checks.
 *
 * The commands are split into stages at each `twined dev`; each stage is one test, run in order on one copy of the
 * example, so files written by an earlier stage (as a reader's would be) are there for a later one.
 */
export interface ReadmeSpec {
  /** The example's folder, relative to the repository root; it is copied, so nothing is written into the repository. */
  readonly example: string;
  /** The READMEs to run, relative to the example's folder, in order. */
  readonly readmes: readonly string[];
  /** The output values expected of each asking command: the first whose pattern matches the command checks them. */
  readonly answers: readonly ExpectedAnswer[];
  readonly emulators: EmulatorInfo;
}

export interface ExpectedAnswer {
  readonly command: RegExp;
  readonly check: (outputValues: unknown, answer: Record<string, unknown>) => void;
}

export interface ShellCommand {
  /** The command as bash runs it (several lines for a continuation, a heredoc or a compound command). */
  readonly text: string;
  /** The trailing comment of its first line, if any. */
  readonly comment: string | undefined;
}

const LONG_RUNNING = /\bruns until Ctrl-C\b/;
const ASKING = /\btwined question ask(-local)?\b/;
const STAGE_TIMEOUT_MS = 120_000;

/** The contents of a Markdown document's ```sh blocks, in order. */
export function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((match) => match[1] ?? "");
}

/** Splits a block into the commands a shell would run one after another, skipping comment lines. */
export function shellCommands(block: string): ShellCommand[] {
  const lines = block.split("\n");
  const commands: ShellCommand[] = [];
  let index = 0;
  while (index < lines.length) {
    const first = lines[index] ?? "";
    index += 1;
    if (first.trim() === "" || first.trimStart().startsWith("#")) continue;
    const taken = [first];
    for (;;) {
      const last = taken.at(-1) ?? "";
      const heredoc = /<<-?\s*['"]?(\w+)['"]?/.exec(last)?.[1];
      if (heredoc !== undefined) {
        while (index < lines.length && lines[index]?.trim() !== heredoc) taken.push(lines[index++] ?? "");
        if (index < lines.length) taken.push(lines[index++] ?? "");
      }
      const text = taken.join("\n");
      if (!text.endsWith("\\") && isComplete(text)) break;
      if (index >= lines.length) throw new Error(`the README's command does not end:\n${text}`);
      taken.push(lines[index++] ?? "");
    }
    commands.push({ text: taken.join("\n"), comment: /\s#\s+(.*)$/.exec(first)?.[1] });
  }
  return commands;
}

/**
 * Whether `text` is a whole command: bash reaches its end inside an open `(`, `for … do` or quote. Another syntax
 * error (a placeholder such as `<port>` reads as a redirection) is for running it to show.
 */
function isComplete(text: string): boolean {
  const parsed = spawnSync("bash", ["-n"], { input: text, encoding: "utf8" });
  return parsed.status === 0 || !parsed.stderr.includes("unexpected end of file");
}

interface Step {
  readonly readme: string;
  /** The folder the command runs in. */
  readonly cwd: string;
  /** The shell variables the block has set before it. */
  readonly variables: Readonly<Record<string, string>>;
  readonly command: ShellCommand;
}

interface Stage {
  readonly title: string;
  readonly steps: Step[];
  readonly needsEmulators: boolean;
}

/** The READMEs' commands in reading order, split into stages at each `twined dev`. */
function stagesOf(example: string, readmes: readonly string[]): Stage[] {
  const stages: Stage[] = [{ title: "without a network", steps: [], needsEmulators: false }];
  for (const readme of readmes) {
    const folder = path.dirname(path.join(example, readme));
    for (const block of shellBlocks(readFileSync(path.join(example, readme), "utf8"))) {
      let cwd = folder;
      let variables: Record<string, string> = {};
      for (const command of shellCommands(block)) {
        // A variable set by one command is read by the next in the same block, as in the reader's shell.
        const assignment = /^([A-Za-z_]\w*)=(\S*)\s*(#.*)?$/.exec(command.text);
        if (assignment?.[1] !== undefined) {
          variables = { ...variables, [assignment[1]]: assignment[2] ?? "" };
          continue;
        }
        const cd = /^cd\s+(\S+)\s*(#.*)?$/.exec(command.text);
        if (cd?.[1] !== undefined) {
          cwd = path.resolve(cwd, cd[1]);
          continue;
        }
        const dev = /^twined dev\b[^#\n]*/.exec(command.text);
        if (dev !== null) {
          stages.push({
            title: `on \`${dev[0].trim()}\``,
            steps: [],
            needsEmulators: /--backend\s+emulators\b/.test(dev[0]),
          });
        }
        stages.at(-1)?.steps.push({ readme, cwd, variables, command });
      }
    }
  }
  return stages.filter((stage) => stage.steps.length > 0);
}

interface Background {
  readonly child: ChildProcess;
  readonly output: { stdout: string; stderr: string };
  readonly exited: Promise<number | null>;
}

interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** One describe block per example: the stages of its READMEs as tests, run in order on one copy of the example. */
export function describeReadmeCommands(name: string, spec: ReadmeSpec): void {
  const source = path.resolve(spec.example);
  const stages = stagesOf(source, spec.readmes);
  const emulatorsReady = spec.emulators.available && spec.emulators.storageAvailable;

  describe(`the ${name} README commands`, () => {
    let scratch = "";
    let copy = "";
    let bin = "";
    let background: Background[] = [];
    let network: Record<string, string> = {};
    let storage: string | undefined;
    let starting: Promise<void>[] = [];

    beforeAll(() => {
      scratch = mkdtempSync(path.join(tmpdir(), `twined-readme-${name.replaceAll("/", "-")}-`));
      copy = path.join(scratch, path.basename(source));
      cpSync(source, copy, {
        recursive: true,
        filter: (file) => !file.includes("__pycache__") && !file.includes(`${path.sep}.twined`),
      });
      bin = path.join(scratch, "bin");
      const twined = path.join(bin, "twined");
      mkdirSync(bin);
      writeFileSync(twined, `#!/bin/sh\nexec ${testTwinedCommand().map(shellQuote).join(" ")} "$@"\n`);
      chmodSync(twined, 0o755);
    });

    afterAll(async () => {
      await stopAll(background);
      if (scratch !== "") rmSync(scratch, { recursive: true, force: true });
    });

    it("shows commands, and marks the ones that keep running", () => {
      expect(stages.flatMap((stage) => stage.steps).length).toBeGreaterThan(0);
      for (const { command } of stages.flatMap((stage) => stage.steps)) {
        if (/\btwined (dev|service start)\b/.test(command.text)) {
          expect(command.comment ?? "", `\`${command.text}\` needs the comment "runs until Ctrl-C"`).toMatch(
            LONG_RUNNING,
          );
        }
      }
    });

    for (const stage of stages) {
      const skip = stage.needsEmulators && !emulatorsReady;
      it.skipIf(skip)(
        `run ${stage.title}`,
        async () => {
          for (const step of stage.steps) await run(step);
          await settle();
        },
        STAGE_TIMEOUT_MS,
      );
    }

    /** Waits for the services started one after another (in the reader's other terminals) to be ready. */
    async function settle(): Promise<void> {
      const waiting = starting;
      starting = [];
      await Promise.all(waiting);
    }

    function environment(): NodeJS.ProcessEnv {
      return {
        ...process.env,
        ...network,
        PATH: `${bin}${path.delimiter}${process.env.PATH ?? ""}`,
        NO_COLOR: "1",
        PYTHONDONTWRITEBYTECODE: "1",
      };
    }

    async function run(step: Step): Promise<void> {
      const cwd = path.join(copy, path.relative(source, step.cwd));
      const text = substitute(step.command.text);
      const where = `${step.readme}: ${text}`;
      if (LONG_RUNNING.test(step.command.comment ?? "")) {
        // The network first; the services after it can start side by side, as in separate terminals.
        if (/^twined dev\b/.test(text)) {
          await settle();
          await startInBackground(text, cwd, where);
        } else {
          const ready = startInBackground(text, cwd, where);
          // Reported when awaited; until then, not an unhandled rejection.
          ready.catch(() => {});
          starting.push(ready);
        }
        return;
      }
      await settle();
      const variables = Object.entries(step.variables).map(([key, value]) => [key, substitute(value)]);
      const finished = await runToEnd(text, cwd, { ...environment(), ...Object.fromEntries(variables) });
      expect(finished.code, `${where}\n${finished.stdout}${finished.stderr}${backgroundOutput()}`).toBe(0);
      if (/\btwined service validate\b/.test(text)) expect(finished.stdout, where).toMatch(/^ok: /m);
      if (ASKING.test(text)) checkAnswer(text, finished, where);
    }

    /** What the running network and services have said, for a failure's message. */
    function backgroundOutput(): string {
      return background
        .map(({ output }) => `\n--- a command still running said:\n${`${output.stdout}${output.stderr}`.slice(-4000)}`)
        .join("");
    }

    function substitute(text: string): string {
      return storage === undefined ? text : text.replaceAll("http://127.0.0.1:<port>", storage);
    }

    async function startInBackground(text: string, cwd: string, where: string): Promise<void> {
      const dev = /^twined dev\b/.test(text);
      const env = environment();
      if (dev) {
        await stopAll(background);
        background = [];
        network = {};
        storage = undefined;
        text = text.replace(/^(twined dev\b[^#\n]*?)\s*(#.*)?$/, "$1 --port 0");
        if (/--backend\s+emulators\b/.test(text))
          env.GOOGLE_CLOUD_PROJECT = uniqueName(`readme-${name.replaceAll("/", "-")}`);
      }
      const started = startProcess(text, cwd, env);
      background.push(started);
      let ended = false;
      void started.exited.then(() => {
        ended = true;
      });
      await waitFor(() => ended || started.output.stdout.includes("Ctrl-C stops"), {
        timeoutMs: 60_000,
        intervalMs: 50,
        description: () => `${where} to be ready (it said: ${started.output.stdout}${started.output.stderr})`,
      });
      expect(ended, `${where} ended:\n${started.output.stdout}${started.output.stderr}`).toBe(false);
      if (dev) {
        const all = `${started.output.stdout}${started.output.stderr}`;
        const url = /listening on (http:\/\/\S+) /.exec(all)?.[1];
        expect(url, all).toBeDefined();
        network = { TWINED_NETWORK_URL: url ?? "" };
        storage = /Storage emulator at (http:\/\/[^\s,]+)/.exec(all)?.[1];
      }
    }

    function checkAnswer(text: string, finished: Finished, where: string): void {
      let answer: Record<string, unknown>;
      try {
        answer = JSON.parse(finished.stdout) as Record<string, unknown>;
      } catch {
        throw new Error(`${where} printed no answer:\n${finished.stdout.slice(0, 2000)}${finished.stderr}`);
      }
      if ("kind" in answer) expect(answer.kind, where).toBe("result");
      const expected = spec.answers.find((candidate) => candidate.command.test(text));
      if (expected === undefined) throw new Error(`the test expects no answer of ${where}`);
      expected.check(answer.output_values, answer);
    }
  });
}

function startProcess(text: string, cwd: string, env: NodeJS.ProcessEnv): Background {
  // A group of its own, so that stopping it stops whatever it started.
  const child = spawn("bash", ["-c", text], { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  const output = { stdout: "", stderr: "" };
  child.stdout.on("data", (chunk: Buffer) => {
    output.stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    output.stderr += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
  return { child, output, exited };
}

async function runToEnd(text: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Finished> {
  const started = startProcess(text, cwd, env);
  const timer = setTimeout(() => signalGroup(started.child, "SIGKILL"), STAGE_TIMEOUT_MS);
  try {
    const code = await started.exited;
    return { code, ...started.output };
  } finally {
    clearTimeout(timer);
  }
}

/** Ctrl-C to each process group, then SIGKILL to what is left of it. */
async function stopAll(processes: readonly Background[]): Promise<void> {
  // Services first, then the network they registered with, as a reader closing the terminals would.
  for (const each of [...processes].reverse()) {
    signalGroup(each.child, "SIGINT");
    const timer = setTimeout(() => signalGroup(each.child, "SIGKILL"), 15_000);
    await each.exited;
    clearTimeout(timer);
    signalGroup(each.child, "SIGKILL");
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group has already gone.
  }
}

function shellQuote(word: string): string {
  return `'${word.replaceAll("'", `'\\''`)}'`;
}
