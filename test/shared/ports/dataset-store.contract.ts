import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { InvalidCloudPath, StorageObjectNotFound } from "../../../shared/errors/index.js";
import type { DatasetStore, StoredObject } from "../../../shared/ports/index.js";
import { crc32cOf } from "../../../shared/storage/index.js";
import { rejectionOf } from "../../support/error-of.js";

export interface DatasetStoreUnderTest {
  readonly store: DatasetStore;
  /** A bucket of this test's own: emulators are shared by every test file, so nothing here clears them. */
  readonly bucket: string;
  /** GETs (or HEADs) a signed URL the store made, as someone without credentials would. */
  fetchSigned(url: string, method?: "GET" | "HEAD"): Promise<Response>;
  close(): Promise<void>;
}

/**
 * The behaviour every {@link DatasetStore} adapter must have, written against the port alone, so the folder of an
 * embedded network and Cloud Storage (on its emulator) run the same suite. `make` gives a fresh store and bucket.
 */
export function describeDatasetStoreContract(name: string, make: () => Promise<DatasetStoreUnderTest>) {
  describe(`DatasetStore contract: ${name}`, () => {
    let subject: DatasetStoreUnderTest;
    let store: DatasetStore;
    let gs: (objectName: string) => string;
    let scratch: string;

    beforeEach(async () => {
      subject = await make();
      store = subject.store;
      gs = (objectName) => `gs://${subject.bucket}/${objectName}`;
      scratch = mkdtempSync(path.join(tmpdir(), "twined-dataset-store-"));
    });

    afterEach(async () => {
      await subject.close();
    });

    describe("upload and stat", () => {
      it("stores bytes with their metadata, size, CRC32C and time, as stat reports them", async () => {
        const before = Date.now();
        const uploaded = await store.upload(Buffer.from("a,b\n1,2\n"), gs("ds/data.csv"), {
          metadata: { octue__id: '"6d5a…"', octue__tags: '{"site": "A1"}' },
          contentType: "text/csv",
        });
        const expected: Partial<StoredObject> = {
          path: gs("ds/data.csv"),
          size: 8,
          crc32c: crc32cOf("a,b\n1,2\n"),
          metadata: { octue__id: '"6d5a…"', octue__tags: '{"site": "A1"}' },
        };
        expect(uploaded).toMatchObject(expected);
        expect(Date.parse(uploaded.updated)).toBeGreaterThanOrEqual(before - 5_000);
        expect(await store.stat(gs("ds/data.csv"))).toMatchObject(expected);
      });

      it("uploads a local file, and replaces what was at the path", async () => {
        const file = path.join(scratch, "local.bin");
        writeFileSync(file, Buffer.alloc(300_000, 7));
        await store.upload(Buffer.from("old"), gs("replaced.bin"), { metadata: { kept: "no" } });
        const object = await store.upload(file, gs("replaced.bin"));
        expect(object.size).toBe(300_000);
        expect(object.crc32c).toBe(crc32cOf(Buffer.alloc(300_000, 7)));
        expect((await store.stat(gs("replaced.bin")))?.metadata).toEqual({});
      });

      it("says undefined for nothing at a path, and StorageObjectNotFound naming it when reading", async () => {
        expect(await store.stat(gs("missing.txt"))).toBeUndefined();
        const error = await rejectionOf(store.read(gs("missing.txt")));
        expect(error).toBeInstanceOf(StorageObjectNotFound);
        expect(error).toMatchObject({ path: gs("missing.txt") });
        await expect(store.download(gs("missing.txt"), path.join(scratch, "x"))).rejects.toBeInstanceOf(
          StorageObjectNotFound,
        );
      });

      it("keeps names with spaces and non-ASCII characters exactly", async () => {
        const objectName = "données/run 1/résultat Ω.txt";
        await store.upload(Buffer.from("ok"), gs(objectName));
        expect((await store.read(gs(objectName))).toString()).toBe("ok");
        const listed = await store.list(gs("données/"));
        expect(listed.objects.map((object) => object.path)).toEqual([gs(objectName)]);
      });

      it("refuses a path Cloud Storage would refuse, before storing anything", async () => {
        for (const bad of ["s3://bucket/x", "gs://Bad_Bucket/x", `gs://${subject.bucket}/`, `gs://${subject.bucket}`]) {
          await expect(store.upload(Buffer.from("x"), bad), bad).rejects.toBeInstanceOf(InvalidCloudPath);
        }
      });
    });

    describe("read and download", () => {
      it("reads an object whole, and downloads it to a file in a folder it creates", async () => {
        const bytes = Buffer.from(Array.from({ length: 70_000 }, (_, index) => index % 251));
        await store.upload(bytes, gs("ds/nested/file.bin"));
        expect(await store.read(gs("ds/nested/file.bin"))).toEqual(bytes);
        const destination = path.join(scratch, "out", "deeper", "file.bin");
        await store.download(gs("ds/nested/file.bin"), destination);
        expect(readFileSync(destination)).toEqual(bytes);
      });
    });

    describe("list", () => {
      it("lists a folder and everything below it in byte order, with metadata, and nothing beside it", async () => {
        const names = ["ds/b.txt", "ds/a/z.txt", "ds/A.txt", "ds/a.txt", "ds2/a.txt", "other/ds/a.txt"];
        for (const each of names) await store.upload(Buffer.from(each), gs(each), { metadata: { origin: each } });
        const page = await store.list(gs("ds/"));
        expect(page.objects.map((object) => object.path)).toEqual(
          ["ds/A.txt", "ds/a.txt", "ds/a/z.txt", "ds/b.txt"].map(gs),
        );
        expect(page.objects[0]?.metadata).toEqual({ origin: "ds/A.txt" });
        expect(page.nextPageToken).toBeUndefined();
        expect((await store.list(gs("nothing-here/"))).objects).toEqual([]);
      });

      it("pages through a large folder, each object once", async () => {
        const names = Array.from({ length: 25 }, (_, index) => `many/f${String(index).padStart(3, "0")}.txt`);
        await Promise.all(names.map((each) => store.upload(Buffer.from(each), gs(each))));
        const seen: string[] = [];
        let pageToken: string | undefined;
        let pages = 0;
        do {
          const page = await store.list(gs("many/"), {
            pageSize: 10,
            ...(pageToken === undefined ? {} : { pageToken }),
          });
          expect(page.objects.length).toBeLessThanOrEqual(10);
          seen.push(...page.objects.map((object) => object.path));
          pageToken = page.nextPageToken;
          pages++;
        } while (pageToken !== undefined);
        expect(pages).toBe(3);
        expect(seen).toEqual(names.map(gs));
      });
    });

    describe("metadata and copies", () => {
      it("sets and removes custom metadata keys, keeping the others", async () => {
        await store.upload(Buffer.from("x"), gs("meta.txt"), { metadata: { a: "1", b: "2" } });
        const updated = await store.updateMetadata(gs("meta.txt"), { b: null, c: "3" });
        expect(updated.metadata).toEqual({ a: "1", c: "3" });
        expect((await store.stat(gs("meta.txt")))?.metadata).toEqual({ a: "1", c: "3" });
      });

      it("copies an object with its metadata, leaving the original", async () => {
        await store.upload(Buffer.from("copied"), gs("from/x.txt"), { metadata: { octue__id: '"1"' } });
        const copy = await store.copy(gs("from/x.txt"), gs("to/y/x.txt"));
        expect(copy).toMatchObject({
          path: gs("to/y/x.txt"),
          crc32c: crc32cOf("copied"),
          metadata: { octue__id: '"1"' },
        });
        expect((await store.read(gs("to/y/x.txt"))).toString()).toBe("copied");
        expect((await store.read(gs("from/x.txt"))).toString()).toBe("copied");
      });

      it("deletes everything under a prefix, and says how much", async () => {
        for (const each of ["gone/a", "gone/b/c", "kept/a"]) await store.upload(Buffer.from(each), gs(each));
        expect(await store.deleteByPrefix(gs("gone/"))).toBe(2);
        expect((await store.list(gs("gone/"))).objects).toEqual([]);
        expect(await store.stat(gs("kept/a"))).toBeDefined();
      });
    });

    describe("signed URLs", () => {
      it("signs a URL that reads the object without credentials", async () => {
        await store.upload(Buffer.from("signed bytes"), gs("signed/data.txt"));
        const url = await store.signUrl(gs("signed/data.txt"), { expiresInSeconds: 600 });
        expect(url).toMatch(/^https?:\/\//);
        const response = await subject.fetchSigned(url);
        expect(response.status).toBe(200);
        expect(await response.text()).toBe("signed bytes");
      });

      it("refuses to sign a missing object or for longer than a week", async () => {
        await expect(store.signUrl(gs("signed/none.txt"), { expiresInSeconds: 60 })).rejects.toBeInstanceOf(
          StorageObjectNotFound,
        );
        await store.upload(Buffer.from("x"), gs("signed/week.txt"));
        await expect(store.signUrl(gs("signed/week.txt"), { expiresInSeconds: 8 * 24 * 3600 })).rejects.toThrow(
          /7 days/,
        );
      });
    });

    it("takes 50 uploads at once", async () => {
      const names = Array.from({ length: 50 }, (_, index) => `parallel/${index}.txt`);
      await Promise.all(names.map((each) => store.upload(Buffer.from(each), gs(each))));
      expect((await store.list(gs("parallel/"))).objects).toHaveLength(50);
    });
  });
}
