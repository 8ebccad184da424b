import { defineScenarios } from "./define-scenarios.js";
import { embeddedPlatform } from "./platforms/embedded.js";

defineScenarios(embeddedPlatform());
