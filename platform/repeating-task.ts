import { processLogger } from "../shared/ports/index.js";

/**
 * Runs `task` every `intervalMs`, never two at once (a slow pass delays the next instead of overlapping it). A failing
 * pass is reported and the next one runs as usual.
 */
export class RepeatingTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly task: () => Promise<unknown>,
    private readonly intervalMs: number,
    private readonly onError: (error: unknown) => void = (error) =>
      processLogger().error(error instanceof Error ? (error.stack ?? error.message) : String(error)),
  ) {
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.task()
        .catch(this.onError)
        .finally(() => this.schedule());
    }, this.intervalMs);
    this.timer.unref();
  }

  /** Stops repeating and waits for a pass that is under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
