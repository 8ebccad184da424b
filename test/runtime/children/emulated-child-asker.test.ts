import { describe, expect, it } from "vitest";
import { EmulatedChildAsker } from "../../../runtime/children/emulated-child-asker.js";
import { InvalidChildrenEmulators } from "../../../shared/errors/index.js";
import { type ChildEventEnvelope, createQuestionAttributes } from "../../../shared/events/index.js";
import type { ChildAnswer, ChildQuestion } from "../../../shared/ports/index.js";
import { errorOf, rejectionOf } from "../../support/error-of.js";

const PARENT_SRUID = "testing/parent:1.0.0";
const QUESTIONS_FILE = "/diagnostics/q/questions.json";

function childQuestion(key: string, inputValues: unknown = null): ChildQuestion {
  return {
    key,
    child: { key, id: `testing/${key}:1.0.0`, backend: { name: "GCPPubSubBackend", project_id: "local" } },
    inputValues,
    inputManifest: null,
    timeoutSeconds: undefined,
    questionUuid: undefined,
    parentQuestion: createQuestionAttributes({ sender: "local/local:local", recipient: PARENT_SRUID }),
    askerSruid: PARENT_SRUID,
  };
}

/** The output values of a `result` outcome; fails the test on an exception. */
function outputValuesOf(answer: ChildAnswer): unknown {
  if (answer.outcome.kind !== "result") throw new Error(`expected a result, got ${JSON.stringify(answer.outcome)}`);
  return answer.outcome.outputValues;
}

const result = (values: unknown) => ({ kind: "result", output_values: values });
const log = (msg: string) => ({ kind: "log_record", log_record: { msg, levelname: "INFO", name: "child" } });

/** A recorded question as `questions.json` holds it: each event in a `{event, attributes}` envelope. */
function recorded(key: string, events: readonly object[], questionUuid: string | null = null) {
  return {
    id: `testing/${key}:1.0.0`,
    key,
    question_uuid: questionUuid,
    input_values: null,
    input_manifest: null,
    events: events.map((event) => ({ event, attributes: { sender: `testing/${key}:1.0.0` } })),
  };
}

function invalid(error: unknown): InvalidChildrenEmulators {
  expect(error).toBeInstanceOf(InvalidChildrenEmulators);
  return error as InvalidChildrenEmulators;
}

describe("EmulatedChildAsker.fromJson", () => {
  it("replays a child's script on every ask, relaying its other events first", async () => {
    const asker = EmulatedChildAsker.fromJson({ elevation: [log("looking up"), result([300])] });
    const relayed: ChildEventEnvelope[] = [];
    const answers = [
      await asker.ask(childQuestion("elevation", { n: 1 }), (envelope) => relayed.push(envelope)),
      await asker.ask(childQuestion("elevation", { n: 2 })),
      await asker.ask(childQuestion("elevation", { n: 3 })),
    ];
    expect(answers.map(outputValuesOf)).toEqual([[300], [300], [300]]);
    expect(answers[0]?.childSruid).toBe("testing/elevation:1.0.0");
    expect(new Set(answers.map((answer) => answer.questionUuid)).size).toBe(3);
    expect(relayed.map((envelope) => envelope.event.kind)).toEqual(["log_record"]);
    expect(relayed[0]?.attributes).toMatchObject({
      sender: "testing/elevation:1.0.0",
      recipient: PARENT_SRUID,
      question_uuid: answers[0]?.questionUuid,
    });
  });

  it("names the children it emulates when asked about another", async () => {
    const asker = EmulatedChildAsker.fromJson({ elevation: [result(1)], wind_speed: [result(2)] });
    const error = invalid(await rejectionOf(asker.ask(childQuestion("terrain"))));
    expect(error.message).toBe("no emulator for child 'terrain' (emulated: elevation, wind_speed)");
  });

  it.each([
    [[1, 2], "", /must be a JSON object mapping child keys to event lists/],
    [{ "a/b": [] }, "/a~1b", /the emulator for child 'a\/b' must be a non-empty list of events/],
    [{ elevation: "result" }, "/elevation", /must be a non-empty list of events/],
    [{ elevation: [log("only a log")] }, "/elevation", /no "result" or "exception" event in the emulator for child/],
    [
      { elevation: [result(1), { kind: "log_record" }] },
      "/elevation/1",
      /the event at \/elevation\/1 is not a valid response event/,
    ],
  ])("refuses %j with a pointer to the problem", (value, pointer, message) => {
    const error = invalid(errorOf(() => EmulatedChildAsker.fromJson(value, "emulators.json")));
    expect(error.pointer).toBe(pointer);
    expect(error.location?.file).toBe("emulators.json");
    expect(error.message).toMatch(message);
  });
});

describe("EmulatedChildAsker.fromRecordedQuestions", () => {
  const questions = [
    recorded("a", [log("first"), result("a1")]),
    recorded("b", [result("b1")]),
    recorded("a", [result("a2")]),
  ];

  it("answers each key's questions in the order they were recorded", async () => {
    const asker = EmulatedChildAsker.fromRecordedQuestions(questions, QUESTIONS_FILE);
    const answers = [
      await asker.ask(childQuestion("b")),
      await asker.ask(childQuestion("a")),
      await asker.ask(childQuestion("a")),
    ];
    expect(answers.map(outputValuesOf)).toEqual(["b1", "a1", "a2"]);
  });

  it("says the replay diverged when the app asks a key more often than recorded", async () => {
    const asker = EmulatedChildAsker.fromRecordedQuestions(questions, QUESTIONS_FILE);
    await asker.ask(childQuestion("a"));
    await asker.ask(childQuestion("a"));
    const error = invalid(await rejectionOf(asker.ask(childQuestion("a"))));
    expect(error.message).toBe(
      "the diagnostics recorded 2 questions to child 'a'; the app asked a 3rd: the replay has diverged from the recorded run",
    );
    expect(error.location?.file).toBe(QUESTIONS_FILE);

    await asker.ask(childQuestion("b"));
    const second = invalid(await rejectionOf(asker.ask(childQuestion("b"))));
    expect(second.message).toMatch(/^the diagnostics recorded 1 question to child 'b'; the app asked a 2nd:/);
  });

  it("says which children were asked when the app asks one that was not", async () => {
    const asker = EmulatedChildAsker.fromRecordedQuestions(questions, QUESTIONS_FILE);
    const error = invalid(await rejectionOf(asker.ask(childQuestion("c"))));
    expect(error.message).toBe(
      "the diagnostics recorded no question to child 'c' (only to: a, b); the app asked one: the replay has diverged from the recorded run",
    );
    expect(error.location?.file).toBe(QUESTIONS_FILE);

    const none = EmulatedChildAsker.fromRecordedQuestions([], QUESTIONS_FILE);
    expect(invalid(await rejectionOf(none.ask(childQuestion("c")))).message).toMatch(
      /^the diagnostics recorded no question to child 'c' \(none to any child\); the app asked one:/,
    );
  });

  it("accepts Octue's older files, whose events are bare", async () => {
    const bare = [{ id: "octue/a:1.0.0", key: "a", events: [log("bare"), result("bare answer")] }];
    const asker = EmulatedChildAsker.fromRecordedQuestions(bare, QUESTIONS_FILE);
    const relayed: ChildEventEnvelope[] = [];
    const answer = await asker.ask(childQuestion("a"), (envelope) => relayed.push(envelope));
    expect(outputValuesOf(answer)).toBe("bare answer");
    expect(relayed.map((envelope) => envelope.event)).toEqual([
      { kind: "log_record", log_record: { msg: "bare", levelname: "INFO", name: "child" } },
    ]);
  });

  it("answers with the child's exception when its recorded question ended in one", async () => {
    const exception = {
      kind: "exception",
      exception_type: "ValueError",
      exception_message: "Error in <Service('testing/a:1.0.0')>: no terrain here",
      exception_traceback: ["Traceback (most recent call last):\n", "ValueError: no terrain here\n"],
    };
    const asker = EmulatedChildAsker.fromRecordedQuestions(
      [recorded("a", [log("trying"), exception], "0b9d4e1c-2a53-4c5f-9a1e-6f1f1d2a3b4c")],
      QUESTIONS_FILE,
    );
    const answer = await asker.ask(childQuestion("a"));
    expect(answer.outcome).toEqual({
      kind: "exception",
      exceptionType: "ValueError",
      exceptionMessage: "Error in <Service('testing/a:1.0.0')>: no terrain here",
      exceptionTraceback: ["Traceback (most recent call last):\n", "ValueError: no terrain here\n"],
    });
    expect(answer.childSruid).toBe("testing/a:1.0.0");
  });

  it.each([
    [{ a: [] }, "", /must be a JSON list of the questions the service asked its children, in order/],
    [[recorded("a", [result(1)]), "a"], "/1", /the recorded question at \/1 has no child key/],
    [[{ events: [result(1)] }], "/0", /the recorded question at \/0 has no child key/],
    [[{ key: 3, events: [result(1)] }], "/0", /has no child key: each must be an object with a string "key"/],
    [
      [{ key: "a", events: [] }],
      "/0/events",
      /the events of the recorded question at \/0 \(to child 'a'\) must be a non-empty list of events/,
    ],
    [[{ key: "a" }], "/0/events", /must be a non-empty list of events/],
    [
      [recorded("a", [log("no end")])],
      "/0/events",
      /no "result" or "exception" event in the events of the recorded question at \/0 \(to child 'a'\)/,
    ],
    [
      [recorded("a", [result(1)]), recorded("b", [log("x"), { kind: "log_record" }, result(2)])],
      "/1/events/1",
      /the event at \/1\/events\/1 is not a valid response event/,
    ],
    [[{ key: "a", events: [{ event: { kind: "bogus" }, attributes: {} }] }], "/0/events/0", /not a valid response/],
  ])("refuses %j with a pointer into questions.json", (value, pointer, message) => {
    const error = invalid(errorOf(() => EmulatedChildAsker.fromRecordedQuestions(value, QUESTIONS_FILE)));
    expect(error.pointer).toBe(pointer);
    expect(error.location?.file).toBe(QUESTIONS_FILE);
    expect(error.message).toMatch(message);
  });
});
