/**
 * When each of a set of keys may next be tried: the first try is allowed at once, each later one after twice the
 * previous wait, up to a ceiling. Kept in memory: forgetting it (a restart) only means a retry comes sooner.
 */
export class RetrySchedule {
  private readonly next = new Map<string, { readonly at: number; readonly waitMs: number }>();

  constructor(private readonly maxWaitMs: number) {}

  /** True when `key` may be tried at `now`, and if so books its next try; `firstWaitMs` is the wait after the first. */
  take(key: string, now: number, firstWaitMs: number): boolean {
    const booked = this.next.get(key);
    if (booked !== undefined && now < booked.at) return false;
    const waitMs = Math.min(booked === undefined ? firstWaitMs : booked.waitMs * 2, this.maxWaitMs);
    this.next.set(key, { at: now + waitMs, waitMs });
    return true;
  }

  /** Forgets every key not in `keys` (questions that moved on), so the schedule stays as small as what is lost. */
  keepOnly(keys: ReadonlySet<string>): void {
    for (const key of this.next.keys()) if (!keys.has(key)) this.next.delete(key);
  }
}
