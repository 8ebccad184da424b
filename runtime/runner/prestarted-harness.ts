import { HarnessProcess, type HarnessProcessOptions } from "./harness-process.js";

/**
 * A harness process started before its question is known, so that Python's start and the harness's imports overlap
 * with the runner's own (loading modules, reading the configuration, validating the question): what a one-question
 * process such as `twined question ask-local` otherwise pays one after the other. It waits for its start message.
 *
 * A question claims it only when it would start a harness exactly so (the same interpreter, working folder and
 * environment object: credentials resolved from the twine make a new environment, and so a fresh process); an
 * unclaimed one is stopped by `release`.
 */
export class PrestartedHarness {
  readonly harness: HarnessProcess;
  private taken = false;
  private ended = false;
  /** What the process wrote before a question claimed it (a Python that cannot start says so): shown only then. */
  private held: [stream: "stdout" | "stderr", text: string][] | undefined = [];

  constructor(private readonly options: HarnessProcessOptions) {
    this.harness = new HarnessProcess({
      ...options,
      onOutput: (stream, text) => {
        if (this.held === undefined) options.onOutput(stream, text);
        else this.held.push([stream, text]);
      },
    });
    void this.harness.exited.then(() => {
      this.ended = true;
    });
  }

  /**
   * The harness, once, when it was started as `wanted` says and is still waiting; its output goes where it was told
   * at its start. One that has ended (an interpreter that cannot start, say) is not given out: a fresh start reports
   * that as a question's own harness would, its streams read from the start.
   */
  claim(wanted: Pick<HarnessProcessOptions, "python" | "cwd" | "env">): HarnessProcess | undefined {
    const { python, cwd, env } = this.options;
    if (this.taken || this.ended || wanted.python !== python || wanted.cwd !== cwd || wanted.env !== env) {
      return undefined;
    }
    this.taken = true;
    const held = this.held ?? [];
    this.held = undefined;
    for (const [stream, text] of held) this.options.onOutput(stream, text);
    return this.harness;
  }

  /** Stops the harness unless a question claimed it (which then stops it itself). */
  async release(): Promise<void> {
    if (this.taken) return;
    this.taken = true;
    await this.harness.terminate(0);
  }
}
