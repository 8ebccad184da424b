import { describeWithEmulators } from "../support/emulators.js";
import { defineScenarios } from "./define-scenarios.js";
import { googleInProcessPlatform } from "./platforms/google-in-process.js";

// CI's second pass (another Node version) sets TWINED_SKIP_EMULATOR_SCENARIOS=1: the first pass ran these.
describeWithEmulators.skipIf(process.env.TWINED_SKIP_EMULATOR_SCENARIOS === "1")("the Google adapters", (info) => {
  defineScenarios(googleInProcessPlatform(info));
});
