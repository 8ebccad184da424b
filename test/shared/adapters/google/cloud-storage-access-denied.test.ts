import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Storage } from "@google-cloud/storage";
import express from "express";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CloudStorageDatasetStore } from "../../../../shared/adapters/google/cloud-storage/index.js";
import { resolveManifestDatasets } from "../../../../shared/datasets/index.js";
import { StorageAccessDenied } from "../../../../shared/errors/index.js";
import { rejectionOf } from "../../../support/error-of.js";

/**
 * A bucket the caller may not read, answered as Cloud Storage's JSON API answers (the emulator checks no permission):
 * 403 with Google's error body, on every request.
 */
function forbiddingStorage(): express.Express {
  const app = express();
  app.use((request, response) => {
    response.status(403).json({
      error: {
        code: 403,
        message: `jobs@project.iam.gserviceaccount.com does not have storage.objects.${request.method === "GET" ? "list" : "create"} access to the Google Cloud Storage bucket. Permission 'storage.objects.list' denied on resource (or it may not exist).`,
        errors: [{ message: "forbidden", domain: "global", reason: "forbidden" }],
      },
    });
  });
  return app;
}

describe("a bucket the network may not read", () => {
  let server: Server;
  let store: CloudStorageDatasetStore;

  beforeAll(async () => {
    server = await new Promise((resolve) => {
      const listening = forbiddingStorage().listen(0, "127.0.0.1", () => resolve(listening));
    });
    const apiEndpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    store = new CloudStorageDatasetStore({ storage: new Storage({ apiEndpoint, projectId: "twined-tests" }) });
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("is StorageAccessDenied, naming the path and the operation, when a dataset there is read", async () => {
    const error = await rejectionOf(
      resolveManifestDatasets(
        { id: "1b6a5a43-8c34-4bd4-9b0f-2f4d8e7a7c10", datasets: { raw: "gs://someone-elses-bucket/raw" } },
        { store },
      ),
    );
    expect(error).toBeInstanceOf(StorageAccessDenied);
    expect(error.message).toContain("gs://someone-elses-bucket/raw");
    expect(error.message).toContain("storage.objects.list");
  });

  it("is StorageAccessDenied when an output is written there", async () => {
    const error = await rejectionOf(store.upload(Buffer.from("x"), "gs://someone-elses-bucket/out/x.csv"));
    expect(error).toBeInstanceOf(StorageAccessDenied);
    expect(error.message).toContain("gs://someone-elses-bucket/out/x.csv");
  });
});
