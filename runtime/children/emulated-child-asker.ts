import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { InvalidChildrenEmulators } from "../../shared/errors/index.js";
import {
  type ChildEvent,
  type ChildEventEnvelope,
  deriveResponseAttributes,
  validateEvent,
} from "../../shared/events/index.js";
import { parseJson } from "../../shared/json/index.js";
import type { ChildAnswer, ChildAsker, ChildQuestion } from "../../shared/ports/index.js";
import { outcomeOf } from "./child-outcome.js";

/**
 * Answers child questions from scripted event lists instead of real services, like Octue's `ChildEmulator`: each
 * child key maps to the events that child "sends" (logs, monitor messages, then a `result` or `exception`). Inputs
 * are ignored. Every ask of the same key replays the same script.
 */
export class EmulatedChildAsker implements ChildAsker {
  constructor(private readonly scripts: ReadonlyMap<string, readonly ChildEvent[]>) {}

  /** Reads a JSON file `{ "<child key>": [ {"kind": …}, … ], … }`; entries may also be `{event, attributes}` envelopes. */
  static fromFile(file: string): EmulatedChildAsker {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (error) {
      throw new InvalidChildrenEmulators(`cannot read the children emulators file: ${(error as Error).message}`, {
        location: { file },
      });
    }
    return EmulatedChildAsker.fromJson(parseJson(text, { origin: file }), file);
  }

  static fromJson(value: unknown, origin = "children emulators"): EmulatedChildAsker {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new InvalidChildrenEmulators(
        'the children emulators must be a JSON object mapping child keys to event lists, e.g. {"elevation": [{"kind": "result", "output_values": [1]}]}',
        { location: { file: origin }, pointer: "" },
      );
    }
    const scripts = new Map<string, ChildEvent[]>();
    for (const [key, events] of Object.entries(value)) {
      const pointer = `/${key.replaceAll("~", "~0").replaceAll("/", "~1")}`;
      if (!Array.isArray(events) || events.length === 0) {
        throw new InvalidChildrenEmulators(`the emulator for child '${key}' must be a non-empty list of events`, {
          location: { file: origin },
          pointer,
        });
      }
      const script = events.map((entry: unknown, index) => scriptedEvent(entry, `${pointer}/${index}`, origin));
      const finals = script.filter((event) => event.kind === "result" || event.kind === "exception");
      if (finals.length === 0) {
        throw new InvalidChildrenEmulators(
          `the emulator for child '${key}' has no "result" or "exception" event, so its question would never end`,
          { location: { file: origin }, pointer },
        );
      }
      scripts.set(key, script);
    }
    return new EmulatedChildAsker(scripts);
  }

  async ask(question: ChildQuestion, onEvent?: (envelope: ChildEventEnvelope) => void): Promise<ChildAnswer> {
    const script = this.scripts.get(question.key);
    if (script === undefined) {
      throw new InvalidChildrenEmulators(
        `no emulator for child '${question.key}' (emulated: ${[...this.scripts.keys()].join(", ") || "none"})`,
      );
    }
    const questionUuid = question.questionUuid ?? randomUUID();
    const attributes = deriveResponseAttributes({
      ...question.parentQuestion,
      question_uuid: questionUuid,
      parent_question_uuid: question.parentQuestion.question_uuid,
      originator_question_uuid: question.parentQuestion.originator_question_uuid,
      parent: question.askerSruid,
      sender: question.askerSruid,
      recipient: question.child.id,
    });
    for (const event of script) {
      const outcome = outcomeOf(event);
      if (outcome !== undefined) return { questionUuid, childSruid: question.child.id, outcome };
      onEvent?.({ event, attributes });
    }
    throw new InvalidChildrenEmulators(`the emulator for child '${question.key}' ended without a final event`);
  }
}

function scriptedEvent(entry: unknown, pointer: string, origin: string): ChildEvent {
  const body =
    typeof entry === "object" && entry !== null && "event" in entry ? (entry as { event: unknown }).event : entry;
  // Validate the body with placeholder child attributes: scripted events need only be valid responses.
  const probe = {
    event: body,
    attributes: {
      datetime: "2024-01-01T00:00:00+00:00",
      uuid: "00000000-0000-4000-8000-000000000000",
      question_uuid: "00000000-0000-4000-8000-000000000001",
      originator_question_uuid: "00000000-0000-4000-8000-000000000001",
      parent: "local/local:local",
      originator: "local/local:local",
      sender: "local/child:local",
      sender_type: "CHILD",
      sender_sdk_version: "0.0.0",
      recipient: "local/local:local",
      retry_count: 0,
    },
  };
  try {
    return validateEvent(probe).event as ChildEvent;
  } catch (error) {
    throw new InvalidChildrenEmulators(`an emulated event is not a valid response event: ${(error as Error).message}`, {
      location: { file: origin },
      pointer,
      cause: error,
    });
  }
}
