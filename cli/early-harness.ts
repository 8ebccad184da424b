import type { PrestartedHarness } from "../runtime/runner/prestarted-harness.js";

let early: PrestartedHarness | undefined;

/**
 * Whether these arguments ask a question of the service in this folder (`twined question ask-local`), whose Python
 * harness can then start before the command tree is even loaded. Help asks nothing.
 */
export function asksLocally(argv: readonly string[]): boolean {
  return argv[0] === "question" && argv[1] === "ask-local" && !argv.some((arg) => arg === "--help" || arg === "-h");
}

/** Keeps the harness `main.ts` started for the command's action, which takes it once. */
export function keepEarlyHarness(harness: PrestartedHarness): void {
  early = harness;
}

/** The harness started early, once; undefined when none was (the command was parsed from elsewhere: tests). */
export function takeEarlyHarness(): PrestartedHarness | undefined {
  const taken = early;
  early = undefined;
  return taken;
}
