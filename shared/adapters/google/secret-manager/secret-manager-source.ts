import type { SecretManagerServiceClient } from "@google-cloud/secret-manager";
import { crc32c } from "@node-rs/crc32";
import { type SecretRefusal, SecretSourceFailed, SecretUnreadable } from "../../../errors/index.js";
import type { SecretSource } from "../../../ports/index.js";
import { googleApiStatus, restErrorBody, Status } from "../google-api-status.js";

/** Options for the client the source builds, e.g. a test's `{ fallback: true, apiEndpoint, port, protocol, authClient }`. */
export type SecretManagerClientOptions = NonNullable<ConstructorParameters<typeof SecretManagerServiceClient>[0]>;

export interface SecretManagerSourceOptions {
  /** The project whose secrets are read: the service's own, as in Octue. Its id or number. */
  readonly projectId: string;
  /** A client to use instead of one built from `clientOptions`; it belongs to the caller, who closes it. */
  readonly client?: SecretManagerServiceClient;
  readonly clientOptions?: SecretManagerClientOptions;
}

/**
 * Secret Manager's rule for secret ids. A name outside it cannot name a secret, and must not reach the resource path:
 * `A/versions/1` would read another version than the latest.
 */
const SECRET_ID = /^[A-Za-z0-9_-]{1,255}$/;

/**
 * Reads credentials from Google Secret Manager as Octue's SDK does: the secret named as the credential, in the
 * service's project, at its `latest` version, decoded as UTF-8.
 *
 * The client library is loaded on the first read, so a process that never reads a secret never loads it. Each
 * answer's `dataCrc32c` is checked when Secret Manager sends one. The client's own retry policy for
 * `AccessSecretVersion` is kept: over gRPC (the default) it retries UNAVAILABLE and RESOURCE_EXHAUSTED with backoff,
 * so a `SecretSourceFailed` for those means it gave up; over REST (`fallback`) the library retries nothing, as its
 * HTTP client's errors carry HTTP statuses where it looks for gRPC codes.
 *
 * A value never reaches a log: the client this source builds has its debug logger (which `GOOGLE_SDK_NODE_LOGGING`
 * turns on, and which writes every response) silenced. A client given in the options is the caller's to configure.
 */
export class SecretManagerSource implements SecretSource {
  private client: Promise<SecretManagerServiceClient> | undefined;
  /** Whether `client` was built here, and so is closed here. */
  private ownsClient = false;

  constructor(private readonly options: SecretManagerSourceOptions) {
    if (options.client !== undefined) this.client = Promise.resolve(options.client);
  }

  get projectId(): string {
    return this.options.projectId;
  }

  /** The resource name of a secret's latest version, as the API takes it. */
  latestVersionName(secret: string): string {
    return `projects/${this.options.projectId}/secrets/${secret}/versions/latest`;
  }

  async read(name: string): Promise<string | undefined> {
    if (!SECRET_ID.test(name)) return undefined;
    let payload: { data?: Uint8Array | string | null; dataCrc32c?: unknown } | null | undefined;
    try {
      const client = await this.loadClient();
      // The client's methods rethrow a failed initialisation (no credentials) where nobody can catch it, as an
      // unhandled rejection that ends the process: initialising first turns it into this read's failure.
      await client.initialize();
      const [response] = await client.accessSecretVersion({ name: this.latestVersionName(name) });
      payload = response.payload;
    } catch (error) {
      if (googleApiStatus(error) === Status.NOT_FOUND) return undefined;
      throw this.failure(error, name);
    }
    const data = bytesOf(payload?.data);
    const expected = payload?.dataCrc32c;
    if (expected !== undefined && expected !== null && !checksumMatches(data, expected)) {
      // Neither checksum is shown: a CRC of a short secret narrows down its value.
      throw new SecretSourceFailed(
        name,
        this.options.projectId,
        "DATA_LOSS",
        "the value received does not match its checksum (dataCrc32c), so it was corrupted on the way",
      );
    }
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(data);
    } catch {
      throw new SecretSourceFailed(
        name,
        this.options.projectId,
        undefined,
        "its latest version is not UTF-8 text, which a credential in the environment must be",
      );
    }
  }

  /** Closes the client this source built, if any; a client given in the options is left to its owner. */
  async close(): Promise<void> {
    const client = this.ownsClient ? this.client : undefined;
    this.client = undefined;
    this.ownsClient = false;
    const built = await client?.catch(() => undefined);
    await built?.close();
  }

  private loadClient(): Promise<SecretManagerServiceClient> {
    if (this.client !== undefined) return this.client;
    const loading = buildClient(this.options.clientOptions);
    this.client = loading;
    this.ownsClient = true;
    // A failed build is not kept, so the next read tries again.
    loading.catch(() => {
      if (this.client !== loading) return;
      this.client = undefined;
      this.ownsClient = false;
    });
    return loading;
  }

  private failure(error: unknown, secret: string): SecretUnreadable | SecretSourceFailed {
    const project = this.options.projectId;
    // Node's JSON.parse quotes the text it choked on, which would be the answer, value included.
    if (error instanceof SyntaxError) {
      return new SecretSourceFailed(secret, project, undefined, "Secret Manager's answer was not valid JSON");
    }
    const status = googleApiStatus(error);
    const detail = detailOf(error);
    if (status === Status.PERMISSION_DENIED || status === Status.UNAUTHENTICATED) {
      const refusal: SecretRefusal = status === Status.PERMISSION_DENIED ? "PERMISSION_DENIED" : "UNAUTHENTICATED";
      return new SecretUnreadable(secret, project, refusal, detail, { cause: error });
    }
    return new SecretSourceFailed(secret, project, status === undefined ? undefined : Status[status], detail, {
      cause: error,
    });
  }
}

async function buildClient(options: SecretManagerClientOptions | undefined): Promise<SecretManagerServiceClient> {
  const [{ SecretManagerServiceClient }, { loggingUtils }] = await Promise.all([
    import("@google-cloud/secret-manager"),
    import("google-gax"),
  ]);
  const client = new SecretManagerServiceClient(options);
  // The client logs every response, payload included, when GOOGLE_SDK_NODE_LOGGING enables its namespace; a secret's
  // value must never reach a log, so this client's logger is the library's own no-op one.
  Object.defineProperty(client, "_log", { value: loggingUtils.placeholder });
  // A client whose initialisation failed keeps failing, so it is not kept: the next read builds another.
  await client.initialize();
  return client;
}

/** The payload's bytes: a Buffer from either transport, or base64 text if the client was asked for strings. */
function bytesOf(data: Uint8Array | string | null | undefined): Uint8Array {
  if (data === undefined || data === null) return new Uint8Array();
  return typeof data === "string" ? Buffer.from(data, "base64") : data;
}

/** `dataCrc32c` is an int64: a decimal string over REST, a number or Long over gRPC. */
function checksumMatches(data: Uint8Array, expected: unknown): boolean {
  const text = String(expected);
  return /^\d+$/.test(text) && BigInt(text) === BigInt(crc32c(data) >>> 0);
}

/** The API's message: over REST (`fallback`) the error body's, over gRPC the error's own without its status prefix. */
function detailOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return restErrorBody(error.message)?.message ?? (error.message.replace(/^\d+ [A-Z_]+: /, "") || "no message");
}
