import { Firestore } from "@google-cloud/firestore";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { FirestoreDeadLetterStore } from "../../../../shared/adapters/google/firestore/index.js";
import { CorruptStoreRecord } from "../../../../shared/errors/index.js";
import { describeWithEmulators, uniqueName } from "../../../support/emulators.js";
import { rejectionOf } from "../../../support/error-of.js";
import { describeDeadLetterStoreContract } from "../../ports/dead-letter-store.contract.js";

// Each call takes the emulator milliseconds, but the suite records hundreds of dead letters and megabytes of data.
vi.setConfig({ testTimeout: 60_000 });

describeWithEmulators("the Firestore dead letter store on the emulator", (info) => {
  let firestore: Firestore;

  beforeAll(() => {
    firestore = new Firestore({ projectId: info.projectId });
  });

  afterAll(async () => {
    await firestore.terminate();
  });

  /** A store of its own: every collection ID prefixed, so each test starts empty without clearing the emulator. */
  const isolated = () => ({ firestore, collectionPrefix: `${uniqueName("dl")}_` });

  describeDeadLetterStoreContract(
    "Firestore (emulator)",
    (now) => new FirestoreDeadLetterStore({ ...isolated(), now }),
  );

  describe("documents", () => {
    it("keeps large data in parts beside the dead letter, and small data in it", async () => {
      const options = isolated();
      const store = new FirestoreDeadLetterStore(options);
      const letter = {
        reason: "r",
        topic: "t",
        attempts: 1,
        questionUuid: undefined,
        attributes: { a: "b" },
      };
      await store.record({ ...letter, id: "1", data: Buffer.from("small") });
      await store.record({ ...letter, id: "2", data: Buffer.alloc(2_000_000, 7) });
      const small = (await firestore.doc(`${options.collectionPrefix}deadLetters/1`).get()).data();
      expect(small).toMatchObject({ data: Buffer.from("small"), dataChunks: 0, status: "pending", topic: "t" });
      const large = (await firestore.doc(`${options.collectionPrefix}deadLetters/2`).get()).data();
      expect(large).toMatchObject({ data: null, dataChunks: 3 });
      const parts = await firestore
        .collection(`${options.collectionPrefix}deadLetters/2/${options.collectionPrefix}deadLetterChunks`)
        .get();
      expect(parts.docs.map((part) => part.id)).toEqual(["0000", "0001", "0002"]);
      await store.close();
    });

    it("reports a damaged document as a corrupt record naming the dead letter", async () => {
      const options = isolated();
      const store = new FirestoreDeadLetterStore(options);
      await firestore.doc(`${options.collectionPrefix}deadLetters/9`).set({ reason: 3 });
      const error = await rejectionOf(store.get("9"));
      expect(error).toBeInstanceOf(CorruptStoreRecord);
      expect(error).toMatchObject({ recordType: "dead letter", key: "9" });
      await store.close();
    });
  });
});
