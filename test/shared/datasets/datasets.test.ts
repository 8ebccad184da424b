import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  type ResolvedDataset,
  resolveManifestDatasets,
  signManifestDatasets,
  uploadOutputDatasets,
} from "../../../shared/datasets/index.js";
import {
  DatasetNotFound,
  SignedUrlRejected,
  StorageNotConfigured,
  StorageObjectNotFound,
} from "../../../shared/errors/index.js";
import type { SerialisedManifest } from "../../../shared/events/index.js";
import type { DatasetStore } from "../../../shared/ports/index.js";
import { crc32cOf, decodeDatafileMetadata, encodeDatafileMetadata } from "../../../shared/storage/index.js";
import { rejectionOf } from "../../support/error-of.js";
import { type ServedFolderStorage, serveFolderStorage } from "../../support/folder-storage.js";

const FILE_ID = "9a3c1c0e-2b6e-4a19-8a47-1f5a1e0c0a11";

function manifestOf(datasets: SerialisedManifest["datasets"]): SerialisedManifest {
  return { id: "6b3f3a0e-0b6e-4f0c-9d7c-2a1e8c3d4b5f", datasets };
}

function datasetOf(manifest: SerialisedManifest, key: string): ResolvedDataset {
  const dataset = manifest.datasets[key];
  if (dataset === undefined || typeof dataset === "string") throw new Error(`${key} was not resolved`);
  return dataset as ResolvedDataset;
}

describe("datasets in storage", () => {
  let served: ServedFolderStorage;
  let store: DatasetStore;

  beforeEach(async () => {
    served = await serveFolderStorage();
    store = served.store;
  });

  afterEach(async () => {
    await served.close();
  });

  describe("resolveManifestDatasets", () => {
    it("lists a dataset's files with their stored Octue metadata, downloading nothing", async () => {
      await store.upload(Buffer.from("a"), "gs://inputs/raw/sub/a.csv", {
        metadata: encodeDatafileMetadata({
          id: FILE_ID,
          timestamp: "2024-06-10T06:13:20+00:00",
          tags: { height: 80 },
          labels: ["wind", "met"],
        }),
      });
      await store.upload(Buffer.from("bb"), "gs://inputs/raw/b.csv");
      await store.upload(Buffer.from("{}"), "gs://inputs/raw/.signed_metadata_files/old-slug");
      await store.upload(Buffer.from("{}"), "gs://inputs/raw-other/c.csv");

      const resolved = await resolveManifestDatasets(manifestOf({ raw: "gs://inputs/raw" }), { store });
      const raw = datasetOf(resolved, "raw");
      expect(raw).toMatchObject({ name: "raw", path: "gs://inputs/raw", tags: {}, labels: [] });
      expect(raw.files.map((file) => file.path)).toEqual(["gs://inputs/raw/b.csv", "gs://inputs/raw/sub/a.csv"]);
      expect(raw.files[1]).toEqual({
        id: FILE_ID,
        name: "a.csv",
        path: "gs://inputs/raw/sub/a.csv",
        timestamp: 1718000000,
        tags: { height: 80 },
        labels: ["met", "wind"],
        size: 1,
        crc32c: crc32cOf("a"),
      });
      expect(raw.files[0]?.id).toMatch(/^[0-9a-f-]{36}$/);
    });

    it("applies the dataset's .octue metadata, and its file list when it has one", async () => {
      await store.upload(Buffer.from("1"), "gs://inputs/listed/one.txt");
      await store.upload(Buffer.from("2"), "gs://inputs/listed/two.txt");
      const document = {
        dataset: {
          id: FILE_ID,
          name: "measurements",
          tags: { campaign: 3 },
          labels: ["raw"],
          files: ["gs://inputs/listed/two.txt"],
        },
      };
      await store.upload(Buffer.from(JSON.stringify(document)), "gs://inputs/listed/.octue");
      const resolved = datasetOf(
        await resolveManifestDatasets(manifestOf({ listed: "gs://inputs/listed" }), { store }),
        "listed",
      );
      expect(resolved).toMatchObject({ id: FILE_ID, name: "measurements", tags: { campaign: 3 }, labels: ["raw"] });
      expect(resolved.files.map((file) => file.name)).toEqual(["two.txt"]);
    });

    it("lists a dataset of more than a page of files, each once", async () => {
      const names = Array.from({ length: 1_005 }, (_, index) => `many/f${String(index).padStart(4, "0")}.txt`);
      for (const name of names) await store.upload(Buffer.from("x"), `gs://inputs/${name}`);
      const resolved = datasetOf(
        await resolveManifestDatasets(manifestOf({ many: "gs://inputs/many" }), { store }),
        "many",
      );
      expect(resolved.files).toHaveLength(1_005);
      expect(new Set(resolved.files.map((file) => file.path)).size).toBe(1_005);
    }, 60_000);

    it("says precisely what is missing, and leaves local datasets alone", async () => {
      await expect(
        resolveManifestDatasets(manifestOf({ gone: "gs://inputs/nothing-here" }), { store }),
      ).rejects.toMatchObject({ constructor: DatasetNotFound, path: "gs://inputs/nothing-here" });
      await expect(
        resolveManifestDatasets(
          manifestOf({
            x: {
              id: FILE_ID,
              name: "x",
              tags: {},
              labels: [],
              path: "gs://inputs/x",
              files: ["gs://inputs/x/missing.csv"],
            },
          }),
          { store },
        ),
      ).rejects.toMatchObject({ constructor: StorageObjectNotFound, path: "gs://inputs/x/missing.csv" });
      const error = await rejectionOf(
        resolveManifestDatasets(manifestOf({ raw: "gs://inputs/raw" }), { unavailable: "this job has no storage" }),
      );
      expect(error).toBeInstanceOf(StorageNotConfigured);
      expect(error.message).toContain("gs://inputs/raw: this job has no storage");
      const local = manifestOf({ here: "data/here" });
      expect(await resolveManifestDatasets(local, { store })).toEqual(local);
    });
  });

  describe("signed datasets", () => {
    it("signs a dataset so that someone without storage reads it by URL, metadata included", async () => {
      await store.upload(Buffer.from("signed"), "gs://inputs/share/data.csv", {
        metadata: encodeDatafileMetadata({ id: FILE_ID, tags: { unit: "m/s" }, labels: ["wind"] }),
      });
      const signed = await signManifestDatasets(
        manifestOf({ share: "gs://inputs/share" }),
        { store },
        { expiresInSeconds: 600 },
      );
      const url = signed.datasets.share;
      expect(url).toMatch(new RegExp(`^${served.url}/storage/inputs/share/\\.signed_metadata_files/[a-z]+-[a-z]+\\?`));

      // Read back by a job with no storage at all, as a child asked by its parent is.
      const resolved = datasetOf(await resolveManifestDatasets(signed, { unavailable: "no storage here" }), "share");
      expect(resolved.files).toHaveLength(1);
      expect(resolved.files[0]).toMatchObject({
        id: FILE_ID,
        name: "data.csv",
        tags: { unit: "m/s" },
        labels: ["wind"],
        size: 6,
        crc32c: crc32cOf("signed"),
      });
      expect(resolved.files[0]?.path).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/storage\/inputs\/share\/data\.csv\?/);
      expect(await (await fetch(resolved.files[0]?.path ?? "")).text()).toBe("signed");

      const again = await signManifestDatasets(signed, { store });
      expect(again).toEqual(signed);
    });

    it("refuses a signed URL that was tampered with, without showing its signature", async () => {
      await store.upload(Buffer.from("x"), "gs://inputs/share/x.csv");
      const signed = await signManifestDatasets(manifestOf({ share: "gs://inputs/share" }), { store });
      const tampered = String(signed.datasets.share).replace(/signature=[0-9a-f]{4}/, "signature=0000");
      const error = await rejectionOf(resolveManifestDatasets(manifestOf({ share: tampered }), {}));
      expect(error).toBeInstanceOf(SignedUrlRejected);
      expect(error.message).toContain("HTTP 400");
      expect(error.message).not.toContain("signature=");
    });
  });

  describe("uploadOutputDatasets", () => {
    let outputs: string;

    beforeEach(() => {
      outputs = mkdtempSync(path.join(tmpdir(), "twined-outputs-"));
      mkdirSync(path.join(outputs, "cleaned", "by-site"), { recursive: true });
      writeFileSync(path.join(outputs, "cleaned", "summary.csv"), "site,mean\nA1,7.2\n");
      writeFileSync(path.join(outputs, "cleaned", "by-site", "A1.csv"), "t,v\n0,7.2\n");
      // What the harness writes beside each folder's files (Octue's local metadata).
      writeFileSync(
        path.join(outputs, "cleaned", ".octue"),
        JSON.stringify({
          dataset: { id: FILE_ID, name: "cleaned", tags: {}, labels: [] },
          datafiles: {
            "summary.csv": { id: FILE_ID, timestamp: 1718000000, tags: { kind: "summary" }, labels: ["clean"] },
          },
        }),
      );
    });

    const harnessManifest = () =>
      manifestOf({
        cleaned: {
          id: FILE_ID,
          name: "cleaned",
          tags: { site: "A1" },
          labels: ["clean"],
          path: path.join(outputs, "cleaned"),
          files: [path.join(outputs, "cleaned", "by-site", "A1.csv"), path.join(outputs, "cleaned", "summary.csv")],
        },
        elsewhere: "gs://inputs/already/there",
      });

    it("uploads each dataset under the question's folder with Octue's metadata, and answers with gs:// paths", async () => {
      const report = await uploadOutputDatasets(harnessManifest(), {
        store,
        location: "gs://outputs/service",
        questionUuid: "q-1",
      });
      expect(report.manifest.datasets).toEqual({
        cleaned: "gs://outputs/service/q-1/cleaned",
        elsewhere: "gs://inputs/already/there",
      });
      expect(report).toMatchObject({ uploaded: 2, unchanged: 0 });
      const summary = await store.stat("gs://outputs/service/q-1/cleaned/summary.csv");
      expect(decodeDatafileMetadata(summary?.metadata ?? {})).toMatchObject({
        id: FILE_ID,
        timestamp: "2024-06-10T06:13:20.000Z",
        tags: { kind: "summary" },
        labels: ["clean"],
      });
      expect((await store.read("gs://outputs/service/q-1/cleaned/by-site/A1.csv")).toString()).toBe("t,v\n0,7.2\n");
      const document = JSON.parse((await store.read("gs://outputs/service/q-1/cleaned/.octue")).toString());
      expect(document).toEqual({
        dataset: {
          id: FILE_ID,
          name: "cleaned",
          tags: { site: "A1" },
          labels: ["clean"],
          path: "gs://outputs/service/q-1/cleaned",
        },
      });

      // The same outputs again: no bytes are sent, only metadata that changed.
      const again = await uploadOutputDatasets(harnessManifest(), {
        store,
        location: "gs://outputs/service",
        questionUuid: "q-1",
      });
      expect(again).toMatchObject({ uploaded: 0, unchanged: 2 });
      const uploaded = manifestOf({ cleaned: "gs://outputs/service/q-1/cleaned" });
      const resolved = datasetOf(await resolveManifestDatasets(uploaded, { store }), "cleaned");
      expect(resolved.files.map((file) => file.name).sort()).toEqual(["A1.csv", "summary.csv"]);
    });

    it("answers with signed URLs when asked, which read without storage", async () => {
      const report = await uploadOutputDatasets(harnessManifest(), {
        store,
        location: "gs://outputs",
        questionUuid: "q-2",
        signedUrls: { expiresInSeconds: 3600 },
      });
      const url = String(report.manifest.datasets.cleaned);
      expect(url).toMatch(/\/storage\/outputs\/q-2\/cleaned\/\.signed_metadata_files\//);
      const resolved = datasetOf(await resolveManifestDatasets(manifestOf({ cleaned: url }), {}), "cleaned");
      expect(resolved.files.map((file) => file.name).sort()).toEqual(["A1.csv", "summary.csv"]);
      expect(resolved.files.find((file) => file.name === "summary.csv")?.tags).toEqual({ kind: "summary" });
    });

    it("refuses a file outside its dataset's folder before uploading anything", async () => {
      const manifest = harnessManifest();
      const cleaned = manifest.datasets.cleaned;
      if (typeof cleaned === "string" || cleaned === undefined) throw new Error("unexpected");
      await expect(
        uploadOutputDatasets(
          manifestOf({ cleaned: { ...cleaned, files: [...cleaned.files, path.join(outputs, "stray.csv")] } }),
          { store, location: "gs://outputs", questionUuid: "q-3" },
        ),
      ).rejects.toThrow(/outside its dataset's folder/);
    });
  });
});
