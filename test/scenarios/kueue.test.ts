import { defineScenarios } from "./define-scenarios.js";
import { kueuePlatform } from "./platforms/kueue.js";

// Each pod's runner is a Node process of its own, as with isolated local jobs: the load scenario is left to the
// default variant (the Kueue simulator's admission order is tested against the fake API server itself).
defineScenarios(kueuePlatform(), { load: false });
