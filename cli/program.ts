import { Command, CommanderError } from "commander";
import { TWINED_VERSION } from "../shared/version.js";
import { registerDashboardCommand } from "./commands/dashboard.js";
import { registerDeadLetterCommands } from "./commands/dead-letters.js";
import { registerDemoCommand } from "./commands/demo.js";
import { registerDevCommand } from "./commands/dev.js";
import { registerQuestionCommands } from "./commands/question.js";
import { registerRevisionCommands } from "./commands/revision.js";
import { registerServiceCommands } from "./commands/service.js";
import { registerTwineCommands } from "./commands/twine.js";
import { type CliOutput, describeError, EXIT } from "./output.js";

/** Builds the `twined` command tree. Each action returns its exit code through `setExitCode`. */
export function buildProgram(output: CliOutput, setExitCode: (code: number) => void): Command {
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
  // The order here is the order `twined --help` lists the commands in.
  registerDemoCommand(program, output, setExitCode);
  registerDevCommand(program, output, setExitCode);
  registerDashboardCommand(program, output, setExitCode);
  registerQuestionCommands(program, output, setExitCode);
  registerServiceCommands(program, output, setExitCode);
  registerTwineCommands(program, output, setExitCode);
  registerRevisionCommands(program, output, setExitCode);
  registerDeadLetterCommands(program, output, setExitCode);
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
  const program = buildProgram(output, (code) => {
    exitCode = code;
  });
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
