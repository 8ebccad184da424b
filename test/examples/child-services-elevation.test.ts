import { expect } from "vitest";
import { useEmulators } from "../support/emulators.js";
import { describeReadmeCommands } from "./readme-commands.js";

describeReadmeCommands("child-services/elevation", {
  example: "examples/child-services",
  readmes: ["elevation/README.md"],
  answers: [{ command: /twined question ask-local\b/, check: (values) => expect(values).toEqual([3542, 548]) }],
  emulators: useEmulators(),
});
