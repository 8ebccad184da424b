import { DeadLetterNotFound, DeadLetterNotReplayable } from "../../errors/index.js";
import { definedProperties } from "../../objects/index.js";
import type { BusMessage, DeadLetterQuery, DeadLetterRecord, DeadLetterStore, EventBus } from "../../ports/index.js";
import type { TopicNames } from "../topic-names.js";
import { readDeadLetter, TWINED_DEAD_LETTER_ATTRIBUTES } from "./dead-letter-message.js";

export interface DeadLetterKeeperDependencies {
  readonly store: DeadLetterStore;
  readonly bus: EventBus;
  readonly topics: TopicNames;
  /** The topic each of the network's subscriptions takes, for dead letters Pub/Sub forwarded from one. */
  readonly topicOfSubscription: (subscription: string) => string | undefined;
  readonly now?: () => Date;
}

/** Which dead letters to replay: these, or every one not yet replayed. */
export type ReplaySelection = { readonly ids: readonly string[] } | { readonly all: true };

export interface ReplayReport {
  /** Sent again now, each to its original topic. */
  readonly replayed: readonly string[];
  /** Named, but replayed already (by an earlier replay, or by another at the same time). */
  readonly alreadyReplayed: readonly string[];
  /** Left pending by a replay of all: nothing says where they were published. */
  readonly skipped: readonly { readonly id: string; readonly reason: string }[];
}

/** Dead letters read per round trip by a replay of all. */
const REPLAY_PAGE = 100;

/**
 * Keeps every message of the dead-letters topic in the store, and sends chosen ones again. A replayed message is
 * published on its original topic with its original attributes, so it goes through the same handlers as the first
 * time, and their duplicate protection: a question that was since answered is not asked again.
 */
export class DeadLetterKeeper {
  private readonly now: () => Date;

  constructor(private readonly deps: DeadLetterKeeperDependencies) {
    this.now = deps.now ?? (() => new Date());
  }

  /**
   * Keeps one message of the dead-letters topic (again: a redelivery changes nothing). Throws only when the store
   * fails, which is worth retrying: a message here must never be dead-lettered again, or it would come back forever.
   */
  async record(message: BusMessage): Promise<DeadLetterRecord> {
    const { letter } = await this.deps.store.record(readDeadLetter(message, this.deps.topicOfSubscription));
    return letter;
  }

  list(query: DeadLetterQuery = {}): Promise<DeadLetterRecord[]> {
    return this.deps.store.list(query);
  }

  /** @throws DeadLetterNotFound */
  async get(id: string): Promise<DeadLetterRecord> {
    const letter = await this.deps.store.get(id);
    if (letter === undefined) throw new DeadLetterNotFound(id);
    return letter;
  }

  /**
   * Sends the chosen dead letters again. Named ones are all checked before any is sent.
   * @throws DeadLetterNotFound, or DeadLetterNotReplayable for one whose topic is unknown, when named.
   */
  async replay(selection: ReplaySelection): Promise<ReplayReport> {
    if ("all" in selection) return this.replayAll();
    const letters = await Promise.all([...new Set(selection.ids)].map((id) => this.get(id)));
    for (const letter of letters) this.topicOf(letter);
    const replayed: string[] = [];
    const alreadyReplayed: string[] = [];
    for (const letter of letters) {
      const sent = letter.replayedAt === undefined && (await this.send(letter));
      (sent ? replayed : alreadyReplayed).push(letter.id);
    }
    return { replayed, alreadyReplayed, skipped: [] };
  }

  /**
   * Every dead letter pending when the replay began; those that die again meanwhile are new dead letters, first
   * seen later, and wait for the next replay.
   */
  private async replayAll(): Promise<ReplayReport> {
    const startedAt = this.now().toISOString();
    const seen = new Set<string>();
    const replayed: string[] = [];
    const alreadyReplayed: string[] = [];
    const skipped: { id: string; reason: string }[] = [];
    for (;;) {
      // Skipped ones stay pending, so each page asks for that many more.
      const page = await this.deps.store.list({
        pendingOnly: true,
        seenNoLaterThan: startedAt,
        limit: skipped.length + REPLAY_PAGE,
      });
      const fresh = page.filter((letter) => !seen.has(letter.id));
      if (fresh.length === 0) break;
      for (const letter of fresh) {
        seen.add(letter.id);
        try {
          this.topicOf(letter);
        } catch (error) {
          if (!(error instanceof DeadLetterNotReplayable)) throw error;
          skipped.push({ id: letter.id, reason: error.message });
          continue;
        }
        const sent = await this.send(letter);
        (sent ? replayed : alreadyReplayed).push(letter.id);
      }
    }
    return { replayed, alreadyReplayed, skipped };
  }

  /**
   * Marks the dead letter replayed, then publishes it; false when another replay marked it first. A failed publish
   * takes the mark back, so the letter stays pending.
   */
  private async send(letter: DeadLetterRecord): Promise<boolean> {
    const topic = this.topicOf(letter);
    const at = this.now().toISOString();
    if (!(await this.deps.store.markReplayed(letter.id, at))) return false;
    try {
      await this.deps.bus.publish(topic, letter.data, {
        attributes: letter.attributes,
        // Every publisher of the network's topics keys a question's messages by its UUID, as the codec does on the
        // services topic, where Octue parents' answer subscriptions are ordered.
        ...definedProperties({ orderingKey: letter.questionUuid }),
      });
    } catch (error) {
      await this.deps.store.clearReplayed(letter.id, at).catch(() => undefined);
      throw error;
    }
    return true;
  }

  /** Where the letter goes back to: one of the network's topics, never the dead-letters topic itself. */
  private topicOf(letter: DeadLetterRecord): string {
    const cut = letter.attributes[TWINED_DEAD_LETTER_ATTRIBUTES.cut];
    if (cut !== undefined) {
      throw new DeadLetterNotReplayable(letter.id, `it was kept only in part, to fit in a message (${cut})`);
    }
    if (letter.topic === undefined) {
      throw new DeadLetterNotReplayable(letter.id, "nothing says which topic it was published on");
    }
    const replayable = Object.entries(this.deps.topics)
      .filter(([role]) => role !== "deadLetters")
      .map(([, topic]) => topic);
    if (!replayable.includes(letter.topic)) {
      throw new DeadLetterNotReplayable(
        letter.id,
        `it was published on ${letter.topic}, which is not one of this network's topics (${replayable.join(", ")})`,
      );
    }
    return letter.topic;
  }
}
