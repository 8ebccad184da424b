import { type Command, InvalidArgumentError } from "commander";
import type { DemoOptions } from "../actions/demo.js";
import type { CliOutput } from "../output.js";

export function registerDemoCommand(program: Command, output: CliOutput, setExitCode: (code: number) => void): void {
  program
    .command("demo")
    .description(
      "start a network here, register the example services, ask the fractal service, the using-manifests service (and download its output dataset) and the child-services parent, and draw the fractal",
    )
    .option("-o, --output <file>", "where to write the fractal image", "fractal.png")
    .option(
      "--outputs-dir <dir>",
      "where to download the using-manifests answer's output dataset (into <dir>/cleaned_met_mast_data/)",
      "twined-demo-outputs",
    )
    .option(
      "--size <pixels>",
      "width and height of the fractal (its answer grows with the square: 400 is about 7 MB)",
      size,
      400,
    )
    .option("--data-dir <dir>", "where the network keeps its data (default: a new temporary folder)")
    .option("--keep-running", "keep the network running afterwards, to explore it with other commands, until Ctrl-C")
    .addHelpText(
      "after",
      "\nEverything runs on this machine: the control plane in this process, each question's app in its own Python process.",
    )
    .action(async (options: DemoOptions) => {
      const { runDemo } = await import("../actions/demo.js");
      setExitCode(await runDemo(options, output));
    });
}

function size(value: string): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 2 || number > 4000) {
    throw new InvalidArgumentError(`expected a whole number of pixels from 2 to 4000, got '${value}'`);
  }
  return number;
}
