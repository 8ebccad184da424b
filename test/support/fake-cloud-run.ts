import { randomBytes, randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo } from "node:net";
import { PassThroughClient } from "google-auth-library";
import type { CloudRunClientOptions } from "../../shared/adapters/google/cloud-run/index.js";

/**
 * A fake Cloud Run Admin API v2 for the client library's REST transport (`fallback: true`): jobs, executions and the
 * operations they return, kept in memory. It serves the calls a launcher makes (create, get and list jobs, run a job,
 * get, list and cancel executions), answers errors as Google APIs do (`{error: {code, message, status}}`), checks
 * request bodies against the API's own schema (an unknown field is a 400, as on the real API), records every request,
 * and lets a test move executions through their lives.
 *
 * The client asks for `$alt=json;enum-encoding=int`, so enums are sent and answered as numbers.
 */
export class FakeCloudRun {
  /** Every request, in order. */
  readonly requests: RecordedRequest[] = [];
  private readonly jobs = new Map<string, JsonObject>();
  private readonly executions = new Map<string, JsonObject>();
  private readonly failures: { rpc: Rpc; error: FakeError }[] = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(): Promise<FakeCloudRun> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const fake = new FakeCloudRun(server, (server.address() as AddressInfo).port);
    server.on("request", (request, response) => void fake.handle(request, response));
    return fake;
  }

  /** Options for `JobsClient`/`ExecutionsClient` that talk to this server over plain HTTP, without credentials. */
  clientOptions(): CloudRunClientOptions {
    return {
      fallback: true,
      apiEndpoint: "127.0.0.1",
      port: this.port,
      protocol: "http",
      // google-gax has its own copy of google-auth-library (10.5 under it, 10.9 at the top), whose classes differ
      // only nominally (protected members); the client just calls the instance's `fetch`.
      authClient: new PassThroughClient() as unknown as CloudRunClientOptions["authClient"],
    };
  }

  /** Requests of one RPC, e.g. `runJob`. */
  requestsOf(rpc: Rpc): RecordedRequest[] {
    return this.requests.filter((request) => request.rpc === rpc);
  }

  /** Makes the next call of `rpc` fail with this error (e.g. `{ code: 403, status: "PERMISSION_DENIED", … }`). */
  failNext(rpc: Rpc, error: FakeError): void {
    this.failures.push({ rpc, error });
  }

  job(name: string): JsonObject | undefined {
    return this.jobs.get(name);
  }

  execution(name: string): JsonObject | undefined {
    return this.executions.get(name);
  }

  executionNames(): string[] {
    return [...this.executions.keys()];
  }

  /** Puts a job in place as if someone else had created it (another instance, Terraform). */
  addJob(name: string, job: JsonObject): void {
    this.jobs.set(name, { ...job, name });
  }

  /** The execution's task starts running. */
  startExecution(name: string): void {
    const execution = this.mustGetExecution(name);
    Object.assign(execution, {
      startTime: new Date().toISOString(),
      runningCount: 1,
      conditions: [
        condition("ResourcesAvailable", CONDITION.SUCCEEDED),
        condition("Started", CONDITION.SUCCEEDED),
        condition("Completed", CONDITION.RECONCILING),
      ],
    });
  }

  /** The execution's task ends: successfully, or with a failure message (e.g. `The configured timeout was reached.`). */
  finishExecution(name: string, outcome: { readonly succeeded: true } | { readonly failed: true; message: string }) {
    const execution = this.mustGetExecution(name);
    const task = `${String(execution.name).split("/").at(-1)}-task0`;
    const completed =
      "succeeded" in outcome
        ? condition("Completed", CONDITION.SUCCEEDED, { message: "Execution completed successfully in 1m." })
        : condition("Completed", CONDITION.FAILED, {
            message: `Task ${task} failed with message: ${outcome.message}`,
            executionReason: EXECUTION_REASON.NON_ZERO_EXIT_CODE,
          });
    Object.assign(execution, {
      startTime: execution.startTime ?? new Date().toISOString(),
      completionTime: new Date().toISOString(),
      runningCount: 0,
      succeededCount: "succeeded" in outcome ? 1 : 0,
      failedCount: "succeeded" in outcome ? 0 : 1,
      conditions: [
        condition("ResourcesAvailable", CONDITION.SUCCEEDED),
        condition("Started", CONDITION.SUCCEEDED),
        completed,
      ],
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const text = await readBody(request);
    let body: unknown;
    try {
      body = text === "" ? undefined : JSON.parse(text);
    } catch {
      return send(response, errorBody({ code: 400, status: "INVALID_ARGUMENT", message: "Invalid JSON payload." }));
    }
    const method = request.method ?? "GET";
    const path = decodeURIComponent(url.pathname);
    const route = matchRoute(method, path);
    this.requests.push({
      rpc: route?.rpc ?? "unknown",
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body,
    });
    if (route === undefined) {
      return send(response, errorBody({ code: 404, status: "NOT_FOUND", message: `No route for ${method} ${path}.` }));
    }
    const index = this.failures.findIndex((each) => each.rpc === route.rpc);
    const [failure] = index >= 0 ? this.failures.splice(index, 1) : [];
    if (failure !== undefined) return send(response, errorBody(failure.error));
    try {
      send(response, { status: 200, json: this.answer(route, url.searchParams, body) });
    } catch (error) {
      if (error instanceof ApiError) return send(response, errorBody(error.error));
      throw error;
    }
  }

  private answer(route: Route, query: URLSearchParams, body: unknown): JsonObject {
    const { parent, job, execution } = route;
    switch (route.rpc) {
      case "createJob": {
        const jobId = query.get("jobId") ?? "";
        if (!/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(jobId)) {
          throw invalid(`Invalid job id ${JSON.stringify(jobId)}: use lowercase letters, digits and hyphens.`);
        }
        const jobBody = expectObject(body, "job");
        checkAgainstSchema(jobBody, "google.cloud.run.v2.Job", "job");
        const containers = pick(jobBody, "template", "template", "containers");
        if (!Array.isArray(containers) || containers.length === 0 || !isObject(containers[0])) {
          throw invalid("job.template.template.containers: at least one container is required.");
        }
        if (typeof containers[0].image !== "string" || containers[0].image === "") {
          throw invalid("job.template.template.containers[0].image: an image is required.");
        }
        const name = `${parent}/jobs/${jobId}`;
        if (this.jobs.has(name)) {
          throw new ApiError({ code: 409, status: "ALREADY_EXISTS", message: `Resource '${jobId}' already exists.` });
        }
        const created: JsonObject = {
          ...jobBody,
          name,
          uid: randomUUID(),
          generation: "1",
          createTime: new Date().toISOString(),
          executionCount: 0,
          reconciling: false,
        };
        this.jobs.set(name, created);
        return operation(parent, { done: true, response: { "@type": `${TYPE_PREFIX}Job`, ...created } });
      }
      case "getJob":
        return this.mustGetJob(job);
      case "listJobs":
        return page(
          [...this.jobs.values()].filter((each) => String(each.name).startsWith(`${parent}/`)),
          query,
          "jobs",
        );
      case "runJob": {
        const stored = this.mustGetJob(job);
        const request = expectObject(body ?? {}, "request");
        checkAgainstSchema(request, "google.cloud.run.v2.RunJobRequest", "request", ["name"]);
        const created = this.createExecution(stored, isObject(request.overrides) ? request.overrides : {});
        return operation(parent, { done: false, metadata: { "@type": `${TYPE_PREFIX}Execution`, ...created } });
      }
      case "listExecutions":
        this.mustGetJob(job);
        return page(
          [...this.executions.values()]
            .filter((each) => String(each.name).startsWith(`${job}/executions/`))
            .sort((a, b) => String(b.createTime).localeCompare(String(a.createTime))),
          query,
          "executions",
        );
      case "getExecution":
        return this.mustGetExecution(execution);
      case "cancelExecution": {
        const stored = this.mustGetExecution(execution);
        if (stored.completionTime !== undefined) {
          throw new ApiError({
            code: 400,
            status: "FAILED_PRECONDITION",
            message: `Execution ${String(stored.name).split("/").at(-1)} has already completed.`,
          });
        }
        Object.assign(stored, {
          completionTime: new Date().toISOString(),
          runningCount: 0,
          cancelledCount: 1,
          conditions: [
            condition("ResourcesAvailable", CONDITION.SUCCEEDED),
            condition("Started", stored.startTime === undefined ? CONDITION.PENDING : CONDITION.SUCCEEDED),
            condition("Completed", CONDITION.FAILED, {
              message: "The execution was cancelled.",
              executionReason: EXECUTION_REASON.CANCELLED,
            }),
          ],
        });
        return operation(parent, { done: false, metadata: { "@type": `${TYPE_PREFIX}Execution`, ...stored } });
      }
    }
  }

  private createExecution(job: JsonObject, overrides: JsonObject): JsonObject {
    const jobName = String(job.name);
    const shortJob = jobName.split("/").at(-1) ?? "";
    const id = `${shortJob}-${randomBytes(4).toString("hex").slice(0, 5)}`;
    const executionTemplate = isObject(job.template) ? job.template : {};
    const taskTemplate = structuredClone(isObject(executionTemplate.template) ? executionTemplate.template : {});
    const containers = Array.isArray(taskTemplate.containers) ? taskTemplate.containers : [];
    // What the API documents for overrides: args replace the container's, env is merged into it by name.
    const containerOverrides = Array.isArray(overrides.containerOverrides) ? overrides.containerOverrides : [];
    for (const [index, override] of containerOverrides.entries()) {
      if (!isObject(override)) continue;
      const target =
        containers.find((each) => isObject(each) && override.name !== undefined && each.name === override.name) ??
        (override.name === undefined ? containers[index] : undefined);
      if (!isObject(target)) throw invalid(`overrides.containerOverrides[${index}]: no such container.`);
      if (Array.isArray(override.args) && override.args.length > 0) target.args = override.args;
      if (override.clearArgs === true) target.args = [];
      if (Array.isArray(override.env)) {
        const env = Array.isArray(target.env) ? target.env.filter(isObject) : [];
        for (const variable of override.env.filter(isObject)) {
          const existing = env.findIndex((each) => each.name === variable.name);
          if (existing >= 0) env[existing] = variable;
          else env.push(variable);
        }
        target.env = env;
      }
    }
    if (overrides.timeout !== undefined) taskTemplate.timeout = overrides.timeout;
    const now = new Date();
    // Executions created in the same millisecond still list newest first.
    now.setMilliseconds(now.getMilliseconds() + this.executions.size);
    const execution: JsonObject = {
      name: `${jobName}/executions/${id}`,
      uid: randomUUID(),
      generation: "1",
      labels: isObject(executionTemplate.labels) ? executionTemplate.labels : {},
      createTime: now.toISOString(),
      job: shortJob,
      parallelism: 1,
      taskCount: typeof overrides.taskCount === "number" ? overrides.taskCount : (executionTemplate.taskCount ?? 1),
      template: taskTemplate,
      reconciling: true,
      conditions: [
        condition("ResourcesAvailable", CONDITION.RECONCILING),
        condition("Started", CONDITION.PENDING),
        condition("Completed", CONDITION.PENDING),
      ],
      runningCount: 0,
      succeededCount: 0,
      failedCount: 0,
      cancelledCount: 0,
      logUri: `https://console.cloud.google.com/logs/viewer?execution=${id}`,
      etag: randomUUID(),
    };
    this.executions.set(String(execution.name), execution);
    job.executionCount = Number(job.executionCount ?? 0) + 1;
    job.latestCreatedExecution = { name: execution.name, createTime: execution.createTime };
    return execution;
  }

  private mustGetJob(name: string | undefined): JsonObject {
    const job = name === undefined ? undefined : this.jobs.get(name);
    if (job === undefined) {
      throw new ApiError({ code: 404, status: "NOT_FOUND", message: `Resource '${name}' was not found` });
    }
    return job;
  }

  private mustGetExecution(name: string | undefined): JsonObject {
    const execution = name === undefined ? undefined : this.executions.get(name);
    if (execution === undefined) {
      throw new ApiError({ code: 404, status: "NOT_FOUND", message: `Resource '${name}' was not found` });
    }
    return execution;
  }
}

export type Rpc =
  | "createJob"
  | "getJob"
  | "listJobs"
  | "runJob"
  | "getExecution"
  | "listExecutions"
  | "cancelExecution"
  | "unknown";

export interface RecordedRequest {
  readonly rpc: Rpc;
  readonly method: string;
  /** Decoded path, e.g. `/v2/projects/p/locations/l/jobs/j:run`. */
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
}

/** A Google API error: HTTP status, canonical status name and message. */
export interface FakeError {
  readonly code: number;
  readonly status: string;
  readonly message: string;
}

export type JsonObject = { [key: string]: unknown };

/** google.cloud.run.v2.Condition.State. */
export const CONDITION = { PENDING: 1, RECONCILING: 2, FAILED: 3, SUCCEEDED: 4 } as const;
/** google.cloud.run.v2.Condition.ExecutionReason. */
export const EXECUTION_REASON = { NON_ZERO_EXIT_CODE: 2, CANCELLED: 3, CANCELLING: 4 } as const;

const TYPE_PREFIX = "type.googleapis.com/google.cloud.run.v2.";

interface Route {
  readonly rpc: Exclude<Rpc, "unknown">;
  readonly parent: string;
  readonly job?: string;
  readonly execution?: string;
}

const LOCATION = "projects/[^/]+/locations/[^/]+";
const ROUTES: readonly { method: string; pattern: RegExp; rpc: Route["rpc"] }[] = [
  { method: "POST", pattern: new RegExp(`^/v2/(${LOCATION})/jobs$`), rpc: "createJob" },
  { method: "GET", pattern: new RegExp(`^/v2/(${LOCATION})/jobs$`), rpc: "listJobs" },
  { method: "GET", pattern: new RegExp(`^/v2/((${LOCATION})/jobs/[^/:]+)$`), rpc: "getJob" },
  { method: "POST", pattern: new RegExp(`^/v2/((${LOCATION})/jobs/[^/:]+):run$`), rpc: "runJob" },
  { method: "GET", pattern: new RegExp(`^/v2/((${LOCATION})/jobs/[^/:]+)/executions$`), rpc: "listExecutions" },
  {
    method: "GET",
    pattern: new RegExp(`^/v2/(((${LOCATION})/jobs/[^/:]+)/executions/[^/:]+)$`),
    rpc: "getExecution",
  },
  {
    method: "POST",
    pattern: new RegExp(`^/v2/(((${LOCATION})/jobs/[^/:]+)/executions/[^/:]+):cancel$`),
    rpc: "cancelExecution",
  },
];

function matchRoute(method: string, path: string): Route | undefined {
  for (const route of ROUTES) {
    const match = method === route.method ? route.pattern.exec(path) : null;
    if (match === null) continue;
    switch (route.rpc) {
      case "createJob":
      case "listJobs":
        return { rpc: route.rpc, parent: match[1] ?? "" };
      case "getJob":
      case "runJob":
      case "listExecutions":
        return { rpc: route.rpc, parent: match[2] ?? "", job: match[1] ?? "" };
      default:
        return { rpc: route.rpc, parent: match[3] ?? "", job: match[2] ?? "", execution: match[1] ?? "" };
    }
  }
  return undefined;
}

function operation(parent: string, fields: JsonObject): JsonObject {
  return { name: `${parent}/operations/${randomUUID()}`, ...fields };
}

function condition(type: string, state: number, extra: JsonObject = {}): JsonObject {
  return { type, state, lastTransitionTime: new Date().toISOString(), ...extra };
}

function page(items: JsonObject[], query: URLSearchParams, key: string): JsonObject {
  const size = Number(query.get("pageSize") ?? "0") || items.length || 1;
  const start = Number(query.get("pageToken") ?? "0") || 0;
  const end = start + size;
  return { [key]: items.slice(start, end), ...(end < items.length ? { nextPageToken: String(end) } : {}) };
}

class ApiError extends Error {
  constructor(readonly error: FakeError) {
    super(error.message);
  }
}

function invalid(message: string): ApiError {
  return new ApiError({ code: 400, status: "INVALID_ARGUMENT", message });
}

function errorBody(error: FakeError): { status: number; json: JsonObject } {
  return { status: error.code, json: { error: { code: error.code, message: error.message, status: error.status } } };
}

function send(response: ServerResponse, { status, json }: { status: number; json: unknown }): void {
  response.writeHead(status, { "content-type": "application/json; charset=utf-8" });
  response.end(JSON.stringify(json));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function expectObject(value: unknown, where: string): JsonObject {
  if (!isObject(value)) throw invalid(`Invalid JSON payload received: '${where}' must be an object.`);
  return value;
}

function pick(value: unknown, ...keys: string[]): unknown {
  let current = value;
  for (const key of keys) current = isObject(current) ? current[key] : undefined;
  return current;
}

// --- Request bodies against the API's schema (the client library's own protos.json) ---

interface SchemaNode {
  readonly nested?: Record<string, SchemaNode>;
  readonly fields?: Record<string, { readonly type: string; readonly rule?: string; readonly keyType?: string }>;
  readonly values?: Record<string, number>;
}

const schemaRoot: SchemaNode = JSON.parse(
  readFileSync(createRequire(import.meta.url).resolve("@google-cloud/run/build/protos/protos.json"), "utf8"),
);
const SCALARS = new Set([
  "string",
  "bytes",
  "bool",
  "int32",
  "uint32",
  "sint32",
  "fixed32",
  "sfixed32",
  "double",
  "float",
]);
const INT64 = new Set(["int64", "uint64", "sint64", "fixed64", "sfixed64"]);

/** Throws INVALID_ARGUMENT, worded as Google's ESF does, for a field the message type does not have. */
function checkAgainstSchema(value: JsonObject, typeName: string, where: string, pathFields: string[] = []): void {
  const path = typeName.split(".");
  checkMessage(value, path, where, new Set(pathFields));
}

function checkMessage(value: unknown, typePath: string[], where: string, skip = new Set<string>()): void {
  const type = schemaNode(typePath);
  if (!isObject(value)) throw invalid(`Invalid JSON payload received. '${where}' must be an object.`);
  for (const [key, fieldValue] of Object.entries(value)) {
    if (skip.has(key)) continue;
    const field = type?.fields?.[key] ?? type?.fields?.[key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase())];
    if (field === undefined) {
      throw invalid(`Invalid JSON payload received. Unknown name "${key}" at '${where}': Cannot find field.`);
    }
    const at = `${where}.${key}`;
    if (field.keyType !== undefined) {
      if (!isObject(fieldValue)) throw invalid(`Invalid JSON payload received. '${at}' must be a map.`);
      for (const [mapKey, item] of Object.entries(fieldValue))
        checkValue(item, field.type, typePath, `${at}[${mapKey}]`);
    } else if (field.rule === "repeated") {
      if (!Array.isArray(fieldValue)) throw invalid(`Invalid JSON payload received. '${at}' must be a list.`);
      for (const [index, item] of fieldValue.entries()) checkValue(item, field.type, typePath, `${at}[${index}]`);
    } else {
      checkValue(fieldValue, field.type, typePath, at);
    }
  }
}

function checkValue(value: unknown, type: string, scope: string[], where: string): void {
  const wrong = () => invalid(`Invalid value at '${where}' (${type}): ${JSON.stringify(value)}`);
  if (SCALARS.has(type)) {
    const ok =
      type === "string" || type === "bytes"
        ? typeof value === "string"
        : type === "bool"
          ? typeof value === "boolean"
          : typeof value === "number";
    if (!ok) throw wrong();
    return;
  }
  if (INT64.has(type)) {
    if (!(typeof value === "number" || (typeof value === "string" && /^-?\d+$/.test(value)))) throw wrong();
    return;
  }
  if (type === "google.protobuf.Duration") {
    if (typeof value !== "string" || !/^-?\d+(\.\d{1,9})?s$/.test(value)) throw wrong();
    return;
  }
  if (type === "google.protobuf.Timestamp") {
    if (typeof value !== "string" || Number.isNaN(Date.parse(value))) throw wrong();
    return;
  }
  const resolved = resolveType(type, scope);
  if (resolved === undefined) throw new Error(`fake Cloud Run: cannot resolve type ${type} from ${scope.join(".")}`);
  const node = schemaNode(resolved);
  if (node?.values !== undefined) {
    const names = Object.keys(node.values);
    const ok = typeof value === "number" ? Object.values(node.values).includes(value) : names.includes(String(value));
    if (!ok) throw wrong();
    return;
  }
  checkMessage(value, resolved, where);
}

/** Protobuf name resolution: the name relative to the scope, then to each enclosing namespace. */
function resolveType(name: string, scope: string[]): string[] | undefined {
  const parts = name.split(".");
  for (let depth = scope.length; depth >= 0; depth--) {
    const candidate = [...scope.slice(0, depth), ...parts];
    if (schemaNode(candidate) !== undefined) return candidate;
  }
  return undefined;
}

function schemaNode(path: string[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = schemaRoot;
  for (const part of path) node = node?.nested?.[part];
  return node;
}
