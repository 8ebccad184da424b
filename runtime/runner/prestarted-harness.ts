import { HarnessProcess, type HarnessProcessOptions } from "./harness-process.js";

/** How a harness is started before its question is known: all but where its output goes, which the question says. */
export type PrestartOptions = Omit<HarnessProcessOptions, "onOutput">;

/**
 * A harness process started before its question is known, so that Python's start and the harness's imports overlap
 * with the runner's own work (loading modules, reading the configuration, validating the question) or happen before
 * the question arrives at all (a network's spare, spare-harnesses.ts). It waits for its start message, and has not
 * imported the app: that happens once a question is sent.
 *
 * A question claims it only when it would start a harness exactly so (the same interpreter, working folder and
 * environment object: credentials resolved from the twine make a new environment, and so a fresh process); an
 * unclaimed one is stopped by `release`.
 */
export class PrestartedHarness {
  readonly harness: HarnessProcess;
  private taken = false;
  private ended = false;
  /** Where the claiming question wants the process's output; until then it is held. */
  private sink: HarnessProcessOptions["onOutput"] | undefined;
  /** What the process wrote before a question claimed it (a Python that cannot start says so): shown only then. */
  private readonly held: [stream: "stdout" | "stderr", text: string][] = [];

  constructor(readonly options: PrestartOptions) {
    this.harness = new HarnessProcess({
      ...options,
      onOutput: (stream, text) => {
        if (this.sink === undefined) this.held.push([stream, text]);
        else this.sink(stream, text);
      },
    });
    void this.harness.exited.then(() => {
      this.ended = true;
    });
  }

  /** Whether no question has claimed it and it is still waiting for one. */
  get waiting(): boolean {
    return !this.taken && !this.ended;
  }

  /**
   * The harness, once, when it was started as `wanted` says and is still waiting; what it wrote so far and all it
   * writes from now on goes to `wanted.onOutput`. One that has ended (an interpreter that cannot start, say) is not
   * given out: a fresh start reports that as a question's own harness would, its streams read from the start.
   */
  claim(wanted: HarnessProcessOptions): HarnessProcess | undefined {
    const { python, cwd, env } = this.options;
    if (!this.waiting || wanted.python !== python || wanted.cwd !== cwd || wanted.env !== env) return undefined;
    this.taken = true;
    this.sink = wanted.onOutput;
    for (const [stream, text] of this.held.splice(0)) wanted.onOutput(stream, text);
    return this.harness;
  }

  /** Stops the harness unless a question claimed it (which then stops it itself). */
  async release(): Promise<void> {
    if (this.taken) return;
    this.taken = true;
    await this.harness.terminate(0);
  }
}
