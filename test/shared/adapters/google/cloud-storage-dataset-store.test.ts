import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import { CloudStorageDatasetStore } from "../../../../shared/adapters/google/cloud-storage/index.js";
import { StorageObjectNotFound, StorageRequestFailed } from "../../../../shared/errors/index.js";
import { describeWithStorageEmulator, uniqueName } from "../../../support/emulators.js";
import { describeDatasetStoreContract } from "../../ports/dataset-store.contract.js";

/** A throwaway service-account key, as a network on the emulators makes for itself (the emulator checks no signature). */
function throwawaySigner() {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return { clientEmail: "twined-test@twined-test.iam.gserviceaccount.com", privateKey };
}

describeWithStorageEmulator("Cloud Storage on the emulator", (info) => {
  const signer = throwawaySigner();

  // A bucket of each test's own: the emulator is shared by every test file and never cleared.
  describeDatasetStoreContract("Cloud Storage (emulator)", async () => ({
    store: new CloudStorageDatasetStore({ projectId: info.projectId, signer }),
    bucket: uniqueName("twined-contract").toLowerCase(),
    fetchSigned: (url, method = "GET") => fetch(url, { method }),
    close: async () => {},
  }));

  describe("CloudStorageDatasetStore", () => {
    it("signs V4 URLs for the asked lifetime, as the signer, scoped to the one object", async () => {
      const store = new CloudStorageDatasetStore({ projectId: info.projectId, signer });
      const bucket = uniqueName("twined-sign").toLowerCase();
      await store.upload(Buffer.from("x"), `gs://${bucket}/outputs/data.csv`);
      const url = new URL(await store.signUrl(`gs://${bucket}/outputs/data.csv`, { expiresInSeconds: 3600 }));
      // The emulator accepts any signature and expiry: what makes the URL right is checked here instead.
      expect(url.pathname).toBe(`/${bucket}/outputs/data.csv`);
      expect(url.searchParams.get("X-Goog-Algorithm")).toBe("GOOG4-RSA-SHA256");
      expect(url.searchParams.get("X-Goog-Expires")).toBe("3600");
      expect(url.searchParams.get("X-Goog-Credential")).toMatch(
        /^twined-test@twined-test\.iam\.gserviceaccount\.com\/\d{8}\/auto\/storage\/goog4_request$/,
      );
      expect(url.searchParams.get("X-Goog-SignedHeaders")).toBe("host");
      expect(url.searchParams.get("X-Goog-Signature")).toMatch(/^[0-9a-f]{512}$/);
    });

    it("says what is missing and where", async () => {
      const store = new CloudStorageDatasetStore({ projectId: info.projectId });
      const bucket = uniqueName("twined-missing").toLowerCase();
      await expect(store.read(`gs://${bucket}/none.txt`)).rejects.toMatchObject({
        constructor: StorageObjectNotFound,
        path: `gs://${bucket}/none.txt`,
      });
      await expect(store.copy(`gs://${bucket}/none.txt`, `gs://${bucket}/to.txt`)).rejects.toBeInstanceOf(
        StorageObjectNotFound,
      );
      await expect(store.signUrl(`gs://${bucket}/x`, { expiresInSeconds: 0 })).rejects.toBeInstanceOf(
        StorageRequestFailed,
      );
    });
  });
});
