import type { BusSubscriber, MessageHandler } from "../../../ports/event-bus.js";

/**
 * A handler attached to one subscription. It tracks its running handler calls so `close()` can wait for them; what
 * happens to their messages afterwards is the bus's business (`onDetach`).
 */
export class InMemorySubscriber implements BusSubscriber {
  private readonly running = new Set<Promise<void>>();
  private detached = false;

  constructor(
    readonly handler: MessageHandler,
    private readonly onDetach: (subscriber: InMemorySubscriber) => void,
  ) {}

  get isDetached(): boolean {
    return this.detached;
  }

  /** Remembers a handler call until it settles. `work` must never reject. */
  track(work: Promise<void>): void {
    this.running.add(work);
    void work.finally(() => this.running.delete(work));
  }

  /** Stops new deliveries at once; the bus may also call it (on delete or close) before the owner does. */
  detach(): void {
    if (this.detached) return;
    this.detached = true;
    this.onDetach(this);
  }

  async close(): Promise<void> {
    this.detach();
    // Nothing new starts once detached, so the calls running now are the last ones.
    await Promise.all(this.running);
  }
}
