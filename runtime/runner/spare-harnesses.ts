import { isDeepStrictEqual } from "node:util";
import { PrestartedHarness, type PrestartOptions } from "./prestarted-harness.js";

export interface SpareHarnessesOptions {
  /** How long a spare waits for a question before it is stopped. Default 5 minutes. */
  readonly idleMs?: number;
  /** How many revisions keep a spare at once; the one asked longest ago loses its spare first. Default 8. */
  readonly maxSpares?: number;
}

interface Spare {
  readonly harness: PrestartedHarness;
  readonly expiry: NodeJS.Timeout;
}

const DEFAULT_IDLE_MS = 5 * 60_000;
const DEFAULT_MAX_SPARES = 8;

/**
 * One harness per revision started before its next question arrives, so that a network's question does not wait for
 * Python to start and import the harness (about 40 ms on a small machine; more under load). A spare is a fresh
 * process that has not imported the app and is given to exactly one question: nothing passes from one question to
 * the next, as with a cold start. It is made after a question of its revision ends, not while that question runs, so
 * it does not compete with that question's app for a CPU. Warm starts (warm-starts.ts) go further: they fork a process
 * that has imported the app.
 */
export class SpareHarnesses {
  /** By revision, the least recently made first. */
  private readonly spares = new Map<string, Spare>();
  private closed = false;

  constructor(private readonly options: SpareHarnessesOptions = {}) {}

  /**
   * The revision's spare, if it is still waiting and was started as a question of it now would be: the same
   * interpreter and folder, and the same environment. `env` is then the spare's own object, which the runner must
   * pass on for the spare to be claimed (a question whose environment differs gets a fresh process).
   */
  take(key: string, wanted: PrestartOptions): { prestarted: PrestartedHarness; env: NodeJS.ProcessEnv } | undefined {
    const spare = this.spares.get(key);
    if (spare === undefined) return undefined;
    this.drop(key);
    const made = spare.harness.options;
    if (
      !spare.harness.waiting ||
      made.python !== wanted.python ||
      made.cwd !== wanted.cwd ||
      !isDeepStrictEqual(made.env, wanted.env)
    ) {
      void spare.harness.release();
      return undefined;
    }
    return { prestarted: spare.harness, env: made.env };
  }

  /** Starts a spare for the revision unless it has one waiting. */
  replenish(key: string, options: PrestartOptions): void {
    if (this.closed || this.spares.get(key)?.harness.waiting === true) return;
    this.drop(key, true);
    const maxSpares = this.options.maxSpares ?? DEFAULT_MAX_SPARES;
    for (const oldest of this.spares.keys()) {
      if (this.spares.size < maxSpares) break;
      this.drop(oldest, true);
    }
    if (maxSpares < 1) return;
    const harness = new PrestartedHarness(options);
    const expiry = setTimeout(() => this.drop(key, true), this.options.idleMs ?? DEFAULT_IDLE_MS).unref();
    this.spares.set(key, { harness, expiry });
  }

  /** How many spares are waiting. */
  get size(): number {
    return [...this.spares.values()].filter((spare) => spare.harness.waiting).length;
  }

  /** Stops every spare; none is made after this. */
  async close(): Promise<void> {
    this.closed = true;
    const stopping = [...this.spares.values()].map((spare) => spare.harness.release());
    for (const key of [...this.spares.keys()]) this.drop(key);
    await Promise.all(stopping);
  }

  private drop(key: string, stop = false): void {
    const spare = this.spares.get(key);
    if (spare === undefined) return;
    clearTimeout(spare.expiry);
    this.spares.delete(key);
    if (stop) void spare.harness.release();
  }
}
