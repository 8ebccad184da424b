import { type NetworkStorage, throwawaySigner } from "../platform/network-storage.js";
import { CloudStorageDatasetStore } from "../shared/adapters/google/cloud-storage/index.js";

/**
 * A network's storage on the Storage emulator (`STORAGE_EMULATOR_HOST`), in buckets named `<prefix>-outputs`,
 * `<prefix>-uploads` and `<prefix>-diagnostics`, with URLs signed by a throwaway key that its job processes get too.
 */
export function emulatorStorage(projectId: string, prefix: string): NetworkStorage {
  const signer = throwawaySigner(projectId);
  const store = new CloudStorageDatasetStore({ projectId, signer });
  const outputs = `gs://${prefix}-outputs`;
  const diagnostics = `gs://${prefix}-diagnostics`;
  return {
    store,
    outputsLocation: outputs,
    uploadsLocation: `gs://${prefix}-uploads`,
    diagnosticsLocation: diagnostics,
    jobEnvironment: {
      STORAGE_EMULATOR_HOST: process.env.STORAGE_EMULATOR_HOST ?? "",
      TWINED_STORAGE_SIGNER: JSON.stringify({ client_email: signer.clientEmail, private_key: signer.privateKey }),
      TWINED_OUTPUTS_LOCATION: outputs,
      TWINED_DIAGNOSTICS_LOCATION: diagnostics,
    },
    close: () => store.close(),
  };
}
