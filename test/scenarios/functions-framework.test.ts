import { describeWithEmulators } from "../support/emulators.js";
import { defineScenarios } from "./define-scenarios.js";
import { functionsFrameworkPlatform } from "./platforms/functions-framework.js";

describeWithEmulators("the deployed topology", (info) => {
  // The 200-question load scenario runs on the same adapters in one process (google-in-process.test.ts); through
  // push subscriptions it takes two more minutes of CI for no behaviour of its own. Run it here with
  // TWINED_FULL_SCENARIOS=1.
  defineScenarios(functionsFrameworkPlatform(info), { load: process.env.TWINED_FULL_SCENARIOS === "1" });
});
