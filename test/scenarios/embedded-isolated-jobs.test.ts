import { defineScenarios } from "./define-scenarios.js";
import { embeddedPlatform } from "./platforms/embedded.js";

// Each job's runner in a Node process of its own (`twined dev --isolated-jobs`): slower to start, so the load
// scenario is left to the default variant.
defineScenarios(embeddedPlatform("process"), { load: false });
