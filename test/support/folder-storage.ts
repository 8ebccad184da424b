import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import express from "express";
import { FolderDatasetStore } from "../../shared/adapters/embedded/folder-storage/index.js";
import { signedStorageRoutes } from "../../shared/control-plane/http/signed-storage-routes.js";

export interface ServedFolderStorage {
  readonly store: FolderDatasetStore;
  /** The loopback address its signed URLs point at, served as the embedded network serves them. */
  readonly url: string;
  readonly root: string;
  close(): Promise<void>;
}

/** An embedded network's storage in a temporary folder, with its signed URLs served on loopback. */
export async function serveFolderStorage(): Promise<ServedFolderStorage> {
  const root = mkdtempSync(path.join(tmpdir(), "twined-folder-storage-"));
  let base: string | undefined;
  const store = new FolderDatasetStore({ root, signedUrlBase: () => base });
  const app = express();
  app.use("/storage", signedStorageRoutes(store));
  const server: Server = await new Promise((resolve) => {
    const listening = app.listen(0, "127.0.0.1", () => resolve(listening));
  });
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    store,
    url: base,
    root,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      rmSync(root, { recursive: true, force: true });
    },
  };
}
