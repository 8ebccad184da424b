/**
 * Runs one fuzzed surface: seeded (one seed per test run, shared by every fuzz file, `TWINED_FUZZ_SEED` replays it),
 * bounded in time (`TWINED_FUZZ_SECONDS` for all surfaces together, shared out below) and bounded below in count (each
 * surface's minimum runs whatever the time; the minimums add up to the 10,000 inputs CI must see). Each surface prints
 * one line `fuzz: <surface> <N> inputs, <F> failures, seed <S> …` to stderr and appends it as JSON to the report file.
 */
import {
  appendFileSync,
  linkSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { FindingTally } from "./known-findings.js";

/** Every fuzzed surface, with its minimum count and its share of the time budget. */
export const SURFACES = {
  "http-api": { minRuns: 1000, share: 0.24 },
  "pubsub-push": { minRuns: 1000, share: 0.12 },
  "events-decode": { minRuns: 2500, share: 0.06 },
  "events-network": { minRuns: 500, share: 0.1 },
  twine: { minRuns: 1500, share: 0.12 },
  "service-configuration": { minRuns: 1500, share: 0.1 },
  manifests: { minRuns: 1500, share: 0.12 },
  cli: { minRuns: 500, share: 0.14 },
} as const satisfies Record<string, { minRuns: number; share: number }>;

export type SurfaceName = keyof typeof SURFACES;

/** What CI must see in all: the minimums alone reach it, however slow the machine. */
export const MINIMUM_TOTAL_INPUTS = 10_000;

/**
 * Seconds of fuzzing for all surfaces together. Files run in parallel (Vitest's workers), so on two cores the fuzz
 * files take about half of this on the wall clock, plus their setup and their minimum counts.
 */
const DEFAULT_TOTAL_SECONDS = 150;

/** Where each surface's count line is appended as JSON (one line per surface per run). */
export const REPORT_FILE = process.env.TWINED_FUZZ_REPORT ?? path.join(tmpdir(), "twined-fuzz", "report.jsonl");

/** Shrinks every minimum, for a quick local run (`TWINED_FUZZ_SCALE=0.1`); CI leaves it at 1. */
const SCALE = numberFromEnvironment("TWINED_FUZZ_SCALE", 1);

function numberFromEnvironment(name: string, fallback: number): number {
  const text = process.env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new Error(`${name} must be a non-negative number, got '${text}'`);
  return value;
}

export function minimumRuns(surface: SurfaceName): number {
  return Math.max(1, Math.round(SURFACES[surface].minRuns * SCALE));
}

/** The surface's share of `TWINED_FUZZ_SECONDS`, in milliseconds. */
export function budgetMs(surface: SurfaceName): number {
  return numberFromEnvironment("TWINED_FUZZ_SECONDS", DEFAULT_TOTAL_SECONDS) * 1000 * SURFACES[surface].share;
}

/**
 * The Vitest timeout of a surface's test: its budget, plus time for its minimum count on a slow, busy machine (CI runs
 * every other test file beside it). A hang still ends as a failure, at this timeout or at an input's own.
 */
export function testTimeoutMs(surface: SurfaceName, msPerInputWorstCase: number): number {
  return minimumPhaseLimitMs(surface, msPerInputWorstCase) + 60_000;
}

/**
 * How long the minimum count may take before the surface fails as too slow, with its count so far: within the test's
 * timeout, so a slow machine gets that message instead of a bare Vitest timeout.
 */
function minimumPhaseLimitMs(surface: SurfaceName, msPerInputWorstCase: number): number {
  return budgetMs(surface) + minimumRuns(surface) * msPerInputWorstCase;
}

/**
 * The run's seed: `TWINED_FUZZ_SEED`, else one chosen by the first fuzz file of this Vitest run and read by the others
 * (they are worker processes of one Vitest process, so its pid names the run).
 */
export const RUN_SEED: number = runSeed();

function runSeed(): number {
  const given = process.env.TWINED_FUZZ_SEED;
  if (given !== undefined && given !== "") {
    const seed = Number(given);
    if (!Number.isSafeInteger(seed)) throw new Error(`TWINED_FUZZ_SEED must be an integer, got '${given}'`);
    return seed >>> 0;
  }
  const folder = path.join(tmpdir(), "twined-fuzz");
  mkdirSync(folder, { recursive: true });
  const shared = path.join(folder, `seed-of-run-${process.ppid}`);
  // Files of earlier runs are stale after a few hours (one whose Vitest process had the same pid, too).
  for (const name of readdirSync(folder).filter((each) => each.startsWith("seed-of-run-"))) {
    try {
      const file = path.join(folder, name);
      if (Date.now() - statSync(file).mtimeMs > 3 * 60 * 60 * 1000) rmSync(file, { force: true });
    } catch {
      // Removed by another worker meanwhile.
    }
  }
  const mine = `${shared}.${process.pid}`;
  writeFileSync(mine, String(Math.floor(Math.random() * 2 ** 32)));
  try {
    // Linking is atomic: the first worker's seed wins, and nobody reads a half-written file.
    linkSync(mine, shared);
  } catch {
    // Another worker linked its seed first.
  } finally {
    rmSync(mine, { force: true });
  }
  return Number(readFileSync(shared, "utf8")) >>> 0;
}

/** `TWINED_FUZZ_REPLAY=<surface>:<fast-check seed>:<path>`, when it names this surface. */
function replayOf(surface: SurfaceName): { readonly seed: number; readonly path: string } | undefined {
  const [name, seed, replayPath] = (process.env.TWINED_FUZZ_REPLAY ?? "").split(":");
  if (name !== surface || seed === undefined || replayPath === undefined) return undefined;
  return { seed: Number(seed), path: replayPath };
}

/** A surface's own seed, derived from the run's (FNV-1a of both), so surfaces do not see correlated inputs. */
export function surfaceSeed(surface: string): number {
  let hash = 0x811c9dc5;
  for (const character of `${RUN_SEED}:${surface}`) {
    hash ^= character.charCodeAt(0);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}

export interface FuzzOptions<T> {
  readonly surface: SurfaceName;
  /** The inputs. */
  readonly arbitrary: fc.Arbitrary<T>;
  /**
   * Checks one input: throws to fail it. A violation that is a known finding is counted through `findings` instead,
   * so the fuzzing goes on looking for new ones (`TWINED_FUZZ_STRICT=1` makes those fail too).
   */
  readonly check: (input: T, findings: FindingTally) => void | Promise<void>;
  /** The slowest an input may be on average on a busy CI machine; the same figure the test's timeout is made of. */
  readonly msPerInputWorstCase: number;
  /** A limit for one input, so that a hang fails with its counterexample instead of timing the test out. */
  readonly inputTimeoutMs?: number;
  /** Shows an input in a failure message, when fast-check's own rendering would be too long or unreadable. */
  readonly describeInput?: (input: T) => string;
}

export interface FuzzReport {
  readonly surface: SurfaceName;
  readonly inputs: number;
  readonly failures: number;
  readonly seconds: number;
  readonly knownFindings: Readonly<Record<string, number>>;
  /** How the inputs fared, as the surface labels them. */
  readonly outcomes: Readonly<Record<string, number>>;
}

/**
 * Runs the surface's minimum count first (never cut short by the budget, so the count CI relies on is reached), then
 * goes on with fresh inputs until the surface's time budget is spent. Fails the test with the seed, the fast-check
 * path and the counterexample when an input breaks the property.
 */
export async function fuzz<T>(options: FuzzOptions<T>): Promise<FuzzReport> {
  const { surface } = options;
  const seed = surfaceSeed(surface);
  const findings = new FindingTally(surface);
  const started = Date.now();
  process.stderr.write(`fuzz: ${surface} starting, run seed ${RUN_SEED} (TWINED_FUZZ_SEED=${RUN_SEED} replays it)\n`);

  const property = fc.asyncProperty(options.arbitrary, async (input) => {
    await options.check(input, findings);
  });
  const plugins = options.inputTimeoutMs === undefined ? [] : [fc.timeout(options.inputTimeoutMs)];
  const replay = replayOf(surface);
  if (replay !== undefined) {
    // One counterexample again, from the failure message's seed and path (in a fresh setup, so state built up by
    // the inputs before it is not there: replay the whole run with TWINED_FUZZ_SEED when that matters).
    const details = await fc.check<[T]>(property, { seed: replay.seed, path: replay.path, plugins });
    if (details.failed) throw new Error(failureMessage(surface, "replay", replay.seed, details, options.describeInput));
    return { surface, inputs: details.numRuns, failures: 0, seconds: 0, knownFindings: {}, outcomes: {} };
  }
  const minimum = minimumRuns(surface);
  // The minimum phase only stops at a safety limit (a machine far slower than expected), counted as a failure.
  const safetyMs = minimumPhaseLimitMs(surface, options.msPerInputWorstCase);
  const first = await fc.check<[T]>(property, {
    seed,
    numRuns: minimum,
    plugins: [...plugins, fc.interruptAfterTimeLimit(safetyMs, { failOnInterrupt: true })],
  });
  const phases: { readonly details: fc.RunDetails<[T]>; readonly seed: number; readonly phase: string }[] = [
    { details: first, seed, phase: "minimum" },
  ];
  const remainingMs = budgetMs(surface) - (Date.now() - started);
  if (!first.failed && remainingMs > 0) {
    // Fresh inputs (another seed) for the rest of the budget; fast-check counts the runs it made before stopping.
    const extraSeed = (seed ^ 0x5bd1e995) | 0;
    const extra = await fc.check<[T]>(property, {
      seed: extraSeed,
      numRuns: 10_000_000,
      plugins: [...plugins, fc.interruptAfterTimeLimit(remainingMs)],
    });
    phases.push({ details: extra, seed: extraSeed, phase: "budget" });
  }

  const inputs = phases.reduce((total, each) => total + each.details.numRuns, 0);
  const failed = phases.find((each) => each.details.failed);
  const report: FuzzReport = {
    surface,
    inputs,
    failures: failed === undefined ? 0 : 1,
    seconds: Math.round((Date.now() - started) / 100) / 10,
    knownFindings: findings.summary(),
    outcomes: findings.outcomeSummary(),
  };
  writeReport(report);
  if (failed !== undefined) {
    const message = failureMessage(surface, failed.phase, failed.seed, failed.details, options.describeInput);
    process.stderr.write(`${message}\n`);
    throw new Error(message);
  }
  return report;
}

function writeReport(report: FuzzReport): void {
  const known = Object.entries(report.knownFindings)
    .map(([id, count]) => `${id}×${count}`)
    .join(", ");
  const outcomes = Object.entries(report.outcomes)
    .slice(0, 12)
    .map(([label, count]) => `${label} ${count}`)
    .join(", ");
  process.stderr.write(
    `fuzz: ${report.surface} ${report.inputs} inputs, ${report.failures} failures, seed ${RUN_SEED}, ${report.seconds} s${known === "" ? "" : `; known findings seen: ${known}`}${outcomes === "" ? "" : `; outcomes: ${outcomes}`} (${REPORT_FILE})\n`,
  );
  mkdirSync(path.dirname(REPORT_FILE), { recursive: true });
  appendFileSync(
    REPORT_FILE,
    `${JSON.stringify({ at: new Date().toISOString(), seed: RUN_SEED, surfaceSeed: surfaceSeed(report.surface), ...report })}\n`,
  );
}

function failureMessage<T>(
  surface: SurfaceName,
  phase: string,
  seed: number,
  details: fc.RunDetails<[T]>,
  describeInput: ((input: T) => string) | undefined,
): string {
  const lines = [
    `fuzz: ${surface} FAILED in its ${phase} phase after ${details.numRuns} inputs; run seed ${RUN_SEED} (fast-check seed ${seed}, path ${details.counterexamplePath ?? "none"})`,
    `  replay the run: TWINED_FUZZ_SEED=${RUN_SEED} npx vitest run test/fuzz`,
    `  replay this input: TWINED_FUZZ_REPLAY=${surface}:${seed}:${details.counterexamplePath ?? ""} npx vitest run test/fuzz`,
  ];
  if (details.counterexample !== null) {
    const [input] = details.counterexample;
    lines.push(`  counterexample: ${truncate(shown(input, describeInput), 4000)}`);
  }
  if (details.errorInstance !== null) {
    const error = details.errorInstance;
    lines.push(`  problem: ${truncate(error instanceof Error ? error.message : String(error), 4000)}`);
  } else if (details.interrupted) {
    lines.push(`  problem: the minimum count was not reached within the safety limit; the machine is far too slow`);
  }
  return lines.join("\n");
}

/** The input as text; one nested too deep to show (showing recurses too) says so instead of failing the report. */
function shown<T>(input: T, describeInput: ((input: T) => string) | undefined): string {
  try {
    return describeInput?.(input) ?? fc.stringify(input);
  } catch (error) {
    return `(cannot be shown: ${error instanceof Error ? error.message : String(error)})`;
  }
}

export function truncate(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length)}… (${text.length - length} more characters)`;
}
