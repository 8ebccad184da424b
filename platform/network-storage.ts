import { generateKeyPairSync, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { RunnerDatasets } from "../runtime/runner/datasets.js";
import { FolderDatasetStore } from "../shared/adapters/embedded/folder-storage/index.js";
import type { DatasetStore, SignedObjectReader } from "../shared/ports/index.js";

/** A network's dataset storage, and what its jobs need to reach the same storage. */
export interface NetworkStorage {
  readonly store: DatasetStore;
  /** Where output datasets go when a service names no `output_location`: `gs://bucket[/folder]`. */
  readonly outputsLocation: string;
  /** Where askers' local datasets are uploaded to before a question that names them is asked. */
  readonly uploadsLocation: string;
  /** Where failed questions' diagnostics are kept. */
  readonly diagnosticsLocation: string;
  /** Serves the store's signed URLs through the network's HTTP API (an embedded network's folder). */
  readonly signedObjects?: SignedObjectReader;
  /** The variables a job process (`twined service answer`) gets to use the same storage. */
  readonly jobEnvironment: Readonly<Record<string, string>>;
  close(): Promise<void>;
}

/** The buckets of a network on one machine, inside its storage folder. */
export const EMBEDDED_LOCATIONS = {
  outputs: "gs://twined-outputs",
  uploads: "gs://twined-uploads",
  diagnostics: "gs://twined-diagnostics",
} as const;

/**
 * The embedded network's storage: Cloud Storage's layout in `<data directory>/storage`, its signed URLs served at the
 * network's address and signed with a key kept in the data directory (owner-only), so URLs outlive a restart.
 */
export function folderStorage(dataDirectory: string, networkUrl: () => string | undefined): NetworkStorage {
  const root = path.join(dataDirectory, "storage");
  const signingKey = persistedKey(path.join(dataDirectory, "storage-signing-key"));
  const store = new FolderDatasetStore({ root, signedUrlBase: networkUrl, signingKey });
  return {
    store,
    signedObjects: store,
    outputsLocation: EMBEDDED_LOCATIONS.outputs,
    uploadsLocation: EMBEDDED_LOCATIONS.uploads,
    diagnosticsLocation: EMBEDDED_LOCATIONS.diagnostics,
    jobEnvironment: {
      TWINED_STORAGE_FOLDER: root,
      TWINED_STORAGE_SIGNING_KEY: signingKey.toString("hex"),
      TWINED_OUTPUTS_LOCATION: EMBEDDED_LOCATIONS.outputs,
      TWINED_DIAGNOSTICS_LOCATION: EMBEDDED_LOCATIONS.diagnostics,
    },
    close: () => store.close(),
  };
}

/**
 * A throwaway service-account key for signing URLs on the Storage emulator, which checks no signature; in the cloud
 * URLs are signed as the runtime's identity instead.
 */
export function throwawaySigner(projectId: string): { clientEmail: string; privateKey: string } {
  const { privateKey } = generateKeyPairSync("rsa", {
    modulusLength: 2048,
    privateKeyEncoding: { type: "pkcs8", format: "pem" },
    publicKeyEncoding: { type: "spki", format: "pem" },
  });
  return { clientEmail: `twined-emulator@${projectId}.iam.gserviceaccount.com`, privateKey };
}

/** The datasets of a runner inside the network's own process (the in-process job executor). */
export function runnerDatasets(storage: NetworkStorage): RunnerDatasets {
  return {
    access: { store: storage.store },
    outputLocation: storage.outputsLocation,
    diagnosticsLocation: storage.diagnosticsLocation,
  };
}

function persistedKey(file: string): Buffer {
  if (existsSync(file)) {
    const text = readFileSync(file, "utf8").trim();
    if (/^(?:[0-9a-f]{2}){32}$/.test(text)) return Buffer.from(text, "hex");
  }
  const key = randomBytes(32);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${key.toString("hex")}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return key;
}
