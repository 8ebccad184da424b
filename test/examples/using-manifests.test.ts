import { expect } from "vitest";
import { useEmulators } from "../support/emulators.js";
import { describeReadmeCommands } from "./readme-commands.js";

interface Summary {
  row_count: number;
  first_time_stamp: string;
  last_time_stamp: string;
  time_window: number;
}

/** The summary of the shipped dataset: its 40 readings, 3 seconds apart, on the metadata's date, in 60-second windows. */
function expectSummary(outputValues: unknown): void {
  expect(outputValues).toMatchObject({
    row_count: 40,
    first_time_stamp: "2019-12-08T00:00:00.400000+00:00",
    last_time_stamp: "2019-12-08T00:01:57.400000+00:00",
    time_window: 60,
  } satisfies Summary);
}

/** ask-local names the cleaned dataset on this machine; a network names it in its outputs bucket. */
function expectCleanedDataset(pattern: RegExp) {
  return (outputValues: unknown, answer: Record<string, unknown>): void => {
    expectSummary(outputValues);
    const manifest = answer.output_manifest as { datasets: Record<string, unknown> };
    const dataset = manifest.datasets.cleaned_met_mast_data;
    expect(typeof dataset === "string" ? dataset : (dataset as { path?: string }).path).toMatch(pattern);
  };
}

describeReadmeCommands("using-manifests", {
  example: "examples/using-manifests",
  readmes: ["README.md"],
  answers: [
    { command: /twined question ask-local\b/, check: expectCleanedDataset(/cleaned_met_mast_data/) },
    {
      command: /twined question ask\b/,
      check: expectCleanedDataset(/^gs:\/\/twined-outputs\/[0-9a-f-]{36}\/cleaned_met_mast_data$/),
    },
  ],
  emulators: useEmulators(),
});
