import path from "node:path";
import pc from "picocolors";
import { NetworkClient } from "../../shared/client/index.js";
import { type DatasetAccess, type DiagnosticsDocument, downloadDiagnostics } from "../../shared/datasets/index.js";
import { InvalidCloudPath } from "../../shared/errors/index.js";
import { isStorageUri } from "../../shared/storage/index.js";
import { type CliOutput, describeError, EXIT } from "../output.js";

export interface QuestionDiagnosticsOptions {
  readonly network: string;
  readonly output?: string;
}

/**
 * `twined question diagnostics UUID|gs://…/UUID`: downloads a question's crash diagnostics into `<dir>/<UUID>/`, from
 * the network (signed URLs: no access to its buckets needed) or, for a service that keeps its own
 * (`diagnostics_cloud_path`), straight from Cloud Storage with this machine's credentials.
 */
export async function questionDiagnostics(
  target: string,
  options: QuestionDiagnosticsOptions,
  output: CliOutput,
): Promise<number> {
  try {
    const { document, access } = isStorageUri(target)
      ? await fromStorage(target)
      : { document: await new NetworkClient(options.network).diagnostics(target), access: {} };
    const folder = await downloadDiagnostics(document, path.resolve(options.output ?? "."), access);
    const summary = document.summary;
    const ended =
      summary.outcome === "exception"
        ? `failed with ${summary.exception_type}: ${firstLine(summary.exception_message ?? "")}`
        : "succeeded";
    output.stderr.write(`Diagnostics of question ${summary.question_uuid} (${summary.service}, ${ended})\n`);
    output.stderr.write(`Replay it here, with its children answered as they answered then:\n`);
    output.stderr.write(`  ${pc.bold(`twined question ask-local --from-diagnostics ${relative(folder)}`)}\n`);
    output.stdout.write(`${folder}\n`);
    return EXIT.ok;
  } catch (error) {
    output.stderr.write(`${describeError(error)}\n`);
    return error instanceof InvalidCloudPath ? EXIT.usage : EXIT.invalid;
  }
}

async function fromStorage(root: string): Promise<{ document: DiagnosticsDocument; access: DatasetAccess }> {
  const { CloudStorageDatasetStore } = await import("../../shared/adapters/google/cloud-storage/index.js");
  const { describeDiagnostics } = await import("../../shared/datasets/index.js");
  const { QuestionDiagnosticsNotFound } = await import("../../shared/errors/index.js");
  const store = new CloudStorageDatasetStore();
  const document = await describeDiagnostics(store, root.replace(/\/+$/, ""));
  if (document === undefined) {
    const uuid = path.posix.basename(root.replace(/\/+$/, ""));
    throw new QuestionDiagnosticsNotFound(uuid, `there is no diagnostics.json at ${root}`);
  }
  return { document, access: { store } };
}

function firstLine(text: string): string {
  return text.split("\n")[0] ?? "";
}

function relative(folder: string): string {
  const shown = path.relative(process.cwd(), folder);
  return shown === "" ? "." : shown.startsWith("..") ? folder : shown;
}
