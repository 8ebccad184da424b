/** A job waiting for quota. */
interface Waiting<T> {
  readonly key: string;
  readonly cpus: number;
  readonly priority: number;
  readonly arrival: number;
  readonly item: T;
}

/**
 * Admits jobs under a CPU quota the way a Kueue ClusterQueue with the BestEffortFIFO strategy does: by priority
 * (higher first), then in arrival order; a job that does not fit yet does not stop smaller ones behind it.
 */
export class AdmissionQueue<T> {
  private readonly waiting: Waiting<T>[] = [];
  private inUse = 0;
  private arrivals = 0;

  constructor(readonly capacity: number) {
    if (!(capacity > 0)) throw new RangeError(`the CPU quota must be positive, got ${capacity}`);
  }

  get used(): number {
    return this.inUse;
  }

  get length(): number {
    return this.waiting.length;
  }

  enqueue(key: string, cpus: number, priority: number, item: T): void {
    if (cpus > this.capacity) {
      throw new RangeError(`a job needing ${cpus} CPUs can never run under a quota of ${this.capacity}`);
    }
    this.waiting.push({ key, cpus, priority, arrival: this.arrivals++, item });
  }

  /** Takes a job out of the queue without running it (e.g. it was cancelled while waiting). */
  remove(key: string): T | undefined {
    const index = this.waiting.findIndex((each) => each.key === key);
    if (index === -1) return undefined;
    const [removed] = this.waiting.splice(index, 1);
    return removed?.item;
  }

  /** Gives back the CPUs of a job that ended. */
  release(cpus: number): void {
    this.inUse = Math.max(0, this.inUse - cpus);
  }

  /** Admits every waiting job that now fits, in admission order, and returns them. */
  admit(): { key: string; item: T }[] {
    const admitted: { key: string; item: T }[] = [];
    const order = [...this.waiting].sort((a, b) => b.priority - a.priority || a.arrival - b.arrival);
    for (const candidate of order) {
      if (this.inUse + candidate.cpus > this.capacity) continue;
      this.inUse += candidate.cpus;
      this.waiting.splice(this.waiting.indexOf(candidate), 1);
      admitted.push({ key: candidate.key, item: candidate.item });
    }
    return admitted;
  }
}
