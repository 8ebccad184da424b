import { describe, expect, it } from "vitest";
import { InvalidEvent } from "../../../shared/errors/index.js";
import {
  createQuestionAttributes,
  deriveResponseAttributes,
  formatPythonUtcIsoformat,
  renewEventIdentity,
  validateEvent,
} from "../../../shared/events/index.js";
import { TWINED_VERSION } from "../../../shared/version.js";
import { fixedGenerators, QUESTION_ATTRIBUTES } from "./event-fixtures.js";

const Q = "ca534cdd-24cb-4ed2-af57-e36757192acb";
const E1 = "c8bda9fa-f072-4330-92b1-96920d06b28d";
const E2 = "0e3c2a4b-6b1f-4c55-9f7c-2f3a1b9d8e01";

describe("formatPythonUtcIsoformat", () => {
  it("writes microseconds and a +00:00 offset like Python's isoformat", () => {
    expect(formatPythonUtcIsoformat(new Date("2024-04-11T09:26:39.144Z"))).toBe("2024-04-11T09:26:39.144000+00:00");
  });

  it("drops a zero fraction, as Python does", () => {
    expect(formatPythonUtcIsoformat(new Date("2024-04-11T09:26:39.000Z"))).toBe("2024-04-11T09:26:39+00:00");
  });
});

describe("createQuestionAttributes", () => {
  it("builds an originator question with Octue's defaults", () => {
    const attributes = createQuestionAttributes(
      { sender: "octue/asker:1.0.0", recipient: "octue/child:2.0.0" },
      fixedGenerators([Q, E1]),
    );
    expect(attributes).toStrictEqual({
      uuid: E1,
      datetime: "2024-04-11T09:26:39.144000+00:00",
      question_uuid: Q,
      originator_question_uuid: Q,
      parent: "octue/asker:1.0.0",
      originator: "octue/asker:1.0.0",
      sender: "octue/asker:1.0.0",
      sender_type: "PARENT",
      sender_sdk_version: TWINED_VERSION,
      recipient: "octue/child:2.0.0",
      retry_count: 0,
      forward_logs: true,
      save_diagnostics: "SAVE_DIAGNOSTICS_ON_CRASH",
    });
    expect("parent_question_uuid" in attributes).toBe(false);
    expect(validateEvent({ event: { kind: "question" }, attributes }).attributes).toBe(attributes);
  });

  it("takes every option", () => {
    const attributes = createQuestionAttributes(
      {
        sender: "octue/a:1",
        recipient: "octue/b:1",
        questionUuid: Q,
        parentQuestionUuid: E2,
        originatorQuestionUuid: E1,
        parent: "octue/p:1",
        originator: "octue/o:1",
        retryCount: 2,
        forwardLogs: false,
        saveDiagnostics: "SAVE_DIAGNOSTICS_OFF",
        cpus: 4,
        memory: "2Gi",
        ephemeralStorage: "256Mi",
      },
      { ...fixedGenerators([E2]), senderSdkVersion: "0.69.0" },
    );
    expect(attributes).toMatchObject({
      question_uuid: Q,
      parent_question_uuid: E2,
      originator_question_uuid: E1,
      parent: "octue/p:1",
      originator: "octue/o:1",
      retry_count: 2,
      forward_logs: false,
      save_diagnostics: "SAVE_DIAGNOSTICS_OFF",
      cpus: 4,
      memory: "2Gi",
      ephemeral_storage: "256Mi",
      sender_sdk_version: "0.69.0",
    });
  });

  it.each([
    [{ retryCount: -1 }, "/attributes/retry_count"],
    [{ retryCount: 1.5 }, "/attributes/retry_count"],
    [{ cpus: 0 }, "/attributes/cpus"],
    [{ questionUuid: "question-1" }, "/attributes/question_uuid"],
  ])("rejects bad option %j", (option, pointer) => {
    let error: unknown;
    try {
      createQuestionAttributes({ sender: "octue/a:1", recipient: "octue/b:1", ...option }, fixedGenerators([Q]));
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidEvent);
    expect(error).toMatchObject({ pointer });
  });

  it("uses random UUIDs and the clock by default", () => {
    const first = createQuestionAttributes({ sender: "octue/a:1", recipient: "octue/b:1" });
    const second = createQuestionAttributes({ sender: "octue/a:1", recipient: "octue/b:1" });
    expect(first.question_uuid).not.toBe(second.question_uuid);
    expect(first.uuid).not.toBe(first.question_uuid);
    expect(first.datetime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?\+00:00$/);
  });
});

describe("deriveResponseAttributes", () => {
  it("swaps sender and recipient, copies the tree and retry count, and drops question-only fields", () => {
    const response = deriveResponseAttributes({ ...QUESTION_ATTRIBUTES, retry_count: 3 }, fixedGenerators([E2]));
    expect(response).toStrictEqual({
      uuid: E2,
      datetime: "2024-04-11T09:26:39.144000+00:00",
      question_uuid: QUESTION_ATTRIBUTES.question_uuid,
      parent_question_uuid: QUESTION_ATTRIBUTES.parent_question_uuid,
      originator_question_uuid: QUESTION_ATTRIBUTES.originator_question_uuid,
      parent: QUESTION_ATTRIBUTES.parent,
      originator: QUESTION_ATTRIBUTES.originator,
      sender: "octue/another-service:1.0.0",
      sender_type: "CHILD",
      sender_sdk_version: TWINED_VERSION,
      recipient: "octue/test-service:5.6.3",
      retry_count: 3,
    });
  });

  it("reports our own SDK version, not the question's (a deliberate deviation from Octue)", () => {
    expect(QUESTION_ATTRIBUTES.sender_sdk_version).toBe("1.0.3");
    expect(deriveResponseAttributes(QUESTION_ATTRIBUTES).sender_sdk_version).toBe(TWINED_VERSION);
    expect(deriveResponseAttributes(QUESTION_ATTRIBUTES, { senderSdkVersion: "9.9.9" }).sender_sdk_version).toBe(
      "9.9.9",
    );
  });

  it("leaves parent_question_uuid out for an originator question", () => {
    const { parent_question_uuid: _dropped, ...originatorQuestion } = QUESTION_ATTRIBUTES;
    expect("parent_question_uuid" in deriveResponseAttributes(originatorQuestion)).toBe(false);
  });

  it("produces attributes every response kind validates with", () => {
    const attributes = deriveResponseAttributes(QUESTION_ATTRIBUTES);
    expect(validateEvent({ event: { kind: "heartbeat" }, attributes }).attributes.sender_type).toBe("CHILD");
  });
});

describe("renewEventIdentity", () => {
  it("gives a new event UUID and datetime and keeps everything else", () => {
    const renewed = renewEventIdentity(QUESTION_ATTRIBUTES, fixedGenerators([E2], new Date("2025-01-01T00:00:00Z")));
    expect(renewed).toStrictEqual({ ...QUESTION_ATTRIBUTES, uuid: E2, datetime: "2025-01-01T00:00:00+00:00" });
  });
});
