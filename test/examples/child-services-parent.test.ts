import { expect } from "vitest";
import { useEmulators } from "../support/emulators.js";
import { describeReadmeCommands } from "./readme-commands.js";

describeReadmeCommands("child-services/parent", {
  example: "examples/child-services",
  readmes: ["parent/README.md"],
  answers: [
    {
      command: /--children-emulators data\/children-emulators\.json/,
      check: (values) => expect(values).toEqual({ wind_speeds: [10, 12], elevations: [300, 310] }),
    },
  ],
  emulators: useEmulators(),
});
