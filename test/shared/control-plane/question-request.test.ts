import { describe, expect, it } from "vitest";
import {
  decodeQuestionReference,
  encodeQuestionReference,
  parseQuestionRequest,
  statusOfException,
  topicNames,
} from "../../../shared/control-plane/index.js";
import { InvalidEvent, InvalidQuestionRequest } from "../../../shared/errors/index.js";
import { errorOf } from "../../support/error-of.js";

describe("parseQuestionRequest", () => {
  it("accepts a full request and keeps falsy input values", () => {
    const body = {
      recipient: "octue/fractal",
      input_values: 0,
      input_manifest: { id: "8ead7669-8162-4f64-8cd5-4abe92509e17", datasets: {} },
      children: [],
      question_uuid: "3fa85f64-5717-4562-b3fc-2c963f66afa6",
      push_endpoint: "https://example.com/hook",
      timeout_seconds: 30,
      priority: 5,
      cpus: 2,
      memory: "2Gi",
      ephemeral_storage: "512Mi",
      forward_logs: false,
    };
    expect(parseQuestionRequest(body)).toEqual(body);
  });

  it.each([
    [[], "", /must be a JSON object/],
    [{}, "", /'recipient' is required/],
    [
      { recipient: "a/b", input_value: {} },
      "/input_value",
      /unknown field 'input_value' \(did you mean 'input_values'\?\)/,
    ],
    [{ recipient: "a/b", question_uuid: "nope" }, "/question_uuid", /must be a UUID/],
    [{ recipient: "a/b", cpus: 0 }, "/cpus", /'cpus' must be >= 1/],
    [{ recipient: "a/b", cpus: 1.5 }, "/cpus", /'cpus' must be an integer/],
    [{ recipient: "a/b", memory: "lots" }, "/memory", /Kubernetes quantity/],
    [{ recipient: "a/b", push_endpoint: "ftp://x" }, "/push_endpoint", /http\(s\) URL/],
    [{ recipient: "a/b", timeout_seconds: 0 }, "/timeout_seconds", /'timeout_seconds' must be > 0/],
    [{ recipient: 7 }, "/recipient", /'recipient' must be a string/],
  ])("rejects %j at %j", (body, pointer, message) => {
    const error = errorOf(() => parseQuestionRequest(body));
    expect(error).toBeInstanceOf(InvalidQuestionRequest);
    expect((error as InvalidQuestionRequest).pointer).toBe(pointer);
    expect((error as Error).message).toMatch(message);
  });
});

describe("internal messages", () => {
  it("round-trip a question reference", () => {
    const reference = { question_uuid: "3fa85f64-5717-4562-b3fc-2c963f66afa6", reason: "stop" };
    expect(decodeQuestionReference(encodeQuestionReference(reference))).toEqual(reference);
  });

  it.each(["not json", "[]", '{"question_uuid": 3}', '{"question_uuid": "x"}'])("refuse %j", (text) => {
    expect(() => decodeQuestionReference(Buffer.from(text))).toThrow(InvalidEvent);
  });
});

describe("topicNames", () => {
  it("follows Octue's services topic name and its override", () => {
    expect(topicNames("main").services).toBe("main.octue.twined.services");
    expect(topicNames("main", { TWINED_SERVICES_TOPIC_NAME: "custom" }).services).toBe("custom");
    expect(topicNames("main").accepted).toBe("main.twined.questions.accepted");
    expect(() => topicNames("my-env")).toThrow(/one lowercase word/);
  });
});

describe("statusOfException", () => {
  it.each([
    ["QuestionCancelled", "cancelled"],
    ["QuestionTimedOut", "timed_out"],
    ["ValueError", "failed"],
  ])("%s → %s", (type, status) => {
    expect(
      statusOfException({ kind: "exception", exception_type: type, exception_message: "", exception_traceback: [] }),
    ).toBe(status);
  });
});
