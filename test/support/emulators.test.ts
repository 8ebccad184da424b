import { randomBytes } from "node:crypto";
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

  it("serve Firestore, and clearing a project removes its documents and no other's", async () => {
    // A project of its own: the shared one holds the documents of the test files running alongside.
    const project = `setup-${randomBytes(4).toString("hex")}`;
    const own = new Firestore({ projectId: project });
    const shared = new Firestore({ projectId: info.projectId });
    const document = own.collection("setup").doc(uniqueName("doc"));
    const neighbour = shared.collection("setup").doc(uniqueName("doc"));
    await document.create({ value: 1 });
    await neighbour.create({ value: 2 });
    expect((await document.get()).data()).toEqual({ value: 1 });
    await clearFirestore(info, project);
    expect((await document.get()).exists).toBe(false);
    expect((await neighbour.get()).data()).toEqual({ value: 2 });
    await expect(clearFirestore(info, info.projectId)).rejects.toThrow(/a project of your own/);
    await neighbour.delete();
    await own.terminate();
    await shared.terminate();
  });
});
