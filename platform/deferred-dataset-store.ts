import type { DatasetStore, ObjectPage, SignOptions, StoredObject, UploadOptions } from "../shared/ports/index.js";

/**
 * A dataset store built at its first use: the Cloud Storage client takes a while to load, and most of a function's
 * requests never touch a dataset.
 */
export class DeferredDatasetStore implements DatasetStore {
  private loading: Promise<DatasetStore> | undefined;

  constructor(private readonly load: () => Promise<DatasetStore>) {}

  private store(): Promise<DatasetStore> {
    if (this.loading === undefined) {
      const loading = this.load();
      // A failed load is not kept: the next call tries again and reports it again.
      loading.catch(() => {
        if (this.loading === loading) this.loading = undefined;
      });
      this.loading = loading;
    }
    return this.loading;
  }

  async list(prefix: string, page?: { pageToken?: string; pageSize?: number }): Promise<ObjectPage> {
    return (await this.store()).list(prefix, page);
  }

  async stat(path: string): Promise<StoredObject | undefined> {
    return (await this.store()).stat(path);
  }

  async read(path: string): Promise<Buffer> {
    return (await this.store()).read(path);
  }

  async download(path: string, destination: string): Promise<void> {
    return (await this.store()).download(path, destination);
  }

  async upload(source: string | Buffer, path: string, options?: UploadOptions): Promise<StoredObject> {
    return (await this.store()).upload(source, path, options);
  }

  async updateMetadata(path: string, metadata: Readonly<Record<string, string | null>>): Promise<StoredObject> {
    return (await this.store()).updateMetadata(path, metadata);
  }

  async copy(from: string, to: string): Promise<StoredObject> {
    return (await this.store()).copy(from, to);
  }

  async signUrl(path: string, options: SignOptions): Promise<string> {
    return (await this.store()).signUrl(path, options);
  }

  async deleteByPrefix(prefix: string): Promise<number> {
    return (await this.store()).deleteByPrefix(prefix);
  }

  async close(): Promise<void> {
    const store = await this.loading?.catch(() => undefined);
    await store?.close();
  }
}
