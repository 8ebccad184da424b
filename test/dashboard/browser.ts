import { existsSync } from "node:fs";
import path from "node:path";

/** Debian's Chromium (`apt-get install chromium`); `.ci/run` installs it when missing. */
export const CHROMIUM = "/usr/bin/chromium";

/**
 * Without it the browser tests are skipped, except where it is required (`.ci/run` installs it and sets
 * `TWINED_REQUIRE_CHROMIUM`, so there a missing browser fails the tests instead of skipping them).
 */
export const CHROMIUM_AVAILABLE = existsSync(CHROMIUM) || process.env.TWINED_REQUIRE_CHROMIUM === "1";

/** Where the browser tests leave their screenshots (git-ignored). */
export const SCREENSHOTS = path.resolve("test-output", "dashboard");

/**
 * Chromium's flags on these machines: no sandbox (tests may run as root), and nothing reaching Google's hosts
 * (background networking, component updates, sync, QUIC). Playwright gives each launch a fresh profile of its own.
 */
export function chromiumArguments(): string[] {
  return [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ];
}
