import { type Request, type Response, Router } from "express";
import { InvalidEvent, InvalidStoreQuery, QuestionNotFound } from "../../errors/index.js";
import { type ChildEventEnvelope, isSenderOrdered, validateEvent } from "../../events/index.js";
import { definedProperties } from "../../objects/index.js";
import {
  checkedQuestionFilter,
  DEFAULT_QUERY_LIMIT,
  processLogger,
  type QuestionChanges,
  type QuestionFilter,
  type QuestionRecord,
  type QuestionStore,
  type StoredEvent,
} from "../../ports/index.js";
import { isQuestionStatus, isTerminal, QUESTION_STATUSES } from "../../questions/index.js";
import type { QuestionIntake } from "./handler.js";
import { type OutputValuesReader, withOutputValues } from "./output-values.js";

const FINAL_EVENT_GRACE_MS = 2_000;

/**
 * How long a live stream holds back events behind a numbered one that has not arrived (Pub/Sub may deliver out of
 * order, or redeliver after a failure) before going on without it; Octue's parents waited as long.
 */
const GAP_WAIT_MS = 10_000;

export interface QuestionRoutesOptions {
  /** How often a live event stream looks for new events when nothing wakes it sooner. */
  readonly pollIntervalMs?: number;
  /** How long a live stream waits for a missing numbered event before going on without it (default 10 s). */
  readonly gapWaitMs?: number;
  /** Wakes live event streams when their question changes (same-process stores); without it they poll. */
  readonly changes?: QuestionChanges;
  /**
   * Publishes a response event a job posts (`POST /questions/{uuid}/events`) on the services topic. Without it the
   * route answers 501: such a network takes job events on Pub/Sub only.
   */
  readonly publishEvent?: (envelope: ChildEventEnvelope) => Promise<void>;
  /** Fetches output values kept in storage (too large for a message), so answers are shown whole. */
  readonly outputValues?: OutputValuesReader;
}

/** The questions API: ask, look up, list, follow (JSON or Server-Sent Events) and cancel. */
/**
 * `GET /events?parent_question_uuid=…|originator_question_uuid=…&kinds=…&exclude_kinds=…&limit=…`: the events of a
 * question tree, for `twined question events get`.
 */
export function eventRoutes(questions: QuestionStore, outputValues?: OutputValuesReader): Router {
  const router = Router();
  router.get("/", async (request, response) => {
    // A selector given empty (`question_uuid=`) selects nothing: it is no selector.
    const selectors = ["question_uuid", "parent_question_uuid", "originator_question_uuid"].filter(
      (name) => typeof request.query[name] === "string" && request.query[name] !== "",
    );
    if (selectors.length !== 1) {
      throw new InvalidEvent("give exactly one of question_uuid, parent_question_uuid or originator_question_uuid", {
        pointer: "",
      });
    }
    const list = (name: string) =>
      typeof request.query[name] === "string" ? String(request.query[name]).split(",").filter(Boolean) : undefined;
    const kinds = list("kinds");
    const excludeKinds = list("exclude_kinds");
    const events = await questions.events({
      ...stringParameter(request, "question_uuid", (value) => ({ questionUuid: value })),
      ...stringParameter(request, "parent_question_uuid", (value) => ({ parentQuestionUuid: value })),
      ...stringParameter(request, "originator_question_uuid", (value) => ({ originatorQuestionUuid: value })),
      ...definedProperties({ kinds, excludeKinds }),
      ...limitParameter(request),
    });
    response.json({ events: await Promise.all(events.map((event) => eventJson(event, outputValues))) });
  });
  return router;
}

export function questionRoutes(
  intake: QuestionIntake,
  questions: QuestionStore,
  options: QuestionRoutesOptions = {},
): Router {
  const router = Router();

  router.post("/", async (request, response) => {
    const question = await intake.ask(request.body);
    response
      .status(202)
      .json({ question_uuid: question.questionUuid, recipient: question.recipient, status: question.status });
  });

  router.get("/", async (request, response) => {
    const filter = questionFilter(request, LIST_PARAMETERS);
    const cursor = singleParameter(request, "cursor");
    const { limit = DEFAULT_QUERY_LIMIT } = limitParameter(request);
    // One more than asked, to know whether another page follows.
    const listed = await storeQuery(() =>
      questions.list({ ...filter, limit: limit + 1, ...definedProperties({ afterQuestionUuid: cursor }) }),
    );
    const page = listed.slice(0, limit);
    response.json({
      questions: await Promise.all(page.map((question) => answeredJson(question, options))),
      next_cursor: listed.length > limit ? (page.at(-1)?.questionUuid ?? null) : null,
    });
  });

  // Before `/:uuid`, which would take "counts" for a question UUID.
  router.get("/counts", async (request, response) => {
    const counts = await storeQuery(() => questions.countByStatus(questionFilter(request, COUNT_PARAMETERS)));
    const total = Object.values(counts).reduce((sum, count) => sum + count, 0);
    response.json({ counts, total });
  });

  router.get("/:uuid", async (request, response) => {
    response.json(await answeredJson(await existing(questions, request.params.uuid), options));
  });

  router.post("/:uuid/cancel", async (request, response) => {
    const reason = typeof request.body?.reason === "string" ? request.body.reason : "cancelled through the API";
    response.status(202).json(toJson(await intake.cancel(request.params.uuid, reason)));
  });

  // What a job reads when it starts (`twined service answer --question-uuid`): the question as it was asked, and
  // whether it has ended already (then the job has nothing to do).
  router.get("/:uuid/question", async (request, response) => {
    const question = await existing(questions, request.params.uuid);
    response.json({ event: question.question, attributes: question.attributes, status: question.status });
  });

  // Where a job that reaches its network over HTTP sends its events, one request each, in order.
  router.post("/:uuid/events", async (request, response) => {
    const questionUuid = request.params.uuid;
    const envelope = validateEvent(request.body);
    if (envelope.attributes.sender_type !== "CHILD") {
      throw new InvalidEvent(
        `only a service's response events (sender_type "CHILD") can be sent to a question; this is a ${JSON.stringify(envelope.event.kind)} event from a ${envelope.attributes.sender_type}`,
        { pointer: "/attributes/sender_type", questionUuid },
      );
    }
    if (envelope.attributes.question_uuid !== questionUuid) {
      throw new InvalidEvent(
        `the event answers question ${envelope.attributes.question_uuid} but was sent to question ${questionUuid}; post it to /questions/${envelope.attributes.question_uuid}/events`,
        { pointer: "/attributes/question_uuid", questionUuid },
      );
    }
    await existing(questions, questionUuid);
    if (options.publishEvent === undefined) {
      response.status(501).json({
        error: {
          type: "NotImplemented",
          message:
            "this network takes job events on Pub/Sub (the services topic), not over HTTP; publish them there instead",
          details: { question_uuid: questionUuid },
        },
      });
      return;
    }
    await options.publishEvent(envelope as ChildEventEnvelope);
    response.status(202).json({ accepted: true });
  });

  router.get("/:uuid/events", async (request, response) => {
    const questionUuid = request.params.uuid;
    await existing(questions, questionUuid);
    const kinds = typeof request.query.kinds === "string" ? request.query.kinds.split(",").filter(Boolean) : undefined;
    const after = Number(request.query.after ?? request.header("last-event-id") ?? 0);
    if (!Number.isInteger(after) || after < 0) {
      throw new InvalidEvent("'after' must be a whole number (an event sequence number)", { pointer: "/after" });
    }
    if (
      !request.accepts("text/event-stream") ||
      request.accepts(["application/json", "text/event-stream"]) !== "text/event-stream"
    ) {
      const events = await questions.events({
        questionUuid,
        afterSequence: after,
        ...definedProperties({ kinds }),
      });
      response.json({ events: await Promise.all(events.map((event) => eventJson(event, options.outputValues))) });
      return;
    }
    await streamEvents(request, response, questions, questionUuid, after, kinds, options);
  });

  return router;
}

/**
 * Sends events as Server-Sent Events in their question's order, and ends the stream after the question's final
 * event. An event numbered past one still missing is held back until the missing one arrives, or for
 * `gapWaitMs` at most.
 */
async function streamEvents(
  request: Request,
  response: Response,
  questions: QuestionStore,
  questionUuid: string,
  after: number,
  kinds: readonly string[] | undefined,
  options: QuestionRoutesOptions,
): Promise<void> {
  const pollIntervalMs = options.pollIntervalMs ?? 200;
  response.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    connection: "keep-alive",
  });
  let closed = false;
  request.on("close", () => {
    closed = true;
  });
  let last = after;
  const send = async (event: StoredEvent): Promise<boolean> => {
    last = event.sequence;
    const final = isFinal(event);
    // A question ends with the final event that arrived first (the one its status records), wherever another
    // sender's final event is placed: the network's word that it cancelled a question comes before the job's own.
    const shown = final ? await firstArrivedFinal(questions, questionUuid, event) : event;
    if (kinds === undefined || kinds.includes(shown.envelope.event.kind)) {
      const json = await eventJson(shown, options.outputValues);
      response.write(`id: ${event.sequence}\nevent: ${shown.envelope.event.kind}\ndata: ${JSON.stringify(json)}\n\n`);
    }
    return final;
  };
  const gapWaitMs = options.gapWaitMs ?? GAP_WAIT_MS;
  let gapSince: number | undefined;
  /** Whether `event` is numbered past one that has not arrived yet, and may still. */
  const behindGap = (event: StoredEvent): boolean => {
    if (!isSenderOrdered(event.sequence) || event.sequence <= last + 1) return false;
    gapSince ??= Date.now();
    return Date.now() - gapSince < gapWaitMs;
  };

  let terminalSince: number | undefined;
  let lastStatus: string | undefined;
  try {
    await followQuestion();
  } catch (error) {
    // The stream has started, so there is no status left to answer with: end it, and the client resumes from its
    // last event id. Only a stream nobody reads any more (the server shutting down) ends silently.
    if (!closed) {
      processLogger().error(`event stream of ${questionUuid} failed: ${String(error)}`, {
        labels: { question_uuid: questionUuid },
      });
    }
  }
  if (!response.writableEnded) response.end();

  async function followQuestion(): Promise<void> {
    while (!closed) {
      for (const event of await questions.events({ questionUuid, afterSequence: last })) {
        if (behindGap(event)) break;
        gapSince = undefined;
        if (await send(event)) return;
      }
      const question = await questions.get(questionUuid);
      // Status changes (queued, running…) go out without an id, so a client resuming with Last-Event-ID is unaffected.
      if (question !== undefined && question.status !== lastStatus) {
        lastStatus = question.status;
        const at = question.statusTimes[question.status] ?? question.updatedAt;
        response.write(`event: status\ndata: ${JSON.stringify({ status: question.status, at })}\n\n`);
      }
      // The control plane records a question's end before the `exception` event it sends about it arrives, so give
      // that event a moment; a question whose final event never comes still ends the stream.
      if (question !== undefined && isTerminal(question.status)) {
        terminalSince ??= Date.now();
        if (Date.now() - terminalSince > FINAL_EVENT_GRACE_MS) {
          // What is still held back behind a gap will not be completed now: send it as it is.
          for (const event of await questions.events({ questionUuid, afterSequence: last })) {
            if (await send(event)) return;
          }
          return;
        }
      }
      await (options.changes?.next(questionUuid, pollIntervalMs) ??
        new Promise((resolve) => setTimeout(resolve, pollIntervalMs)));
    }
  }
}

function isFinal(event: StoredEvent): boolean {
  return event.envelope.event.kind === "result" || event.envelope.event.kind === "exception";
}

/** Of a question's final events, the one recorded first (ties: the earlier placed); `found` when it is alone. */
async function firstArrivedFinal(questions: QuestionStore, questionUuid: string, found: StoredEvent) {
  const finals = await questions.events({ questionUuid, kinds: ["result", "exception"] });
  return finals.reduce(
    (first, candidate) =>
      candidate.recordedAt < first.recordedAt ||
      (candidate.recordedAt === first.recordedAt && candidate.sequence < first.sequence)
        ? candidate
        : first,
    found,
  );
}

async function existing(questions: QuestionStore, questionUuid: string): Promise<QuestionRecord> {
  const question = await questions.get(questionUuid);
  if (question === undefined) throw new QuestionNotFound(questionUuid);
  return question;
}

function stringParameter<T>(request: Request, name: string, make: (value: string) => T): T | Record<string, never> {
  const value = request.query[name];
  return typeof value === "string" && value !== "" ? make(value) : {};
}

/** The most questions or events one request may ask for; page through more. */
const MAX_LIMIT = 10_000;

function limitParameter(request: Request): { limit?: number } {
  if (request.query.limit === undefined) return {};
  const limit = Number(request.query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
    throw new InvalidEvent(`'limit' must be a whole number from 1 to ${MAX_LIMIT}`, { pointer: "/limit" });
  }
  return { limit };
}

/** What `GET /questions/counts` takes: the list's filters. */
const COUNT_PARAMETERS = [
  "parent_question_uuid",
  "originator_question_uuid",
  "recipient",
  "status",
  "top_level",
  "created_from",
  "created_before",
] as const;

/** What `GET /questions` takes: the filters, a page size and where the page starts. */
const LIST_PARAMETERS = [...COUNT_PARAMETERS, "limit", "cursor"] as const;

/** The store's query fields, as the parameters that set them. */
const PARAMETER_OF_FIELD: Readonly<Record<string, string>> = {
  parentQuestionUuid: "parent_question_uuid",
  originatorQuestionUuid: "originator_question_uuid",
  topLevel: "top_level",
  createdFrom: "created_from",
  createdBefore: "created_before",
  afterQuestionUuid: "cursor",
  limit: "limit",
};

/**
 * The filter a list or count request gives, each parameter checked.
 * @throws InvalidEvent (400) for an unknown or repeated parameter, an unknown status, `top_level` other than
 *   true/false, or a time that is not ISO-8601.
 */
function questionFilter(request: Request, allowed: readonly string[]): QuestionFilter {
  for (const name of Object.keys(request.query)) {
    if (!allowed.includes(name)) {
      throw new InvalidEvent(`unknown query parameter '${name}'; this route takes ${allowed.join(", ")}`, {
        pointer: `/${name}`,
      });
    }
    singleParameter(request, name);
  }
  const topLevel = singleParameter(request, "top_level");
  if (topLevel !== undefined && topLevel !== "true" && topLevel !== "false") {
    throw new InvalidEvent(`'top_level' must be true or false, got '${topLevel}'`, { pointer: "/top_level" });
  }
  const filter: QuestionFilter = {
    ...stringParameter(request, "parent_question_uuid", (value) => ({ parentQuestionUuid: value })),
    ...stringParameter(request, "originator_question_uuid", (value) => ({ originatorQuestionUuid: value })),
    ...stringParameter(request, "recipient", (value) => ({ recipient: value })),
    ...stringParameter(request, "status", (value) => {
      if (!isQuestionStatus(value)) {
        throw new InvalidEvent(`unknown status '${value}'; give one of ${QUESTION_STATUSES.join(", ")}`, {
          pointer: "/status",
        });
      }
      return { status: value };
    }),
    ...stringParameter(request, "created_from", (value) => ({ createdFrom: value })),
    ...stringParameter(request, "created_before", (value) => ({ createdBefore: value })),
    ...(topLevel === "true" ? { topLevel: true } : {}),
  };
  return storeQuery(() => checkedQuestionFilter(filter));
}

/** A query parameter given at most once, or undefined when absent or empty. */
function singleParameter(request: Request, name: string): string | undefined {
  const value = request.query[name];
  if (value === undefined || value === "") return undefined;
  if (typeof value !== "string") {
    throw new InvalidEvent(`give '${name}' once, as a plain value`, { pointer: `/${name}` });
  }
  return value;
}

/** Runs a store query, answering a query the store refuses as a 400 naming the request's parameter. */
function storeQuery<T>(query: () => T): T {
  const refused = (error: unknown): never => {
    if (error instanceof InvalidStoreQuery) {
      const parameter = PARAMETER_OF_FIELD[error.field] ?? error.field;
      throw new InvalidEvent(error.message.replace(`(${error.field})`, `('${parameter}')`), {
        pointer: `/${parameter}`,
      });
    }
    throw error;
  };
  try {
    const result = query();
    return (result instanceof Promise ? result.catch(refused) : result) as T;
  } catch (error) {
    return refused(error);
  }
}

async function eventJson(event: StoredEvent, outputValues: OutputValuesReader | undefined) {
  const envelope =
    event.envelope.event.kind === "result"
      ? { ...event.envelope, event: await withOutputValues(event.envelope.event, outputValues) }
      : event.envelope;
  return { sequence: event.sequence, recorded_at: event.recordedAt, ...envelope };
}

/** A question as the API shows it, with an answer's output values fetched when they were kept in storage. */
async function answeredJson(question: QuestionRecord, options: QuestionRoutesOptions) {
  const json = toJson(question);
  if (json.answer === undefined) return json;
  return { ...json, answer: await withOutputValues(json.answer, options.outputValues) };
}

/** A question as the API shows it. */
export function toJson(question: QuestionRecord) {
  return {
    question_uuid: question.questionUuid,
    recipient: question.recipient,
    sender: question.sender,
    originator: question.attributes.originator,
    retry_count: question.attributes.retry_count,
    parent_question_uuid: question.parentQuestionUuid ?? null,
    originator_question_uuid: question.originatorQuestionUuid,
    status: question.status,
    priority: question.priority,
    resources: question.resources,
    created_at: question.createdAt,
    updated_at: question.updatedAt,
    status_times: question.statusTimes,
    ...definedProperties({ trace_id: question.traceId, answer: question.answer, error: question.error }),
  };
}
