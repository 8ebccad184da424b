import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidServiceID, RevisionNotFound } from "../../../shared/errors/index.js";
import type { NewRevision, RevisionRecord, RevisionStore } from "../../../shared/ports/index.js";

/**
 * The behaviour every {@link RevisionStore} adapter must have, written against the port alone so the SQLite and
 * Firestore adapters run the same suite. `makeStore` must return an empty store each time.
 */
export function describeRevisionStoreContract(name: string, makeStore: () => RevisionStore | Promise<RevisionStore>) {
  describe(`RevisionStore contract: ${name}`, () => {
    let store: RevisionStore;

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      await store.close();
    });

    it("registers a revision that reads back as given, not yet the default", async () => {
      const revision = newRevision("1.0.0");
      const record = await store.register(revision);
      expect(record).toEqual({
        ...revision,
        sruid: "octue/example-service:1.0.0",
        isDefault: false,
        registeredAt: expect.stringMatching(ISO_UTC),
      });
      expect(await store.get("octue", "example-service", "1.0.0")).toEqual(record);
      expect(await store.getDefault("octue", "example-service")).toBeUndefined();
    });

    it("returns undefined for unknown revisions and services", async () => {
      await store.register(newRevision("1.0.0"), { makeDefault: true });
      expect(await store.get("octue", "example-service", "9.9.9")).toBeUndefined();
      expect(await store.get("octue", "other-service", "1.0.0")).toBeUndefined();
      expect(await store.getDefault("octue", "other-service")).toBeUndefined();
      expect(await store.getDefault("elsewhere", "example-service")).toBeUndefined();
    });

    it("preserves falsy and empty twine values and both kinds of source exactly", async () => {
      const twine = { zero: 0, no: false, empty: "", object: {}, array: [], nothing: null, nested: { list: [0, ""] } };
      const inFolder = await store.register({
        ...newRevision("1.0.0"),
        twine,
        source: { kind: "directory", path: "" },
      });
      const inImage = await store.register({
        ...newRevision("2.0.0"),
        twine: {},
        source: { kind: "image", image: "eu.gcr.io/p/example:2.0.0" },
      });
      expect((await store.get("octue", "example-service", "1.0.0"))?.twine).toStrictEqual(twine);
      expect(inFolder.source).toStrictEqual({ kind: "directory", path: "" });
      expect((await store.get("octue", "example-service", "2.0.0"))?.twine).toStrictEqual({});
      expect(inImage.source).toStrictEqual({ kind: "image", image: "eu.gcr.io/p/example:2.0.0" });
    });

    it("makes a revision the default when asked", async () => {
      const record = await store.register(newRevision("1.0.0"), { makeDefault: true });
      expect(record.isDefault).toBe(true);
      expect(await store.getDefault("octue", "example-service")).toEqual(record);
    });

    it("replaces a re-registered tag's twine and source, keeping one row and its default status", async () => {
      await store.register(newRevision("1.0.0"), { makeDefault: true });
      const replacement = {
        ...newRevision("1.0.0"),
        twine: { input_values_schema: { type: "object" } },
        source: { kind: "image", image: "example:1.0.0" } as const,
      };
      const record = await store.register(replacement);
      expect(record).toMatchObject({ twine: replacement.twine, source: replacement.source, isDefault: true });
      expect(await store.list()).toEqual([record]);
      // Asking not to make it the default does not take the default away either.
      const again = await store.register(replacement, { makeDefault: false });
      expect(again.isDefault).toBe(true);
      expect(await store.getDefault("octue", "example-service")).toEqual(again);
    });

    it("moves the default to a newly registered revision, leaving exactly one per service", async () => {
      await store.register(newRevision("1.0.0"), { makeDefault: true });
      await store.register(newRevision("1.0.0", "other-service"), { makeDefault: true });
      const second = await store.register(newRevision("2.0.0"), { makeDefault: true });
      expect(await store.getDefault("octue", "example-service")).toEqual(second);
      expect((await store.get("octue", "example-service", "1.0.0"))?.isDefault).toBe(false);
      expect(await defaultTags(store, "example-service")).toEqual(["2.0.0"]);
      expect(await defaultTags(store, "other-service")).toEqual(["1.0.0"]);
    });

    it("moves the default with setDefault, back and forth", async () => {
      await store.register(newRevision("1.0.0"), { makeDefault: true });
      await store.register(newRevision("2.0.0"));
      const moved = await store.setDefault("octue", "example-service", "2.0.0");
      expect(moved).toMatchObject({ revisionTag: "2.0.0", isDefault: true });
      expect(await defaultTags(store, "example-service")).toEqual(["2.0.0"]);
      const back = await store.setDefault("octue", "example-service", "1.0.0");
      expect(back).toMatchObject({ revisionTag: "1.0.0", isDefault: true });
      expect(await defaultTags(store, "example-service")).toEqual(["1.0.0"]);
      const repeated = await store.setDefault("octue", "example-service", "1.0.0");
      expect(repeated).toEqual(back);
      expect(await defaultTags(store, "example-service")).toEqual(["1.0.0"]);
    });

    it("makes a service's first revision its default with setDefault", async () => {
      await store.register(newRevision("1.0.0"));
      expect(await store.getDefault("octue", "example-service")).toBeUndefined();
      await store.setDefault("octue", "example-service", "1.0.0");
      expect((await store.getDefault("octue", "example-service"))?.revisionTag).toBe("1.0.0");
    });

    it("throws RevisionNotFound, with the SRUID, for setDefault to an unknown revision, changing nothing", async () => {
      const current = await store.register(newRevision("1.0.0"), { makeDefault: true });
      for (const [namespace, service, tag] of [
        ["octue", "example-service", "9.9.9"],
        ["octue", "unknown-service", "1.0.0"],
        ["elsewhere", "example-service", "1.0.0"],
      ] as const) {
        const error = await rejection(store.setDefault(namespace, service, tag));
        expect(error).toBeInstanceOf(RevisionNotFound);
        expect((error as RevisionNotFound).serviceRevisionId).toBe(`${namespace}/${service}:${tag}`);
      }
      expect(await store.getDefault("octue", "example-service")).toEqual(current);
    });

    it("refuses to register a revision whose ID breaks the naming rules", async () => {
      const error = await rejection(store.register({ ...newRevision("1.0.0"), name: "Not_Valid" }));
      expect(error).toBeInstanceOf(InvalidServiceID);
      expect(await store.list()).toEqual([]);
    });

    it("lists revisions newest first, for everything, a namespace, a service or a name", async () => {
      const register = async (tag: string, service = "example-service", namespace = "octue") => {
        await nextMillisecond();
        return store.register({ ...newRevision(tag, service), namespace });
      };
      await register("1.0.0");
      await register("1.0.0", "other-service");
      await register("2.0.0");
      await register("1.0.0", "example-service", "elsewhere");
      const sruids = async (filter?: { namespace?: string; name?: string }) =>
        (await store.list(filter)).map((revision) => revision.sruid);
      expect(await sruids()).toEqual([
        "elsewhere/example-service:1.0.0",
        "octue/example-service:2.0.0",
        "octue/other-service:1.0.0",
        "octue/example-service:1.0.0",
      ]);
      expect(await sruids({ namespace: "octue" })).toEqual([
        "octue/example-service:2.0.0",
        "octue/other-service:1.0.0",
        "octue/example-service:1.0.0",
      ]);
      expect(await sruids({ namespace: "octue", name: "example-service" })).toEqual([
        "octue/example-service:2.0.0",
        "octue/example-service:1.0.0",
      ]);
      expect(await sruids({ name: "example-service" })).toEqual([
        "elsewhere/example-service:1.0.0",
        "octue/example-service:2.0.0",
        "octue/example-service:1.0.0",
      ]);
      expect(await sruids({ namespace: "nobody" })).toEqual([]);
      // Re-registering counts as the newest registration.
      await register("1.0.0");
      expect((await sruids({ namespace: "octue", name: "example-service" }))[0]).toBe("octue/example-service:1.0.0");
    });

    it("keeps exactly the last-chosen default per service whatever the sequence of registrations and moves", async () => {
      const operation = fc.record({
        service: fc.constantFrom("alpha", "beta"),
        tag: fc.constantFrom("1.0.0", "2.0.0", "3.0.0"),
        action: fc.constantFrom("register", "register-default", "set-default"),
      });
      await fc.assert(
        fc.asyncProperty(fc.array(operation, { maxLength: 15 }), async (operations) => {
          const namespace = `run-${runs++}`;
          const registered = new Set<string>();
          const expectedDefault = new Map<string, string>();
          for (const { service, tag, action } of operations) {
            const revision = { ...newRevision(tag, service), namespace };
            if (action === "set-default") {
              const outcome = await store.setDefault(namespace, service, tag).catch((error: unknown) => error);
              if (registered.has(`${service}:${tag}`)) {
                expect(outcome).toMatchObject({ revisionTag: tag, isDefault: true });
                expectedDefault.set(service, tag);
              } else {
                expect(outcome).toBeInstanceOf(RevisionNotFound);
              }
            } else {
              const makeDefault = action === "register-default";
              await store.register(revision, { makeDefault });
              registered.add(`${service}:${tag}`);
              if (makeDefault) expectedDefault.set(service, tag);
            }
          }
          for (const service of ["alpha", "beta"]) {
            const defaults = (await store.list({ namespace, name: service })).filter((each) => each.isDefault);
            const expected = expectedDefault.get(service);
            expect(defaults.map((each) => each.revisionTag)).toEqual(expected === undefined ? [] : [expected]);
            expect((await store.getDefault(namespace, service))?.revisionTag).toBe(expected);
          }
          expect(await store.list({ namespace })).toHaveLength(registered.size);
        }),
        { numRuns: 40 },
      );
    });
  });
}

let runs = 0;

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|\+00:00)$/;

function newRevision(revisionTag: string, name = "example-service"): NewRevision {
  return {
    namespace: "octue",
    name,
    revisionTag,
    twine: { input_values_schema: { type: "object", properties: { height: { type: "number" } } } },
    source: { kind: "directory", path: `/services/${name}` },
  };
}

async function defaultTags(store: RevisionStore, name: string): Promise<string[]> {
  const revisions: RevisionRecord[] = await store.list({ namespace: "octue", name });
  return revisions.filter((revision) => revision.isDefault).map((revision) => revision.revisionTag);
}

/** Waits until the clock moves on, so registrations before and after get different times. */
async function nextMillisecond(): Promise<void> {
  const start = Date.now();
  while (Date.now() === start) await new Promise((resolve) => setTimeout(resolve, 1));
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the promise to reject");
}
