import { describeWithEmulators } from "../support/emulators.js";
import { defineScenarios } from "./define-scenarios.js";
import { functionsFrameworkPlatform } from "./platforms/functions-framework.js";

describeWithEmulators("the deployed topology", (info) => {
  defineScenarios(functionsFrameworkPlatform(info));
});
