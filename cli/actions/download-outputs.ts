import { type DatasetAccess, downloadManifestDatasets, isSerialisedManifest } from "../../shared/datasets/index.js";
import type { SerialisedManifest } from "../../shared/events/index.js";
import type { CliOutput } from "../output.js";

/**
 * Downloads an answer's output datasets into `<directory>/<dataset key>/…`: by the signed URLs the network gives for
 * them (no access to its buckets needed), or, from a network that cannot sign them, straight from Cloud Storage with
 * this machine's credentials. Datasets the answer names by a local path are left where they are.
 */
export async function downloadOutputs(
  questionUuid: string,
  outputManifest: unknown,
  directory: string,
  signed: (questionUuid: string) => Promise<unknown>,
  output: CliOutput,
): Promise<void> {
  if (!isSerialisedManifest(outputManifest)) return;
  let manifest: SerialisedManifest = outputManifest;
  try {
    const signedManifest = await signed(questionUuid);
    if (isSerialisedManifest(signedManifest)) manifest = signedManifest;
  } catch (error) {
    output.stderr.write(
      `note: the network did not sign the outputs (${error instanceof Error ? error.message : String(error)}); downloading them with this machine's Google credentials\n`,
    );
  }
  const access: DatasetAccess = {
    store: await (async () => {
      const { CloudStorageDatasetStore } = await import("../../shared/adapters/google/cloud-storage/index.js");
      return new CloudStorageDatasetStore();
    })(),
  };
  const folders = await downloadManifestDatasets(manifest, directory, access);
  for (const [key, folder] of Object.entries(folders)) output.stderr.write(`Downloaded ${key} to ${folder}\n`);
}
