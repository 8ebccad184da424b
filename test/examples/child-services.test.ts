import { expect } from "vitest";
import { useEmulators } from "../support/emulators.js";
import { describeReadmeCommands } from "./readme-commands.js";

/** The answers the README gives for the example input: the children's seeded numbers, or the emulated ones. */
describeReadmeCommands("child-services", {
  example: "examples/child-services",
  readmes: ["README.md"],
  answers: [
    {
      command: /--children-emulators data\/children-emulators\.json/,
      check: (values) => expect(values).toEqual({ wind_speeds: [10, 12], elevations: [300, 310] }),
    },
    {
      command: /twined question ask examples\/parent\b/,
      check: (values) => expect(values).toEqual({ wind_speeds: [59, 174], elevations: [3542, 548] }),
    },
    // "cd elevation   # or wind-speed": the block runs in elevation.
    {
      command: /twined question ask-local -i @data\/input\/values\.json$/,
      check: (values) => expect(values).toEqual([3542, 548]),
    },
  ],
  emulators: useEmulators(),
});
