import { type Command, CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { buildProgram, COMMAND_GROUPS } from "../../cli/program.js";
import { runTwined } from "./run-cli.js";

// runCli registers only the command its first word names; these compare what it prints with what the whole tree
// prints for the same command line, so that registering less never shows.

interface Printed {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Parses `argv` with every command registered; only for command lines that never reach an action. */
async function runWholeTree(argv: readonly string[]): Promise<Printed> {
  let stdout = "";
  let stderr = "";
  const output = {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
  };
  const program = await buildProgram(output, () => {});
  try {
    await program.parseAsync([...argv], { from: "user" });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    // As runCli maps commander's outcomes to exit statuses.
    const benign = ["commander.helpDisplayed", "commander.version", "commander.help"].includes(error.code);
    return { code: benign ? 0 : 2, stdout, stderr };
  }
  throw new Error(`${JSON.stringify(argv)} reached an action`);
}

async function commandPaths(): Promise<string[][]> {
  const ignore = { write: () => true };
  const program = await buildProgram({ stdout: ignore, stderr: ignore }, () => {});
  const paths: string[][] = [];
  const visit = (command: Command, parents: readonly string[]) => {
    for (const child of command.commands) {
      const childPath = [...parents, child.name()];
      paths.push(childPath);
      visit(child, childPath);
    }
  };
  visit(program, []);
  return paths;
}

describe("the twined command tree", () => {
  it("registers each top-level command from its own module, in the listed order", async () => {
    const ignore = { write: () => true };
    const program = await buildProgram({ stdout: ignore, stderr: ignore }, () => {});
    expect(program.commands.map((command) => command.name())).toEqual(COMMAND_GROUPS.map(([name]) => name));
    for (const [name] of COMMAND_GROUPS) {
      const alone = await buildProgram({ stdout: ignore, stderr: ignore }, () => {}, [name, "--help"]);
      expect(alone.commands.map((command) => command.name())).toEqual([name]);
    }
  });

  it("lists every top-level command in `twined --help`", async () => {
    const result = await runTwined(["--help"]);
    expect(result.code).toBe(0);
    for (const [name] of COMMAND_GROUPS) expect(result.stdout).toMatch(new RegExp(`^  ${name} `, "m"));
  });

  it("prints the same help and usage errors for every command as the whole tree does", async () => {
    const paths = await commandPaths();
    expect(paths.length).toBeGreaterThan(COMMAND_GROUPS.length);
    for (const commandPath of paths) {
      for (const argv of [
        [...commandPath, "--help"],
        [...commandPath, "--no-such-option"],
      ]) {
        expect({ argv, ...(await runTwined(argv)) }).toEqual({ argv, ...(await runWholeTree(argv)) });
      }
    }
  });

  it.each([
    [["service", "validat"]],
    [["service", "no-such-command"]],
    [["question", "events"]],
    [["servic"]],
    [["help", "service"]],
    [[]],
  ])("prints what the whole tree prints for %j", async (argv) => {
    expect(await runTwined(argv)).toEqual(await runWholeTree(argv));
  });
});
