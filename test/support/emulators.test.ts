import { Firestore } from "@google-cloud/firestore";
import { PubSub } from "@google-cloud/pubsub";
import { expect, it } from "vitest";
import { clearFirestore, describeWithEmulators, uniqueName } from "./emulators.js";

describeWithEmulators("the emulators of this test run", (info) => {
  it("serve Pub/Sub: a published message reaches a subscription", async () => {
    const pubsub = new PubSub({ projectId: info.projectId });
    const [topic] = await pubsub.createTopic(uniqueName("setup"));
    const [subscription] = await topic.createSubscription(uniqueName("setup"));
    const received = new Promise<string>((resolve) => {
      subscription.on("message", (message) => {
        message.ack();
        resolve(message.data.toString("utf8"));
      });
    });
    await topic.publishMessage({ data: Buffer.from("hello") });
    expect(await received).toBe("hello");
    await subscription.close();
    await pubsub.close();
  });

  it("serve Firestore, and clearing it removes every document", async () => {
    const firestore = new Firestore({ projectId: info.projectId });
    const document = firestore.collection("setup").doc(uniqueName("doc"));
    await document.create({ value: 1 });
    expect((await document.get()).data()).toEqual({ value: 1 });
    await clearFirestore(info);
    expect((await document.get()).exists).toBe(false);
    await firestore.terminate();
  });
});
