import { describeWithEmulators } from "../support/emulators.js";
import { defineScenarios } from "./define-scenarios.js";
import { googleInProcessPlatform } from "./platforms/google-in-process.js";

describeWithEmulators("the Google adapters", (info) => {
  defineScenarios(googleInProcessPlatform(info));
});
