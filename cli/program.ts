import { Command, CommanderError } from "commander";
import { TWINED_VERSION } from "../shared/version.js";
import { type CliOutput, describeError, EXIT } from "./output.js";

type RegisterCommands = (program: Command, output: CliOutput, setExitCode: (code: number) => void) => void;

/**
 * Each top-level command with the module that registers it, in the order `twined --help` lists them. Loaded on
 * demand: a command line that names one of them needs only that one's tree (see {@link buildProgram}).
 */
export const COMMAND_GROUPS: ReadonlyArray<readonly [name: string, load: () => Promise<RegisterCommands>]> = [
  ["demo", async () => (await import("./commands/demo.js")).registerDemoCommand],
  ["dev", async () => (await import("./commands/dev.js")).registerDevCommand],
  ["dashboard", async () => (await import("./commands/dashboard.js")).registerDashboardCommand],
  ["question", async () => (await import("./commands/question.js")).registerQuestionCommands],
  ["service", async () => (await import("./commands/service.js")).registerServiceCommands],
  ["twine", async () => (await import("./commands/twine.js")).registerTwineCommands],
  ["revision", async () => (await import("./commands/revision.js")).registerRevisionCommands],
  ["dead-letters", async () => (await import("./commands/dead-letters.js")).registerDeadLetterCommands],
];

/**
 * Builds the `twined` command tree. Each action returns its exit code through `setExitCode`.
 *
 * Given the command line, and its first word names a top-level command, only that command is registered: commander
 * then dispatches to it as it would in the full tree, and nothing that command prints (its help, its errors) mentions
 * the others. Any other first word (an option, `help`, a typo to suggest a command for, nothing) gets the full tree.
 */
export async function buildProgram(
  output: CliOutput,
  setExitCode: (code: number) => void,
  argv?: readonly string[],
): Promise<Command> {
  const program = new Command("twined")
    .description("Run Python analyses as services that answer questions (Octue Twined compatible).")
    .version(TWINED_VERSION, "-V, --version", "print the Twined version")
    .helpOption("-h, --help", "show help for a command")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => output.stdout.write(text),
      writeErr: (text) => output.stderr.write(text),
    });
  const named = COMMAND_GROUPS.filter(([name]) => name === argv?.[0]);
  const groups = named.length > 0 ? named : COMMAND_GROUPS;
  const registrars = await Promise.all(groups.map(([, load]) => load()));
  for (const register of registrars) register(program, output, setExitCode);
  for (const command of program.commands) inheritSettings(command, program);
  return program;
}

function inheritSettings(command: Command, parent: Command): void {
  command.exitOverride().showHelpAfterError("(run with --help for usage)");
  command.configureOutput(parent.configureOutput());
  for (const child of command.commands) inheritSettings(child, command);
}

/**
 * Runs the CLI and returns the exit code: 0 success, 1 invalid input found, 2 usage error. Never lets a stack trace
 * reach the user (set TWINED_DEBUG=1 to see one).
 */
export async function runCli(argv: readonly string[], output: CliOutput): Promise<number> {
  let exitCode: number = EXIT.ok;
  const program = await buildProgram(
    output,
    (code) => {
      exitCode = code;
    },
    argv,
  );
  try {
    await program.parseAsync([...argv], { from: "user" });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      const benign = ["commander.helpDisplayed", "commander.version", "commander.help"].includes(error.code);
      return benign ? EXIT.ok : EXIT.usage;
    }
    output.stderr.write(`error: ${describeError(error)}\n`);
    if (process.env.TWINED_DEBUG === "1" && error instanceof Error && error.stack !== undefined) {
      output.stderr.write(`${error.stack}\n`);
    }
    return EXIT.invalid;
  }
}
