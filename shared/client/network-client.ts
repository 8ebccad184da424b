import type { DiagnosticsDocument } from "../datasets/index.js";
import { NetworkRequestFailed } from "../errors/index.js";
import type { ChildEventEnvelope } from "../events/index.js";
import { definedProperties } from "../objects/index.js";
import type { QuestionStatus } from "../questions/index.js";
import { activeTraceparent, TRACEPARENT_HEADER } from "../tracing/index.js";

/** What a network says about datasets (`GET /datasets`). */
export interface DatasetSettings {
  /** Its jobs run where this machine's paths can be read (a network on this machine). */
  readonly readsLocalFiles: boolean;
  /** Where askers upload local datasets (`gs://…`), if the network has such a place. */
  readonly uploadsLocation: string | undefined;
}

export interface QuestionSummary {
  readonly question_uuid: string;
  readonly recipient: string;
  readonly status: string;
  readonly answer?: { readonly output_values?: unknown; readonly output_manifest?: unknown };
  readonly error?: { readonly type: string; readonly message: string; readonly traceback?: readonly string[] };
  readonly [key: string]: unknown;
}

export interface StreamedEvent extends ChildEventEnvelope {
  readonly sequence: number;
}

/** What following a question yields: one of its recorded events, or a change of its status. */
export type FollowUpdate =
  | { readonly type: "event"; readonly event: StreamedEvent }
  | { readonly type: "status"; readonly status: QuestionStatus; readonly at: string };

/**
 * A message the network could not process, as `GET /dead-letters` shows it: why, where it was published, and its data
 * (as text when it is UTF-8, else base64; in a listing, its first 16 KiB).
 */
export interface DeadLetterSummary {
  /** The Pub/Sub message ID of the dead-letter message; `replayDeadLetters` names it. */
  readonly id: string;
  readonly reason: string;
  /** The topic a replay sends it to; null when nothing says. */
  readonly topic: string | null;
  readonly first_seen_at: string;
  readonly attempts: number;
  readonly question_uuid: string | null;
  readonly attributes: Readonly<Record<string, string>>;
  readonly data: string;
  readonly data_encoding: "utf-8" | "base64";
  /** Bytes of the whole data. */
  readonly data_size: number;
  readonly data_truncated: boolean;
  readonly replayed_at: string | null;
}

/** What `replayDeadLetters` did with each dead letter. */
export interface DeadLetterReplay {
  /** Sent again, each to its original topic. */
  readonly replayed: readonly string[];
  /** Named, but replayed already. */
  readonly already_replayed: readonly string[];
  /** Left waiting by a replay of all: nothing says where they were published. */
  readonly skipped: readonly { readonly id: string; readonly reason: string }[];
}

/** A bearer token for the network, or where to get a fresh one before each request. */
export type IdentityToken = string | (() => Promise<string>);

/** The default address of `twined dev`. */
export const DEFAULT_NETWORK_URL = "http://127.0.0.1:7070";

/** Talks to a Twined network's HTTP API (`twined dev` locally, the intake and registry functions in the cloud). */
export class NetworkClient {
  readonly baseUrl: string;
  private readonly identityToken: IdentityToken | undefined;

  /**
   * `identityToken` is sent as a bearer token: for a network whose functions are behind IAM (the deployed one), a
   * token or a function that gives a fresh one for each request (a job minting its own); for `twined dev` reachable
   * beyond loopback, the token it printed. By default `TWINED_ID_TOKEN` (e.g. from `gcloud auth
   * print-identity-token`), else `TWINED_TOKEN`.
   */
  constructor(baseUrl: string = DEFAULT_NETWORK_URL, options: { readonly identityToken?: IdentityToken } = {}) {
    this.baseUrl = baseUrl.replace(/\/+$/, "");
    this.identityToken =
      options.identityToken ?? (process.env.TWINED_ID_TOKEN || undefined) ?? (process.env.TWINED_TOKEN || undefined);
  }

  ask(body: Record<string, unknown>): Promise<QuestionSummary> {
    // A question with its own UUID is asked once however often it is sent, so a dropped connection can be retried.
    return this.request("POST", "/questions", body, typeof body.question_uuid === "string");
  }

  question(questionUuid: string): Promise<QuestionSummary> {
    return this.request("GET", `/questions/${encodeURIComponent(questionUuid)}`);
  }

  /** Questions by `parent_question_uuid`, `originator_question_uuid`, `recipient` or `status`, with a `limit`. */
  async listQuestions(query: Record<string, string | undefined>): Promise<QuestionSummary[]> {
    const { questions } = await this.request<{ questions: QuestionSummary[] }>(
      "GET",
      `/questions?${parameters(query)}`,
    );
    return questions;
  }

  cancel(questionUuid: string, reason?: string): Promise<QuestionSummary> {
    return this.request(
      "POST",
      `/questions/${encodeURIComponent(questionUuid)}/cancel`,
      reason === undefined ? {} : { reason },
    );
  }

  /** Events of one question or of a question tree (`parent_question_uuid` / `originator_question_uuid`). */
  async queryEvents(query: Record<string, string | undefined>): Promise<StreamedEvent[]> {
    const { events } = await this.request<{ events: StreamedEvent[] }>("GET", `/events?${parameters(query)}`);
    return events;
  }

  listRevisions(namespace?: string, name?: string): Promise<{ revisions: Record<string, unknown>[] }> {
    const route =
      namespace === undefined || name === undefined ? "/registry" : `/registry/${namespace}/${name}/revisions`;
    return this.request("GET", route);
  }

  setDefaultRevision(namespace: string, name: string, revisionTag: string): Promise<Record<string, unknown>> {
    return this.request("PUT", `/registry/${namespace}/${name}/default`, { revision_tag: revisionTag });
  }

  /** The network's dead letters, newest first: at most `limit` (default 100), only those not yet replayed if `pending`. */
  async listDeadLetters(
    options: { readonly limit?: number; readonly pending?: boolean } = {},
  ): Promise<DeadLetterSummary[]> {
    const query = parameters({
      limit: options.limit === undefined ? undefined : String(options.limit),
      pending: options.pending === undefined ? undefined : String(options.pending),
    });
    const { dead_letters: letters } = await this.request<{ dead_letters: DeadLetterSummary[] }>(
      "GET",
      `/dead-letters?${query}`,
    );
    return letters;
  }

  /** One dead letter with all of its data. */
  deadLetter(id: string): Promise<DeadLetterSummary> {
    return this.request("GET", `/dead-letters/${encodeURIComponent(id)}`);
  }

  /**
   * Sends dead letters again, each to the topic it was first published on: these, or every one not yet replayed. A
   * dead letter is replayed once however often this is sent, so a dropped connection is retried.
   */
  replayDeadLetters(
    selection: { readonly ids: readonly string[] } | { readonly all: true },
  ): Promise<DeadLetterReplay> {
    return this.request("POST", "/dead-letters/replay", selection, true);
  }

  /**
   * Follows a question live (Server-Sent Events): its events after sequence `after`, and its status changes, until
   * its final event.
   */
  async *follow(questionUuid: string, after = 0, signal?: AbortSignal): AsyncGenerator<FollowUpdate> {
    const response = await this.send(`/questions/${encodeURIComponent(questionUuid)}/events?after=${after}`, {
      headers: { accept: "text/event-stream" },
      ...definedProperties({ signal }),
    });
    if (!response.ok || response.body === null) throw await failure(response);
    const decoder = new TextDecoder();
    let buffer = "";
    for await (const chunk of interruptible(response.body, this.baseUrl, signal)) {
      buffer += decoder.decode(chunk, { stream: true });
      let boundary = buffer.indexOf("\n\n");
      while (boundary !== -1) {
        const update = parseServerSentEvent(buffer.slice(0, boundary));
        buffer = buffer.slice(boundary + 2);
        if (update !== undefined) yield update;
        boundary = buffer.indexOf("\n\n");
      }
    }
  }

  /**
   * `GET /datasets`: whether the network's jobs read this machine's paths, and where askers upload local datasets.
   * Undefined from a network that does not say (one older than datasets in storage).
   */
  async datasetSettings(): Promise<DatasetSettings | undefined> {
    const response = await this.send("/datasets", { method: "GET" });
    if (response.status === 404) return undefined;
    if (!response.ok) throw await failure(response);
    const body = (await response.json()) as { reads_local_files?: unknown; uploads_location?: unknown };
    return {
      readsLocalFiles: body.reads_local_files === true,
      uploadsLocation: typeof body.uploads_location === "string" ? body.uploads_location : undefined,
    };
  }

  /**
   * `GET /questions/{uuid}/output-manifest`: the answer's output manifest with its datasets in storage signed, to
   * download without access to the network's buckets.
   */
  async signedOutputManifest(questionUuid: string): Promise<unknown> {
    return this.request<unknown>("GET", `/questions/${encodeURIComponent(questionUuid)}/output-manifest`);
  }

  /**
   * `GET /questions/{uuid}/diagnostics`: where a question's crash diagnostics are kept, with each file and dataset
   * signed to download without access to the network's buckets.
   */
  async diagnostics(questionUuid: string): Promise<DiagnosticsDocument> {
    return this.request<DiagnosticsDocument>("GET", `/questions/${encodeURIComponent(questionUuid)}/diagnostics`);
  }

  /** Registers a revision, or updates the one with this tag (`created: false`). */
  async registerRevision(
    namespace: string,
    name: string,
    tag: string,
    body: Record<string, unknown>,
  ): Promise<{ readonly created: boolean; readonly revision: Record<string, unknown> }> {
    const response = await this.send(`/registry/${namespace}/${name}/revisions/${encodeURIComponent(tag)}`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    if (!response.ok) throw await failure(response);
    return { created: response.status === 201, revision: (await response.json()) as Record<string, unknown> };
  }

  private async request<T = QuestionSummary>(
    method: string,
    route: string,
    body?: unknown,
    repeatable = method === "GET",
  ): Promise<T> {
    const init = {
      method,
      ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
    };
    const response = await this.send(route, init, repeatable ? RETRIES_AFTER_A_DROPPED_CONNECTION : 0);
    if (!response.ok) throw await failure(response);
    return (await response.json()) as T;
  }

  /**
   * Sends a request; `retries` times more when the connection was dropped before any answer (a server closing an idle
   * kept-alive connection as it is reused, say), for a request that is safe to repeat.
   */
  private async send(route: string, init: RequestInit, retries = 0): Promise<Response> {
    // Outside the try: a token that cannot be had is its own error, not an unreachable network.
    const token = typeof this.identityToken === "function" ? await this.identityToken() : this.identityToken;
    const headers = new Headers(init.headers);
    if (token !== undefined) headers.set("authorization", `Bearer ${token}`);
    // The caller's trace (a job asking its children) continues in the network.
    const traceparent = activeTraceparent();
    if (traceparent !== undefined && !headers.has(TRACEPARENT_HEADER)) headers.set(TRACEPARENT_HEADER, traceparent);
    try {
      return await fetch(`${this.baseUrl}${route}`, { ...init, headers });
    } catch (error) {
      if (retries > 0 && isDroppedConnection(error)) return this.send(route, init, retries - 1);
      const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
      throw new NetworkRequestFailed(
        `cannot reach the Twined network at ${this.baseUrl} (${reason}); start one with 'twined dev' or set --network / TWINED_NETWORK_URL`,
        undefined,
        undefined,
      );
    }
  }
}

const RETRIES_AFTER_A_DROPPED_CONNECTION = 2;

/** A connection reset or closed under a request, as opposed to a network that is not there at all. */
function isDroppedConnection(error: unknown): boolean {
  const cause = error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  return cause?.code === "ECONNRESET" || cause?.code === "UND_ERR_SOCKET" || cause?.code === "EPIPE";
}

/** The network's JSON error (`{error: {type, message, details}}`) as an error, or what it said otherwise. */
export async function failure(response: Response): Promise<NetworkRequestFailed> {
  const text = await response.text();
  try {
    const { error } = JSON.parse(text) as {
      error?: { type?: string; message?: unknown; details?: Record<string, unknown> };
    };
    if (typeof error?.message === "string") {
      return new NetworkRequestFailed(error.message, response.status, error.type, error.details ?? {});
    }
  } catch {
    // Not the network's JSON: a proxy's page, say.
  }
  return new NetworkRequestFailed(
    `the network answered HTTP ${response.status}: ${text.slice(0, 200)}`,
    response.status,
    undefined,
  );
}

function parseServerSentEvent(block: string): FollowUpdate | undefined {
  let name = "message";
  const data: string[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event: ")) name = line.slice(7);
    else if (line.startsWith("data: ")) data.push(line.slice(6));
  }
  if (data.length === 0) return undefined;
  const parsed = JSON.parse(data.join("\n")) as unknown;
  if (name === "status") {
    const { status, at } = parsed as { status: QuestionStatus; at: string };
    return { type: "status", status, at };
  }
  return { type: "event", event: parsed as StreamedEvent };
}

/** The chunks of a response body; a connection lost mid-stream becomes a `NetworkRequestFailed` without a status. */
async function* interruptible(
  body: ReadableStream<Uint8Array>,
  baseUrl: string,
  signal: AbortSignal | undefined,
): AsyncGenerator<Uint8Array> {
  try {
    for await (const chunk of body) yield chunk;
  } catch (error) {
    if (signal?.aborted === true) throw error;
    throw new NetworkRequestFailed(
      `the event stream from ${baseUrl} was interrupted (${error instanceof Error ? error.message : String(error)})`,
      undefined,
      undefined,
    );
  }
}

function parameters(query: Record<string, string | undefined>): URLSearchParams {
  const result = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== undefined) result.set(key, value);
  return result;
}
