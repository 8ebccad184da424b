import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { crc32c } from "@node-rs/crc32";
import { OAuth2Client, PassThroughClient } from "google-auth-library";
import type { SecretManagerClientOptions } from "../../shared/adapters/google/secret-manager/index.js";

/**
 * A fake Secret Manager API v1 for the client library's REST transport (`fallback: true`): it serves
 * `AccessSecretVersion` (`GET /v1/{name=projects/*\/secrets/*\/versions/*}:access`, and its regional binding) over
 * secrets kept in memory, and answers as the API does: `{name, payload: {data, dataCrc32c}}` with the data in base64,
 * the CRC32C as an int64 in a decimal string and the version's own name (project number, version number); errors as
 * `{error: {code, message, status}}`.
 *
 * Every request is recorded, then checked against the method's HTTP rule in the client library's own protos.json:
 * the HTTP method, the path's shape, the query parameters (only the system parameters the client sends and request
 * fields the rule leaves to the query, of which AccessSecretVersion has none), no body on a GET, a secret id and
 * version Secret Manager would accept. A request that breaks one is answered 400 INVALID_ARGUMENT, so a client
 * calling the API wrongly fails its test. A request without the expected bearer token is answered 401
 * UNAUTHENTICATED, as Google's front end does.
 *
 * Listens on 127.0.0.1 only.
 */
export class FakeSecretManager {
  /** Every request, in order, including refused ones. */
  readonly requests: RecordedRequest[] = [];
  private readonly secrets = new Map<string, StoredVersion[]>();
  private readonly forbidden = new Set<string>();
  private readonly failures: FakeError[] = [];
  private corruptions = 0;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly projectNumbers: Readonly<Record<string, string>>,
  ) {}

  /** `projectNumbers` maps project ids to the numbers the API puts in the names it answers with. */
  static async start(options: { projectNumbers?: Readonly<Record<string, string>> } = {}): Promise<FakeSecretManager> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const fake = new FakeSecretManager(server, (server.address() as AddressInfo).port, options.projectNumbers ?? {});
    server.on("request", (request, response) => void fake.handle(request, response));
    return fake;
  }

  /**
   * Options for `SecretManagerServiceClient` that talk to this server over plain HTTP. By default the client sends
   * `Authorization: Bearer ${ACCESS_TOKEN}`; with `authenticated: false` it sends no credentials at all.
   */
  clientOptions(options: { authenticated?: boolean } = {}): SecretManagerClientOptions {
    let authClient: OAuth2Client | PassThroughClient;
    if (options.authenticated === false) {
      authClient = new PassThroughClient();
    } else {
      const oauth = new OAuth2Client();
      oauth.setCredentials({ access_token: ACCESS_TOKEN, expiry_date: Date.now() + 3_600_000 });
      authClient = oauth;
    }
    return {
      fallback: true,
      apiEndpoint: "127.0.0.1",
      port: this.port,
      protocol: "http",
      // google-gax has its own copy of google-auth-library (10.5 under it, 10.9 at the top), whose classes differ
      // only nominally (protected members); the client just calls the instance's `fetch`.
      authClient: authClient as unknown as SecretManagerClientOptions["authClient"],
    };
  }

  /**
   * Adds a version to the secret (creating it), which becomes its latest, as `gcloud secrets versions add` does.
   * `checksum: false` stores it without a CRC32C, as versions added by clients that sent none may be.
   */
  addVersion(project: string, secret: string, data: string | Buffer, options: { checksum?: boolean } = {}): void {
    const key = secretKey(project, secret);
    const versions = this.secrets.get(key) ?? [];
    versions.push({ data: Buffer.from(data), checksum: options.checksum ?? true });
    this.secrets.set(key, versions);
  }

  /** The caller may not access this secret: reads are answered 403 PERMISSION_DENIED, whether it exists or not. */
  forbid(project: string, secret: string): void {
    this.forbidden.add(secretKey(project, secret));
  }

  /** Answers the next valid request with this error (e.g. `{ code: 503, status: "UNAVAILABLE", … }`). */
  failNext(error: FakeError, times = 1): void {
    for (let count = 0; count < times; count++) this.failures.push(error);
  }

  /** Flips a bit of the next payload after its CRC32C was computed, as corruption on the way would. */
  corruptNextPayload(): void {
    this.corruptions++;
  }

  /** The requests the fake answered with a version (not refused, not failed). */
  accessRequests(): RecordedRequest[] {
    return this.requests.filter((request) => request.answered === "value");
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const body = await readBody(request);
    const method = request.method ?? "GET";
    const recorded: RecordedRequest = {
      method,
      path: decodedPath(url),
      query: Object.fromEntries(url.searchParams),
      authorization: request.headers.authorization,
      requestParams: headerValue(request.headers["x-goog-request-params"]),
      body,
      answered: "error",
    };
    this.requests.push(recorded);
    let answer: JsonObject;
    try {
      answer = this.answer(method, url, body, request.headers.authorization);
    } catch (error) {
      if (error instanceof ApiError) return send(response, error.error.code, errorBody(error.error));
      throw error;
    }
    recorded.answered = "value";
    send(response, 200, answer);
  }

  private answer(method: string, url: URL, body: string, authorization: string | undefined): JsonObject {
    const name = checkRequest(method, url, body);
    checkAuthorization(authorization);
    const failure = this.failures.shift();
    if (failure !== undefined) throw new ApiError(failure);
    const match = /^(projects\/([^/]+)\/(?:locations\/[^/]+\/)?secrets\/([^/]+))\/versions\/([^/]+)$/.exec(name);
    const [, secretName = "", project = "", secret = "", version = ""] = match ?? [];
    const key = secretName.replace(`projects/${project}/`, `projects/${this.projectIdOf(project)}/`);
    if (!SECRET_ID.test(secret)) {
      throw invalid(`Invalid secret id '${secret}': use 1 to 255 letters, digits, underscores and hyphens.`);
    }
    if (version !== "latest" && !/^[1-9]\d*$/.test(version)) {
      throw invalid(`Invalid secret version '${version}': use a version number or 'latest'.`);
    }
    const numbered = secretName.replace(`projects/${project}/`, `projects/${this.projectNumberOf(project)}/`);
    if (this.forbidden.has(key)) {
      throw new ApiError({
        code: 403,
        status: "PERMISSION_DENIED",
        message: `Permission 'secretmanager.versions.access' denied for resource '${name}' (or it may not exist).`,
      });
    }
    const versions = this.secrets.get(key) ?? [];
    const index = version === "latest" ? versions.length - 1 : Number(version) - 1;
    const stored = versions[index];
    if (stored === undefined) {
      throw new ApiError({
        code: 404,
        status: "NOT_FOUND",
        message:
          version === "latest"
            ? `Secret [${numbered}] not found or has no versions.`
            : `Secret Version [${numbered}/versions/${version}] not found.`,
      });
    }
    const data = Buffer.from(stored.data);
    const checksum = crc32c(data) >>> 0;
    if (this.corruptions > 0 && data.length > 0) {
      this.corruptions--;
      data[0] = (data[0] ?? 0) ^ 1;
    }
    return {
      name: `${numbered}/versions/${index + 1}`,
      payload: { data: data.toString("base64"), ...(stored.checksum ? { dataCrc32c: String(checksum) } : {}) },
    };
  }

  private projectNumberOf(project: string): string {
    if (/^\d+$/.test(project)) return project;
    return this.projectNumbers[project] ?? DEFAULT_PROJECT_NUMBER;
  }

  /** Secrets are kept by project id; a request may name the project by its number instead. */
  private projectIdOf(project: string): string {
    const entry = Object.entries(this.projectNumbers).find(([, number]) => number === project);
    return entry?.[0] ?? project;
  }
}

/** The token the default client options send, and the only one the fake accepts. */
export const ACCESS_TOKEN = "ya29.fake-secret-manager-token";
export const DEFAULT_PROJECT_NUMBER = "123456789012";

export interface RecordedRequest {
  readonly method: string;
  /** Decoded path, e.g. `/v1/projects/p/secrets/s/versions/latest:access`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  /** The `Authorization` header, if any. */
  readonly authorization: string | undefined;
  /** The routing header (`x-goog-request-params`), if any. */
  readonly requestParams: string | undefined;
  readonly body: string;
  /** Whether the fake answered with a version or with an error. */
  answered: "value" | "error";
}

/** A Google API error: HTTP status, canonical status name and message. */
export interface FakeError {
  readonly code: number;
  readonly status: string;
  readonly message: string;
}

export type JsonObject = { [key: string]: unknown };

interface StoredVersion {
  readonly data: Buffer;
  readonly checksum: boolean;
}

const SECRET_ID = /^[A-Za-z0-9_-]{1,255}$/;

function secretKey(project: string, secret: string): string {
  return `projects/${project}/secrets/${secret}`;
}

// --- The request against AccessSecretVersion's HTTP rule (the client library's own protos.json) ---

interface HttpBinding {
  readonly method: string;
  readonly pattern: RegExp;
  /** The request field the path carries. */
  readonly field: string;
}

interface ProtoNode {
  readonly nested?: Record<string, ProtoNode>;
  readonly methods?: Record<string, { readonly requestType: string; readonly parsedOptions?: readonly unknown[] }>;
  readonly fields?: Record<string, unknown>;
}

const V1_PATH = ["google", "cloud", "secretmanager", "v1"];
const protos: ProtoNode = JSON.parse(
  readFileSync(createRequire(import.meta.url).resolve("@google-cloud/secret-manager/build/protos/protos.json"), "utf8"),
);
const v1 = V1_PATH.reduce<ProtoNode | undefined>((node, part) => node?.nested?.[part], protos);
const accessMethod = v1?.nested?.SecretManagerService?.methods?.AccessSecretVersion;
if (accessMethod === undefined) throw new Error("fake Secret Manager: no AccessSecretVersion in protos.json");
const BINDINGS: readonly HttpBinding[] = httpBindings(accessMethod.parsedOptions ?? []);
const REQUEST_FIELDS = Object.keys(v1?.nested?.[accessMethod.requestType]?.fields ?? {});
/** Request fields a GET may carry in its query: those no path binds. */
const QUERY_FIELDS = new Set(REQUEST_FIELDS.filter((field) => !BINDINGS.some((binding) => binding.field === field)));
/** The system parameters Google's front end accepts on any call, and the `$alt` values the REST client may send. */
const SYSTEM_PARAMETERS = new Set(["$alt", "alt", "$prettyPrint", "prettyPrint", "$fields", "fields"]);
const ALT_VALUES = new Set(["json", "json;enum-encoding=int"]);

function httpBindings(options: readonly unknown[]): HttpBinding[] {
  const bindings: HttpBinding[] = [];
  const visit = (rule: unknown): void => {
    if (!isObject(rule)) return;
    for (const method of ["get", "post", "put", "patch", "delete"]) {
      const template = rule[method];
      if (typeof template === "string") bindings.push(bindingOf(method.toUpperCase(), template));
    }
    const additional = rule.additional_bindings;
    for (const each of Array.isArray(additional) ? additional : [additional]) visit(each);
  };
  for (const option of options) if (isObject(option)) visit(option["(google.api.http)"]);
  if (bindings.length === 0) throw new Error("fake Secret Manager: AccessSecretVersion has no HTTP rule");
  return bindings;
}

/** `/v1/{name=projects/*\/secrets/*}:access` → a regular expression capturing `name`. */
function bindingOf(method: string, template: string): HttpBinding {
  let field = "";
  const source = template.replace(
    /\{([^}=]+)=([^}]+)\}|([^{]+)/g,
    (_, name?: string, pattern?: string, literal?: string) => {
      if (literal !== undefined) return escapeRegExp(literal);
      field = name ?? "";
      const segments = (pattern ?? "")
        .split("/")
        .map((part) => (part === "**" ? ".+" : part === "*" ? "[^/]+" : escapeRegExp(part)));
      return `(${segments.join("/")})`;
    },
  );
  return { method, pattern: new RegExp(`^${source}$`), field };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The version's resource name, once the request is known to be a well-formed AccessSecretVersion call. */
function checkRequest(method: string, url: URL, body: string): string {
  const path = decodedPath(url);
  const bound = BINDINGS.map((binding) => ({ binding, match: binding.pattern.exec(path) })).find(
    (each) => each.match !== null,
  );
  if (bound === undefined) {
    throw invalid(`${path} is not an AccessSecretVersion path (${BINDINGS.map((each) => each.pattern).join(" or ")}).`);
  }
  if (method !== bound.binding.method) {
    throw invalid(`AccessSecretVersion is called with ${bound.binding.method}, not ${method}.`);
  }
  for (const [key, value] of url.searchParams) {
    if (key === "$alt" || key === "alt") {
      if (!ALT_VALUES.has(value)) throw invalid(`Invalid value for ${key}: ${JSON.stringify(value)}.`);
    } else if (!SYSTEM_PARAMETERS.has(key) && !QUERY_FIELDS.has(key)) {
      throw invalid(`Invalid JSON payload received. Unknown name "${key}": Cannot bind query parameter.`);
    }
  }
  if (method === "GET" && body !== "") throw invalid("A GET request has no body.");
  return bound.match?.[1] ?? "";
}

function checkAuthorization(authorization: string | undefined): void {
  if (authorization === undefined) {
    throw new ApiError({
      code: 401,
      status: "UNAUTHENTICATED",
      message:
        "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
    });
  }
  if (authorization !== `Bearer ${ACCESS_TOKEN}`) {
    throw new ApiError({
      code: 401,
      status: "UNAUTHENTICATED",
      message:
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.",
    });
  }
}

// --- HTTP ---

class ApiError extends Error {
  constructor(readonly error: FakeError) {
    super(error.message);
  }
}

function invalid(message: string): ApiError {
  return new ApiError({ code: 400, status: "INVALID_ARGUMENT", message });
}

function errorBody(error: FakeError): JsonObject {
  return { error: { code: error.code, message: error.message, status: error.status } };
}

function send(response: ServerResponse, status: number, json: JsonObject): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  response.end(JSON.stringify(json));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The path as the API reads it; a malformed escape stays as sent, and so matches no binding. */
function decodedPath(url: URL): string {
  try {
    return decodeURIComponent(url.pathname);
  } catch {
    return url.pathname;
  }
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(",") : value;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
