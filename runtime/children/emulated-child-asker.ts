import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { InvalidChildrenEmulators } from "../../shared/errors/index.js";
import {
  type ChildEvent,
  type ChildEventEnvelope,
  deriveResponseAttributes,
  validateEvent,
} from "../../shared/events/index.js";
import { escapePointerToken, isPlainObject, parseJson } from "../../shared/json/index.js";
import type { ChildAnswer, ChildAsker, ChildQuestion } from "../../shared/ports/index.js";
import { outcomeOf } from "./child-outcome.js";

/** The events one emulated child question "sends", in order, its `result` or `exception` among them. */
type Script = readonly ChildEvent[];

/**
 * Answers child questions from scripted event lists instead of real services, like Octue's `ChildEmulator`: each
 * child key maps to the scripts of the questions asked of that child (logs, monitor messages, then a `result` or
 * `exception`), used one per ask in order. Inputs are ignored. A children emulators file gives one script per key,
 * replayed on every ask; a crash's recorded questions give one per question asked, and asking more is an error.
 */
export class EmulatedChildAsker implements ChildAsker {
  private readonly asked = new Map<string, number>();

  /**
   * `recordedIn` names the diagnostics file the scripts were recorded in: asking a key more often than it has scripts
   * then means the replay has diverged from the recorded run. Without it the last script is repeated forever.
   */
  constructor(
    private readonly scripts: ReadonlyMap<string, readonly Script[]>,
    private readonly recordedIn?: string,
  ) {}

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
    if (!isPlainObject(value)) {
      throw new InvalidChildrenEmulators(
        'the children emulators must be a JSON object mapping child keys to event lists, e.g. {"elevation": [{"kind": "result", "output_values": [1]}]}',
        { location: { file: origin }, pointer: "" },
      );
    }
    const scripts = new Map<string, Script[]>();
    for (const [key, events] of Object.entries(value)) {
      const pointer = `/${escapePointerToken(key)}`;
      scripts.set(key, [scriptOf(events, pointer, origin, `the emulator for child '${key}'`)]);
    }
    return new EmulatedChildAsker(scripts);
  }

  /**
   * Replays the child questions a crashed question asked, from its diagnostics' `questions.json`: a list of
   * `{"key": …, "events": [ … ]}` in the order they were asked (Octue's, or Twined's with `question_uuid`), whose events
   * may be `{event, attributes}` envelopes or, in older Octue files, bare events. The n-th ask of a key gets the n-th
   * recorded answer to it.
   */
  static fromRecordedQuestions(questions: unknown, origin: string): EmulatedChildAsker {
    if (!Array.isArray(questions)) {
      throw new InvalidChildrenEmulators(
        'the recorded questions must be a JSON list of the questions the service asked its children, in order, each {"key": "<child key>", "events": [ … ]}',
        { location: { file: origin }, pointer: "" },
      );
    }
    const scripts = new Map<string, Script[]>();
    questions.forEach((question: unknown, index) => {
      if (!isPlainObject(question) || typeof question.key !== "string") {
        throw new InvalidChildrenEmulators(
          `the recorded question at /${index} has no child key: each must be an object with a string "key", the child's key in the twine`,
          { location: { file: origin }, pointer: `/${index}` },
        );
      }
      const pointer = `/${index}/events`;
      const script = scriptOf(
        question.events,
        pointer,
        origin,
        `the events of the recorded question at /${index} (to child '${question.key}')`,
      );
      scripts.set(question.key, [...(scripts.get(question.key) ?? []), script]);
    });
    return new EmulatedChildAsker(scripts, origin);
  }

  async ask(question: ChildQuestion, onEvent?: (envelope: ChildEventEnvelope) => void): Promise<ChildAnswer> {
    const script = this.nextScript(question.key);
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

  private nextScript(key: string): Script {
    const scripts = this.scripts.get(key) ?? [];
    const count = (this.asked.get(key) ?? 0) + 1;
    this.asked.set(key, count);
    const script = scripts[count - 1] ?? (this.recordedIn === undefined ? scripts.at(-1) : undefined);
    if (script !== undefined) return script;
    const keys = [...this.scripts.keys()].join(", ");
    if (this.recordedIn === undefined) {
      throw new InvalidChildrenEmulators(`no emulator for child '${key}' (emulated: ${keys || "none"})`);
    }
    const recorded =
      scripts.length === 0
        ? `no question to child '${key}' (${keys === "" ? "none to any child" : `only to: ${keys}`}); the app asked one`
        : `${scripts.length} question${scripts.length === 1 ? "" : "s"} to child '${key}'; the app asked a ${ordinal(count)}`;
    throw new InvalidChildrenEmulators(
      `the diagnostics recorded ${recorded}: the replay has diverged from the recorded run`,
      { location: { file: this.recordedIn } },
    );
  }
}

/** A child's scripted events, checked: a non-empty list of valid response events with a `result` or `exception`. */
function scriptOf(events: unknown, pointer: string, origin: string, subject: string): Script {
  if (!Array.isArray(events) || events.length === 0) {
    throw new InvalidChildrenEmulators(`${subject} must be a non-empty list of events`, {
      location: { file: origin },
      pointer,
    });
  }
  const script = events.map((entry: unknown, index) => scriptedEvent(entry, `${pointer}/${index}`, origin));
  if (!script.some((event) => event.kind === "result" || event.kind === "exception")) {
    throw new InvalidChildrenEmulators(
      `there is no "result" or "exception" event in ${subject}, so its question would never end`,
      { location: { file: origin }, pointer },
    );
  }
  return script;
}

/** 1st, 2nd, 3rd, 4th, …, 11th, 12th, 13th, …, 21st. */
function ordinal(n: number): string {
  const teen = n % 100 >= 11 && n % 100 <= 13;
  const suffix = teen ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${suffix}`;
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
    throw new InvalidChildrenEmulators(
      `the event at ${pointer} is not a valid response event: ${(error as Error).message}`,
      {
        location: { file: origin },
        pointer,
        cause: error,
      },
    );
  }
}
