import pRetry from "p-retry";
import { failure } from "../../shared/client/network-client.js";
import { NetworkRequestFailed, QuestionNotFound } from "../../shared/errors/index.js";
import type { ChildEventEnvelope } from "../../shared/events/index.js";
import { isQuestionStatus } from "../../shared/questions/index.js";
import type { JobConnection } from "./job-connection.js";
import { jobQuestion } from "./job-question.js";

export interface HttpJobConnectionOptions {
  /** Retries after a transient failure (no connection, a 5xx, a 429); default 4. A 4xx other than 429 never is. */
  readonly retries?: number;
  /** The first wait before a retry, doubling after each; default 250 ms, at most 4 s. */
  readonly minTimeoutMs?: number;
  /** How long one request may take before it counts as failed (and is retried); default 30 s. */
  readonly requestTimeoutMs?: number;
  /** The bearer token the network requires (`twined dev` beyond loopback). */
  readonly token?: string;
}

/**
 * A job's connection to a network over its HTTP API (an embedded network, `twined dev`): the question from
 * `GET /questions/{uuid}/question`, each event to `POST /questions/{uuid}/events`.
 */
export async function openHttpJobConnection(
  networkUrl: string,
  questionUuid: string,
  options: HttpJobConnectionOptions = {},
): Promise<JobConnection> {
  const base = networkUrl.replace(/\/+$/, "");
  const questionRoute = `${base}/questions/${encodeURIComponent(questionUuid)}`;
  const send = (url: string, init: RequestInit) => sendWithRetries(base, url, init, options);

  const response = await send(`${questionRoute}/question`, { headers: { accept: "application/json" } });
  if (response.status === 404) throw new QuestionNotFound(questionUuid);
  if (!response.ok) throw await failure(response);
  // The envelope, and the question's status (which networks before it was served leave out).
  const { status, ...stored } = ((await response.json()) ?? {}) as { status?: unknown };
  const question = jobQuestion(stored, questionUuid);

  return {
    question,
    status: typeof status === "string" && isQuestionStatus(status) ? status : undefined,
    sink: {
      async emit(envelope: ChildEventEnvelope): Promise<void> {
        const posted = await send(`${questionRoute}/events`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(envelope),
        });
        if (posted.ok) {
          await posted.body?.cancel();
          return;
        }
        const error = await failure(posted);
        throw new NetworkRequestFailed(
          `the network refused the '${envelope.event.kind}' event of question ${questionUuid}: ${error.message}`,
          error.status,
          error.remoteType,
          error.details,
        );
      },
    },
    async close() {},
  };
}

/** Sends a request, retrying while the failure may pass; resolves with the first response that is not transient. */
async function sendWithRetries(
  base: string,
  url: string,
  init: RequestInit,
  options: HttpJobConnectionOptions,
): Promise<Response> {
  return pRetry(
    async () => {
      let response: Response;
      try {
        const headers = new Headers(init.headers);
        if (options.token !== undefined) headers.set("authorization", `Bearer ${options.token}`);
        response = await fetch(url, {
          ...init,
          headers,
          signal: AbortSignal.timeout(options.requestTimeoutMs ?? 30_000),
        });
      } catch (error) {
        const reason = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
        throw new NetworkRequestFailed(`cannot reach the Twined network at ${base} (${reason})`, undefined, undefined);
      }
      if (isTransient(response.status)) throw await failure(response);
      return response;
    },
    {
      retries: options.retries ?? 4,
      minTimeout: options.minTimeoutMs ?? 250,
      maxTimeout: 4_000,
      shouldRetry: ({ error }) =>
        error instanceof NetworkRequestFailed && (error.status === undefined || isTransient(error.status)),
    },
  );
}

function isTransient(status: number): boolean {
  return status === 429 || status >= 500;
}
