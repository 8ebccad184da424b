import { afterAll, describe, expect, it } from "vitest";
import {
  openSqliteStores,
  openTwinedDatabase,
  SqliteDeadLetterStore,
  type SqliteStores,
} from "../../../../shared/adapters/embedded/sqlite/index.js";
import { CorruptStoreRecord } from "../../../../shared/errors/index.js";
import { rejectionOf } from "../../../support/error-of.js";
import { describeDeadLetterStoreContract } from "../../ports/dead-letter-store.contract.js";

describeDeadLetterStoreContract("SQLite (in memory)", (now) => SqliteDeadLetterStore.open(":memory:", { now }));

// As the embedded platform runs it: on the connection the other stores share, which closing it leaves open.
const shared: SqliteStores[] = [];
afterAll(async () => {
  for (const stores of shared.splice(0)) await stores.close();
});
describeDeadLetterStoreContract("SQLite (shared connection)", (now) => {
  const stores = openSqliteStores(":memory:", { now });
  shared.push(stores);
  return stores.deadLetters;
});

describe("the SQLite dead letter store", () => {
  it("reports a hand-damaged row as a corrupt record naming the dead letter", async () => {
    const database = openTwinedDatabase(":memory:");
    const store = new SqliteDeadLetterStore(database);
    await store.record({
      id: "42",
      reason: "r",
      topic: undefined,
      attempts: 1,
      questionUuid: undefined,
      data: Buffer.from("x"),
      attributes: {},
    });
    database.prepare("UPDATE dead_letters SET attributes_json = ? WHERE dead_letter_id = '42'").run('{"n": 1}');
    const error = await rejectionOf(store.get("42"));
    expect(error).toBeInstanceOf(CorruptStoreRecord);
    expect(error).toMatchObject({ recordType: "dead letter", key: "42" });
    database.close();
  });
});
