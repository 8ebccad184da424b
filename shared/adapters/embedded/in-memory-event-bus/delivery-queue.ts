/** A published message as the bus stores it: immutable, shared by every subscription it fans out to. */
export interface StoredMessage {
  readonly id: string;
  readonly data: Buffer;
  readonly attributes: Readonly<Record<string, string>>;
  /** Undefined for no key; Pub/Sub treats an empty key as none, and so do we. */
  readonly orderingKey: string | undefined;
  readonly publishTime: Date;
}

/** One subscription's copy of a message, with how many times it has been handed to a handler. */
export interface Delivery {
  readonly message: StoredMessage;
  attempts: number;
}

/**
 * The messages of one subscription that are not in a handler's hands. On an ordered queue a key is held from the
 * moment one of its messages becomes ready until that message is released (acked or dead-lettered); the key's later
 * messages wait behind it in publish order, so a nacked message blocks its key through its backoff. Keyless
 * messages, and all messages of an unordered queue, are ready at once.
 */
export class DeliveryQueue {
  private ready: Delivery[] = [];
  /** Held key → the messages waiting for it, oldest first. */
  private readonly held = new Map<string, Delivery[]>();

  constructor(private readonly ordered: boolean) {}

  /** A newly published message. */
  add(delivery: Delivery): void {
    const key = this.keyOf(delivery);
    if (key !== undefined) {
      const waiting = this.held.get(key);
      if (waiting !== undefined) {
        waiting.push(delivery);
        return;
      }
      this.held.set(key, []);
    }
    this.ready.push(delivery);
  }

  /** A nacked message back from its backoff. It has kept its key all along, so it goes straight to ready. */
  retry(delivery: Delivery): void {
    this.ready.push(delivery);
  }

  /** The message is finished with: the next one waiting for its key (if any) becomes ready. */
  release(delivery: Delivery): void {
    const key = this.keyOf(delivery);
    if (key === undefined) return;
    const waiting = this.held.get(key);
    const next = waiting?.shift();
    if (next === undefined) this.held.delete(key);
    else this.ready.push(next);
  }

  /** Removes and returns every ready message, oldest first. */
  takeReady(): Delivery[] {
    return this.ready.splice(0);
  }

  get readyCount(): number {
    return this.ready.length;
  }

  /** Ready messages plus those waiting for their key. */
  get size(): number {
    let size = this.ready.length;
    for (const waiting of this.held.values()) size += waiting.length;
    return size;
  }

  clear(): void {
    this.ready = [];
    this.held.clear();
  }

  private keyOf(delivery: Delivery): string | undefined {
    return this.ordered ? delivery.message.orderingKey : undefined;
  }
}
