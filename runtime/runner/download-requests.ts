import { createHash } from "node:crypto";
import path from "node:path";
import { type DatasetAccess, downloadDatafile } from "../../shared/datasets/index.js";
import { StorageObjectNotFound } from "../../shared/errors/index.js";

export interface DownloadResponseMessage {
  readonly type: "download_response";
  readonly id: number;
  readonly local_path: string | null;
  readonly error: { readonly type: string; readonly message: string } | null;
  readonly [key: string]: unknown;
}

/**
 * Answers the harness's `download` requests (PROTOCOL.md §4.2): the app asked for a cloud file's bytes, so the runner
 * fetches that one file through the dataset store (or its signed URL). A file the runner places itself goes to
 * `<downloads directory>/<hash of the cloud path>/<name>`, once per question however often or concurrently it is asked.
 */
export class DownloadRequests {
  private readonly placed = new Map<string, Promise<string>>();

  constructor(
    private readonly access: DatasetAccess,
    private readonly directory: string,
  ) {}

  async answer(request: {
    id: number;
    cloud_path: string;
    local_path: string | null;
  }): Promise<DownloadResponseMessage> {
    try {
      const localPath =
        request.local_path === null
          ? await this.placedCopy(request.cloud_path)
          : await this.downloadTo(request.cloud_path, path.resolve(request.local_path));
      return { type: "download_response", id: request.id, local_path: localPath, error: null };
    } catch (error) {
      return { type: "download_response", id: request.id, local_path: null, error: describe(error) };
    }
  }

  private placedCopy(cloudPath: string): Promise<string> {
    let placing = this.placed.get(cloudPath);
    if (placing === undefined) {
      const folder = createHash("sha256").update(cloudPath).digest("hex").slice(0, 16);
      placing = this.downloadTo(cloudPath, path.join(this.directory, folder, nameOf(cloudPath)));
      // A failed download is not kept: the app may ask again (the object may have appeared since).
      placing.catch(() => this.placed.delete(cloudPath));
      this.placed.set(cloudPath, placing);
    }
    return placing;
  }

  private async downloadTo(cloudPath: string, destination: string): Promise<string> {
    await downloadDatafile(this.access, cloudPath, destination);
    return destination;
  }
}

function nameOf(cloudPath: string): string {
  const withoutQuery = cloudPath.split("?")[0] ?? cloudPath;
  const name =
    withoutQuery
      .split("/")
      .filter((segment) => segment !== "")
      .at(-1) ?? "file";
  return name === "." || name === ".." ? "file" : name;
}

/** The exception the app gets: Python's FileNotFoundError for a missing object, else Twined's own error name. */
function describe(error: unknown): { type: string; message: string } {
  if (error instanceof StorageObjectNotFound) return { type: "FileNotFoundError", message: error.message };
  if (error instanceof Error) return { type: error.name, message: error.message };
  return { type: "Error", message: String(error) };
}
