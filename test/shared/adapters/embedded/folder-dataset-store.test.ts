import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { FolderDatasetStore } from "../../../../shared/adapters/embedded/folder-storage/index.js";
import { InvalidCloudPath, SignedUrlRejected } from "../../../../shared/errors/index.js";
import { crc32cOf } from "../../../../shared/storage/index.js";
import { rejectionOf } from "../../../support/error-of.js";
import { serveFolderStorage } from "../../../support/folder-storage.js";
import { describeDatasetStoreContract } from "../../ports/dataset-store.contract.js";

describeDatasetStoreContract("a folder (embedded)", async () => {
  const served = await serveFolderStorage();
  return {
    store: served.store,
    bucket: "contract-bucket",
    fetchSigned: (url, method = "GET") => fetch(url, { method }),
    close: () => served.close(),
  };
});

describe("FolderDatasetStore", () => {
  let root: string;
  let store: FolderDatasetStore;

  beforeEach(() => {
    root = mkdtempSync(path.join(tmpdir(), "twined-folder-storage-"));
    store = new FolderDatasetStore({ root, signedUrlBase: () => "http://127.0.0.1:7070" });
    return () => rmSync(root, { recursive: true, force: true });
  });

  afterEach(async () => {
    await store.close();
  });

  it("lays objects out as <root>/<bucket>/<name>, readable by anything on this machine", async () => {
    await store.upload(Buffer.from("hello"), "gs://my-bucket/ds/a.txt");
    expect(readFileSync(path.join(root, "my-bucket", "ds", "a.txt"), "utf8")).toBe("hello");
    const listed = await store.list("gs://my-bucket/ds/");
    expect(listed.objects.map((object) => object.path)).toEqual(["gs://my-bucket/ds/a.txt"]);
  });

  it("refuses names a folder cannot hold, saying why", async () => {
    for (const name of ["a//b", "a/./b", "a/../../etc/passwd", "./x"]) {
      const error = await rejectionOf(store.upload(Buffer.from("x"), `gs://bucket/${name}`));
      expect(error, name).toBeInstanceOf(InvalidCloudPath);
      expect(error.message).toMatch(/'\.' or '\.\.'|empty/);
    }
    await store.upload(Buffer.from("x"), "gs://bucket/folder");
    await expect(store.upload(Buffer.from("y"), "gs://bucket/folder/file")).rejects.toThrow(
      /an object is stored at gs:\/\/bucket\/folder/,
    );
    await store.upload(Buffer.from("z"), "gs://bucket/other/file");
    await expect(store.upload(Buffer.from("w"), "gs://bucket/other")).rejects.toThrow(/stored under this name/);
  });

  it("rebuilds what it knows of an object whose record a crash left behind or lost", async () => {
    await store.upload(Buffer.from("first"), "gs://bucket/x.txt", { metadata: { kept: "yes" } });
    writeFileSync(path.join(root, "bucket", "x.txt"), "changed by a crash mid-write");
    const object = await store.stat("gs://bucket/x.txt");
    expect(object).toMatchObject({ crc32c: crc32cOf("changed by a crash mid-write"), metadata: { kept: "yes" } });
    rmSync(path.join(root, ".metadata"), { recursive: true });
    expect((await store.stat("gs://bucket/x.txt"))?.crc32c).toBe(crc32cOf("changed by a crash mid-write"));
  });

  it("signs URLs that fail once tampered with or expired", async () => {
    await store.upload(Buffer.from("x"), "gs://bucket/signed.txt");
    const url = new URL(await store.signUrl("gs://bucket/signed.txt", { expiresInSeconds: 60 }));
    expect(url.origin).toBe("http://127.0.0.1:7070");
    expect(url.pathname).toBe("/storage/bucket/signed.txt");
    const good = `${url.pathname}${url.search}`;
    expect((await store.readSigned(good)).object.path).toBe("gs://bucket/signed.txt");

    const otherObject = good.replace("signed.txt", "other.txt");
    await expect(store.readSigned(otherObject)).rejects.toThrow(/signature does not match/);
    const later = new URL(good, url.origin);
    later.searchParams.set("expires", String(Number(later.searchParams.get("expires")) + 3600));
    await expect(store.readSigned(`${later.pathname}${later.search}`)).rejects.toThrow(/signature does not match/);

    const expiredStore = new FolderDatasetStore({
      root,
      signedUrlBase: () => "http://127.0.0.1:7070",
      signingKey: Buffer.alloc(32, 1),
    });
    const expired = new URL(await expiredStore.signUrl("gs://bucket/signed.txt", { expiresInSeconds: 1 }));
    await new Promise((resolve) => setTimeout(resolve, 2100));
    const error = await rejectionOf(expiredStore.readSigned(`${expired.pathname}${expired.search}`));
    expect(error).toBeInstanceOf(SignedUrlRejected);
    expect(error.message).toMatch(/expired at/);
    expect(error.message).not.toContain("signature=");
  });

  it("cannot sign before the network has an address to serve the URL from", async () => {
    const unserved = new FolderDatasetStore({ root });
    await unserved.upload(Buffer.from("x"), "gs://bucket/x.txt");
    await expect(unserved.signUrl("gs://bucket/x.txt", { expiresInSeconds: 60 })).rejects.toThrow(/no HTTP address/);
  });
});
