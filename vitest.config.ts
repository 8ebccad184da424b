import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Starts the Pub/Sub and Firestore emulators once per run (skipped loudly without gcloud).
    globalSetup: ["./test/support/emulators.global-setup.ts"],
    reporters: ["default", "./test/support/summary-reporter.ts"],
    testTimeout: 20_000,
    // Most of the emulator suites' time is spent waiting on the emulators, so more files than cores run at once (the
    // default is one fewer worker than cores: a single worker on a 2-core machine).
    maxWorkers: 4,
    // Assertions read plain text; picocolors would colour output whenever CI is set.
    // The compiled-validator cache is off, so that what a test counts does not depend on what earlier runs stored;
    // test/shared/validation/validator-cache.test.ts turns it on in a folder of its own.
    env: { NO_COLOR: "1", TWINED_CACHE_DIR: "off" },
  },
});
