import { describe, expect, it } from "vitest";
import { QuestionChangeNotifier } from "../../../../shared/adapters/embedded/question-changes/question-change-notifier.js";
import { openSqliteStores } from "../../../../shared/adapters/embedded/sqlite/index.js";
import {
  createQuestionAttributes,
  deriveResponseAttributes,
  renewEventIdentity,
} from "../../../../shared/events/index.js";

async function storeWithQuestion() {
  const stores = openSqliteStores(":memory:");
  const notifier = new QuestionChangeNotifier(stores.questions);
  const attributes = createQuestionAttributes({ sender: "local/local:local", recipient: "testing/svc:1.0.0" });
  const uuid = attributes.question_uuid;
  await notifier.create({
    questionUuid: uuid,
    recipient: attributes.recipient,
    sender: attributes.sender,
    parentQuestionUuid: undefined,
    originatorQuestionUuid: uuid,
    question: { kind: "question", input_values: 1 },
    attributes,
    pushEndpoint: undefined,
    timeoutSeconds: undefined,
    priority: 0,
    resources: { cpus: 1 },
  });
  return { stores, notifier, attributes, uuid };
}

/** Whether `promise` settles within `ms`. */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, ms, false))]);
}

describe("QuestionChangeNotifier", () => {
  it("wakes a waiter as soon as its question records an event or changes status", async () => {
    const { stores, notifier, attributes, uuid } = await storeWithQuestion();
    const forEvent = notifier.next(uuid, 10_000);
    await notifier.appendEvent({
      event: { kind: "heartbeat" },
      attributes: renewEventIdentity(deriveResponseAttributes(attributes)),
    });
    expect(await settlesWithin(forEvent, 100)).toBe(true);

    const forStatus = notifier.next(uuid, 10_000);
    await notifier.transition(uuid, "validated");
    expect(await settlesWithin(forStatus, 100)).toBe(true);
    await stores.close();
  });

  it("does not wake waiters for other questions or for transitions that did not happen", async () => {
    const { stores, notifier, uuid } = await storeWithQuestion();
    const other = notifier.next("3fa85f64-5717-4562-b3fc-2c963f66afa6", 10_000);
    const same = notifier.next(uuid, 10_000);
    await notifier.transition(uuid, "succeeded");
    expect(await settlesWithin(same, 100)).toBe(false);
    expect(await settlesWithin(other, 100)).toBe(false);
    await stores.close();
  });

  it("resolves after the timeout when nothing happens", async () => {
    const { stores, notifier, uuid } = await storeWithQuestion();
    expect(await settlesWithin(notifier.next(uuid, 30), 500)).toBe(true);
    await stores.close();
  });
});
