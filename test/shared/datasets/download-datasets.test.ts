import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { downloadDatafile, downloadManifestDatasets } from "../../../shared/datasets/index.js";
import { StorageChecksumMismatch } from "../../../shared/errors/index.js";
import type { SerialisedManifest } from "../../../shared/events/index.js";
import type { DatasetStore } from "../../../shared/ports/index.js";
import { type DatafileMetadata, encodeDatafileMetadata } from "../../../shared/storage/index.js";
import { TWINED_VERSION } from "../../../shared/version.js";
import { rejectionOf } from "../../support/error-of.js";
import { type ServedFolderStorage, serveFolderStorage } from "../../support/folder-storage.js";

const repositoryRoot = path.resolve(import.meta.dirname, "../../..");

const DATASET_ID = "5b8c1a2e-3d4f-4e6a-9b7c-0d1e2f3a4b5c";
const SUMMARY_ID = "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
const A_ID = "2b3c4d5e-6f7a-4b8c-9d0e-1f2a3b4c5d6e";
const B_ID = "3c4d5e6f-7a8b-4c9d-8e1f-2a3b4c5d6e7f";

const DATASET_DOCUMENT = {
  dataset: { id: DATASET_ID, name: "measurements", tags: { campaign: 3, site: "Sønderborg" }, labels: ["raw", "met"] },
};

/** Reads a `.octue` file below the download folder. */
function octue(folder: string, ...segments: string[]): { text: string; value: unknown } {
  const text = readFileSync(path.join(folder, ...segments, ".octue"), "utf8");
  return { text, value: JSON.parse(text) };
}

/** Every file below `folder`, as POSIX paths relative to it. */
function filesBelow(folder: string): string[] {
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)).split(path.sep).join("/"))
    .sort();
}

/** Runs a Python snippet with the harness importable; returns what it printed, parsed as JSON. */
function python(script: string, ...args: string[]): unknown {
  const result = spawnSync("python3", ["-c", script, ...args], {
    cwd: repositoryRoot,
    env: {
      ...process.env,
      PYTHONPATH: path.join(repositoryRoot, "runtime", "python"),
      PYTHONDONTWRITEBYTECODE: "1",
    },
    encoding: "utf8",
    timeout: 60_000,
  });
  if (result.status !== 0) throw new Error(`python3 failed (${result.status}): ${result.stderr}`);
  return JSON.parse(result.stdout);
}

/** The text Python's `json.dump(value, indent=4, sort_keys=True)` writes for each `.octue`, as the harness writes it. */
const PYTHON_FORMATTED = `
import json, sys
print(json.dumps([json.dumps(json.load(open(f, encoding="utf-8")), indent=4, sort_keys=True) for f in sys.argv[1:]]))
`;

/** A folder read as the harness reads a local dataset: its `.octue` files give its and its files' metadata. */
const HARNESS_DATASET = `
import json, os, sys
from twined_harness.resources import Dataset
from twined_harness.resources.identity import timestamp_to_posix
dataset = Dataset(path=sys.argv[1])
files = [
    {
        "path": os.path.relpath(file.local_path, dataset.path).replace(os.sep, "/"),
        "id": file.id,
        "timestamp": timestamp_to_posix(file.timestamp),
        "tags": dict(file.tags),
        "labels": file.labels.serialise(),
    }
    for file in dataset.files
]
print(json.dumps({
    "id": dataset.id,
    "name": dataset.name,
    "tags": dict(dataset.tags),
    "labels": dataset.labels.serialise(),
    "files": sorted(files, key=lambda file: file["path"]),
}))
`;

describe("downloadManifestDatasets", () => {
  let served: ServedFolderStorage;
  let store: DatasetStore;
  let downloads: string;

  const put = (name: string, content: string, metadata: DatafileMetadata) =>
    store.upload(Buffer.from(content), `gs://inputs/raw/${name}`, { metadata: encodeDatafileMetadata(metadata) });

  beforeEach(async () => {
    served = await serveFolderStorage();
    store = served.store;
    downloads = mkdtempSync(path.join(tmpdir(), "twined-downloads-"));
    await put("summary.csv", "site,mean\nA1,7.2\n", {
      id: SUMMARY_ID,
      timestamp: "2024-06-10T06:13:20+00:00",
      tags: { rows: 1 },
      labels: ["summary", "clean"],
    });
    await put("sub/a.csv", "t,v\n0,7.2\n", { id: A_ID, tags: { height: 80 }, labels: ["wind"] });
    await put("sub/deeper/b.csv", "t,v\n0,3.1\n", { id: B_ID, timestamp: null, tags: {}, labels: [] });
    await store.upload(Buffer.from(JSON.stringify(DATASET_DOCUMENT)), "gs://inputs/raw/.octue");
  });

  afterEach(async () => {
    await served.close();
    rmSync(downloads, { recursive: true, force: true });
  });

  const manifest = (dataset: SerialisedManifest["datasets"][string]): SerialisedManifest => ({
    id: "6b3f3a0e-0b6e-4f0c-9d7c-2a1e8c3d4b5f",
    datasets: { raw: dataset },
  });

  const datafile = (id: string, timestamp: number | null, tags: object, labels: string[]) => ({
    id,
    timestamp,
    tags,
    labels,
    sdk_version: TWINED_VERSION,
  });

  it("writes Octue's local .octue files: the dataset's merged with its folder's datafiles, one per subfolder", async () => {
    const folders = await downloadManifestDatasets(manifest("gs://inputs/raw"), downloads, { store });
    const folder = path.join(downloads, "raw");
    expect(folders).toEqual({ raw: folder });
    expect(filesBelow(folder)).toEqual([
      ".octue",
      "sub/.octue",
      "sub/a.csv",
      "sub/deeper/.octue",
      "sub/deeper/b.csv",
      "summary.csv",
    ]);
    expect(readFileSync(path.join(folder, "sub", "deeper", "b.csv"), "utf8")).toBe("t,v\n0,3.1\n");

    const root = octue(folder);
    expect(root.value).toEqual({
      dataset: {
        id: DATASET_ID,
        name: "measurements",
        tags: { campaign: 3, site: "Sønderborg" },
        labels: ["met", "raw"],
        files: ["sub/a.csv", "sub/deeper/b.csv", "summary.csv"],
      },
      datafiles: { "summary.csv": datafile(SUMMARY_ID, 1718000000, { rows: 1 }, ["clean", "summary"]) },
    });
    const sub = octue(folder, "sub");
    expect(sub.value).toEqual({ datafiles: { "a.csv": datafile(A_ID, null, { height: 80 }, ["wind"]) } });
    const deeper = octue(folder, "sub", "deeper");
    expect(deeper.value).toEqual({ datafiles: { "b.csv": datafile(B_ID, null, {}, []) } });

    // Byte for byte what the harness (Python's json.dump with indent=4, sort_keys=True) would have written.
    const files = [root, sub, deeper];
    const formatted = python(
      PYTHON_FORMATTED,
      ...["", "sub", "sub/deeper"].map((at) => path.join(folder, at, ".octue")),
    );
    expect(formatted).toEqual(files.map((file) => file.text));
    expect(root.text).toContain('"site": "S\\u00f8nderborg"');
  });

  it("reads back in the harness as the same dataset, with each file's metadata", async () => {
    await downloadManifestDatasets(manifest("gs://inputs/raw"), downloads, { store });
    expect(python(HARNESS_DATASET, path.join(downloads, "raw"))).toEqual({
      id: DATASET_ID,
      name: "measurements",
      tags: { campaign: 3, site: "Sønderborg" },
      labels: ["met", "raw"],
      files: [
        { path: "sub/a.csv", id: A_ID, timestamp: null, tags: { height: 80 }, labels: ["wind"] },
        { path: "sub/deeper/b.csv", id: B_ID, timestamp: null, tags: {}, labels: [] },
        { path: "summary.csv", id: SUMMARY_ID, timestamp: 1718000000, tags: { rows: 1 }, labels: ["clean", "summary"] },
      ],
    });
  });

  it("never downloads a stored object named .octue over the metadata, nor leaves a temporary file", async () => {
    await store.upload(
      Buffer.from('{"datafiles": {"a.csv": {"tags": {"stale": true}}}}'),
      "gs://inputs/raw/sub/.octue",
    );
    await store.upload(Buffer.from("{}"), "gs://inputs/raw/sub/deeper/.octue");
    // Files named by the manifest are taken as named (listing a folder drops .octue objects), so these would be
    // downloaded if not skipped.
    const named = {
      ...DATASET_DOCUMENT.dataset,
      path: "gs://inputs/raw",
      files: [
        "gs://inputs/raw/summary.csv",
        "gs://inputs/raw/sub/a.csv",
        "gs://inputs/raw/sub/.octue",
        "gs://inputs/raw/sub/deeper/.octue",
      ],
    };
    await downloadManifestDatasets(manifest(named), downloads, { store });
    const folder = path.join(downloads, "raw");
    expect(filesBelow(folder)).toEqual([".octue", "sub/.octue", "sub/a.csv", "summary.csv"]);
    expect(octue(folder, "sub").value).toEqual({
      datafiles: { "a.csv": datafile(A_ID, null, { height: 80 }, ["wind"]) },
    });
    expect((octue(folder).value as { dataset: { files: string[] } }).dataset.files).toEqual([
      "sub/a.csv",
      "summary.csv",
    ]);
    expect(filesBelow(folder).filter((file) => file.endsWith(".tmp"))).toEqual([]);
  });

  it("replaces the metadata when the same dataset is downloaded again", async () => {
    await downloadManifestDatasets(manifest("gs://inputs/raw"), downloads, { store });
    await put("sub/a.csv", "t,v\n0,7.2\n", { id: A_ID, tags: { height: 100 }, labels: ["wind", "corrected"] });
    await store.deleteByPrefix("gs://inputs/raw/sub/deeper/");
    const renamed = { dataset: { ...DATASET_DOCUMENT.dataset, name: "measurements-v2", labels: ["raw"] } };
    await store.upload(Buffer.from(JSON.stringify(renamed)), "gs://inputs/raw/.octue");

    await downloadManifestDatasets(manifest("gs://inputs/raw"), downloads, { store });
    const folder = path.join(downloads, "raw");
    expect(octue(folder).value).toEqual({
      dataset: {
        id: DATASET_ID,
        name: "measurements-v2",
        tags: { campaign: 3, site: "Sønderborg" },
        labels: ["raw"],
        files: ["sub/a.csv", "summary.csv"],
      },
      datafiles: { "summary.csv": datafile(SUMMARY_ID, 1718000000, { rows: 1 }, ["clean", "summary"]) },
    });
    // Replaced whole, not merged with what the first download wrote.
    expect(octue(folder, "sub").value).toEqual({
      datafiles: { "a.csv": datafile(A_ID, null, { height: 100 }, ["corrected", "wind"]) },
    });
    expect(filesBelow(folder).filter((file) => file.endsWith(".tmp"))).toEqual([]);
  });
});

describe("downloadDatafile", () => {
  it("refuses bytes whose CRC32C is not the one storage gave, and leaves nothing behind", async () => {
    const folder = mkdtempSync(path.join(tmpdir(), "twined-checksum-"));
    // A signed URL whose bytes were changed on the way: storage's hash is for other bytes.
    const fetchTampered: typeof fetch = async () =>
      new Response("tampered", { headers: { "x-goog-hash": "crc32c=AAAAAA==,md5=1B2M2Y8AsgTpgAmY7PhCfg==" } });
    const destination = path.join(folder, "readings.csv");
    const error = await rejectionOf(
      downloadDatafile(
        { fetch: fetchTampered },
        "https://storage.example/b/readings.csv?X-Goog-Signature=secret",
        destination,
      ),
    );
    expect(error).toBeInstanceOf(StorageChecksumMismatch);
    expect(error.message).toContain("https://storage.example/b/readings.csv");
    expect(error.message).not.toContain("secret");
    expect(readdirSync(folder)).toEqual([]);
    rmSync(folder, { recursive: true, force: true });
  });
});
