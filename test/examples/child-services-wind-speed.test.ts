import { expect } from "vitest";
import { useEmulators } from "../support/emulators.js";
import { describeReadmeCommands } from "./readme-commands.js";

describeReadmeCommands("child-services/wind-speed", {
  example: "examples/child-services",
  readmes: ["wind-speed/README.md"],
  answers: [{ command: /twined question ask-local\b/, check: (values) => expect(values).toEqual([59, 174]) }],
  emulators: useEmulators(),
});
