import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Starts the Pub/Sub and Firestore emulators once per run (skipped loudly without gcloud).
    globalSetup: ["./test/support/emulators.global-setup.ts"],
    reporters: ["default", "./test/support/summary-reporter.ts"],
    testTimeout: 20_000,
    // Assertions read plain text; picocolors would colour output whenever CI is set.
    env: { NO_COLOR: "1" },
  },
});
