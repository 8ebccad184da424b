import { InvalidDeploymentSetting } from "../../shared/errors/index.js";
import { isPlainObject } from "../../shared/json/index.js";
import { definedProperties } from "../../shared/objects/index.js";
import type { DatasetStore, SecretSource } from "../../shared/ports/index.js";
import { parseStorageUri } from "../../shared/storage/index.js";
import type { RunnerDatasets } from "../runner/datasets.js";

type Env = Readonly<Record<string, string | undefined>>;

/** Every variable a job's runner reads to find its datasets' storage. */
export const JOB_STORAGE_ENVIRONMENT = [
  "TWINED_STORAGE_FOLDER",
  "TWINED_STORAGE_SIGNING_KEY",
  "TWINED_STORAGE_SIGNER",
  "TWINED_OUTPUTS_LOCATION",
  "TWINED_DIAGNOSTICS_LOCATION",
  "TWINED_SIGNED_URL_SECONDS",
  "STORAGE_EMULATOR_HOST",
] as const;

/**
 * The storage a job's runner reads and writes datasets with, from its environment (set by its launcher):
 * - `TWINED_STORAGE_FOLDER` (and `TWINED_STORAGE_SIGNING_KEY`, hex): an embedded network's storage folder, which a
 *   job on the same machine reads directly; its signed URLs are served by the network at `networkUrl`;
 * - else `GOOGLE_CLOUD_PROJECT` or `STORAGE_EMULATOR_HOST`: Cloud Storage, signing as the job's own identity, or on
 *   the emulators with the throwaway key in `TWINED_STORAGE_SIGNER` (`{"client_email", "private_key"}`);
 * - `TWINED_OUTPUTS_LOCATION`: where output datasets go when the service names no `output_location`;
 * - `TWINED_DIAGNOSTICS_LOCATION`: where failed questions' diagnostics go when it names no `diagnostics_cloud_path`.
 * Undefined when the environment names no storage (a question answered on this machine alone).
 * @throws InvalidDeploymentSetting naming a malformed variable.
 */
export async function jobDatasets(env: Env, networkUrl: string | undefined): Promise<RunnerDatasets | undefined> {
  const store = await jobStore(env, networkUrl);
  if (store === undefined) return undefined;
  const outputLocation = storageLocation(env, "TWINED_OUTPUTS_LOCATION");
  const diagnosticsLocation = storageLocation(env, "TWINED_DIAGNOSTICS_LOCATION");
  const seconds = nonEmpty(env.TWINED_SIGNED_URL_SECONDS);
  const signedUrlSeconds = seconds === undefined ? undefined : Number(seconds);
  if (signedUrlSeconds !== undefined && !(signedUrlSeconds > 0)) {
    throw new InvalidDeploymentSetting("TWINED_SIGNED_URL_SECONDS", `'${seconds}' is not a positive number of seconds`);
  }
  return { access: { store }, ...definedProperties({ outputLocation, diagnosticsLocation, signedUrlSeconds }) };
}

function storageLocation(
  env: Env,
  name: "TWINED_OUTPUTS_LOCATION" | "TWINED_DIAGNOSTICS_LOCATION",
): string | undefined {
  const location = nonEmpty(env[name]);
  if (location === undefined) return undefined;
  try {
    parseStorageUri(location, "prefix");
  } catch (error) {
    throw new InvalidDeploymentSetting(name, (error as Error).message);
  }
  return location;
}

async function jobStore(env: Env, networkUrl: string | undefined): Promise<DatasetStore | undefined> {
  const folder = nonEmpty(env.TWINED_STORAGE_FOLDER);
  if (folder !== undefined) {
    const key = nonEmpty(env.TWINED_STORAGE_SIGNING_KEY);
    if (key !== undefined && !/^(?:[0-9a-f]{2}){16,}$/i.test(key)) {
      throw new InvalidDeploymentSetting("TWINED_STORAGE_SIGNING_KEY", "must be at least 16 bytes as hex");
    }
    const { FolderDatasetStore } = await import("../../shared/adapters/embedded/folder-storage/index.js");
    return new FolderDatasetStore({
      root: folder,
      signedUrlBase: () => networkUrl,
      ...definedProperties({ signingKey: key === undefined ? undefined : Buffer.from(key, "hex") }),
    });
  }
  if (nonEmpty(env.GOOGLE_CLOUD_PROJECT) === undefined && nonEmpty(env.STORAGE_EMULATOR_HOST) === undefined) {
    return undefined;
  }
  // Loaded only here: a job on an embedded network never needs the Cloud Storage client.
  const { CloudStorageDatasetStore } = await import("../../shared/adapters/google/cloud-storage/index.js");
  return new CloudStorageDatasetStore(
    definedProperties({ projectId: nonEmpty(env.GOOGLE_CLOUD_PROJECT), signer: storageSigner(env) }),
  );
}

/**
 * The throwaway key URLs are signed with on the Storage emulator (`TWINED_STORAGE_SIGNER`), for a job or a function;
 * undefined in the cloud, where they are signed as the runtime's own identity.
 */
export function storageSigner(
  env: Readonly<Record<string, string | undefined>>,
): { clientEmail: string; privateKey: string } | undefined {
  const text = env.TWINED_STORAGE_SIGNER;
  if (nonEmpty(text) === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text ?? "");
  } catch {
    value = undefined;
  }
  if (!isPlainObject(value) || typeof value.client_email !== "string" || typeof value.private_key !== "string") {
    throw new InvalidDeploymentSetting(
      "TWINED_STORAGE_SIGNER",
      'must be a service-account key as JSON: {"client_email": "…", "private_key": "-----BEGIN PRIVATE KEY-----…"}',
    );
  }
  return { clientEmail: value.client_email, privateKey: value.private_key };
}

/**
 * Where a job's missing credentials come from: Secret Manager in the job's project on Google Cloud, as Octue's
 * services do; on this machine, the environment and `.env` only.
 */
export async function jobSecrets(env: Env): Promise<SecretSource | undefined> {
  const projectId = nonEmpty(env.GOOGLE_CLOUD_PROJECT);
  // The emulators have no Secret Manager: a network on them keeps credentials in the environment.
  if (projectId === undefined || nonEmpty(env.PUBSUB_EMULATOR_HOST) !== undefined) return undefined;
  const { SecretManagerSource } = await import("../../shared/adapters/google/secret-manager/index.js");
  return new SecretManagerSource({ projectId });
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === "" ? undefined : value;
}
