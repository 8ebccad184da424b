import {
  type Attributes,
  type Context,
  context,
  isSpanContextValid,
  type Span,
  type SpanContext,
  type SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from "@opentelemetry/api";

/**
 * The message attribute that carries a trace context through Pub/Sub: what `@google-cloud/pubsub` 5 writes and reads
 * with `enableOpenTelemetryTracing`, so that the client's own spans join the same trace. Octue ignores it (it reads
 * only the attributes it defines), and so does our attribute parsing.
 */
export const TRACE_ATTRIBUTE = "googclient_traceparent";
/** The W3C header of an HTTP request or response. */
export const TRACEPARENT_HEADER = "traceparent";
/** The OpenTelemetry convention for handing a trace context to another process: the job's environment. */
export const TRACEPARENT_ENVIRONMENT = "TRACEPARENT";

const TRACER_NAME = "twined";
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The tracer of every Twined span: a no-op until a tracer provider is registered (`platform/tracing.ts`). */
export function twinedTracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** `00-<trace id>-<span id>-<flags>`, the W3C form. */
export function formatTraceparent(spanContext: SpanContext): string {
  return `00-${spanContext.traceId}-${spanContext.spanId}-${spanContext.traceFlags.toString(16).padStart(2, "0")}`;
}

/** The span context a W3C `traceparent` names (remote), or undefined for anything else. */
export function parseTraceparent(text: string | undefined): SpanContext | undefined {
  const match = TRACEPARENT.exec(text?.trim().toLowerCase() ?? "");
  if (match === null) return undefined;
  const [, traceId = "", spanId = "", flags = "00"] = match;
  const spanContext: SpanContext = { traceId, spanId, traceFlags: Number.parseInt(flags, 16), isRemote: true };
  return isSpanContextValid(spanContext) ? spanContext : undefined;
}

/**
 * The active context's `traceparent`, or undefined when there is none. Done here rather than through the global
 * propagator so that it works in a process without an SDK too (a job passes its network's context on to its children
 * whether or not it exports spans itself).
 */
export function activeTraceparent(from: Context = context.active()): string | undefined {
  const spanContext = trace.getSpanContext(from);
  return spanContext !== undefined && isSpanContextValid(spanContext) ? formatTraceparent(spanContext) : undefined;
}

/** `base` with the span context `traceparent` names as its parent; `base` itself when it names none. */
export function contextFromTraceparent(traceparent: string | undefined, base: Context = context.active()): Context {
  const spanContext = parseTraceparent(traceparent);
  return spanContext === undefined ? base : trace.setSpanContext(base, spanContext);
}

/** The trace context a message's attributes carry (`googclient_traceparent`), over `base`. */
export function contextFromAttributes(
  attributes: Readonly<Record<string, string>> | undefined,
  base: Context = context.active(),
): Context {
  return contextFromTraceparent(attributes?.[TRACE_ATTRIBUTE], base);
}

/**
 * The attributes with the active trace context added as `googclient_traceparent`, unless they already carry one (a
 * replayed dead letter keeps its own) or there is no active context. Returns the same object when nothing is added.
 */
export function withTraceAttribute<A extends object>(attributes: A): A {
  if ((attributes as Readonly<Record<string, unknown>>)[TRACE_ATTRIBUTE] !== undefined) return attributes;
  const traceparent = activeTraceparent();
  return traceparent === undefined ? attributes : { ...attributes, [TRACE_ATTRIBUTE]: traceparent };
}

/** The trace ID a message's attributes carry, for showing with a question (a dashboard, a log line). */
export function traceIdOf(attributes: Readonly<Record<string, string>> | undefined): string | undefined {
  return parseTraceparent(attributes?.[TRACE_ATTRIBUTE])?.traceId;
}

export interface SpanOptions {
  readonly kind?: SpanKind;
  readonly attributes?: Attributes;
  /** The parent; default the active context. */
  readonly parent?: Context;
}

/**
 * Runs `work` in a new span, active while it runs (so what it publishes, asks or logs carries the trace), and ends
 * the span when it settles; a rejection marks the span as failed and is passed on.
 */
export async function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = twinedTracer().startSpan(
    name,
    { ...(options.kind === undefined ? {} : { kind: options.kind }), attributes: options.attributes ?? {} },
    parent,
  );
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    failSpan(span, error);
    throw error;
  } finally {
    span.end();
  }
}

/** Records an error on a span and marks it failed. */
export function failSpan(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error);
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  });
}

/** Span attribute names of ours; the rest follow OpenTelemetry's semantic conventions. */
export const SPAN_ATTRIBUTES = {
  questionUuid: "twined.question_uuid",
  parentQuestionUuid: "twined.parent_question_uuid",
  recipient: "twined.recipient",
  eventKind: "twined.event_kind",
} as const;

/** What a span about a message says: which question, which topic, which message. */
export function messageSpanAttributes(
  message: { readonly id?: string; readonly attributes: Readonly<Record<string, string>> },
  destination: string | undefined,
): Attributes {
  const attributes: Attributes = { "messaging.system": "gcp_pubsub" };
  if (destination !== undefined) attributes["messaging.destination.name"] = destination;
  if (message.id !== undefined && message.id !== "") attributes["messaging.message.id"] = message.id;
  const questionUuid = message.attributes.question_uuid;
  if (questionUuid !== undefined) attributes[SPAN_ATTRIBUTES.questionUuid] = questionUuid;
  const parentQuestionUuid = message.attributes.parent_question_uuid;
  if (parentQuestionUuid !== undefined) attributes[SPAN_ATTRIBUTES.parentQuestionUuid] = parentQuestionUuid;
  return attributes;
}

/** What a job's spans say: which question, for which service revision. */
export function jobSpanAttributes(spec: {
  readonly question: {
    readonly attributes: { readonly question_uuid: string; readonly parent_question_uuid?: string };
  };
  readonly revision: { readonly sruid: string };
}): Attributes {
  const attributes: Attributes = {
    [SPAN_ATTRIBUTES.questionUuid]: spec.question.attributes.question_uuid,
    [SPAN_ATTRIBUTES.recipient]: spec.revision.sruid,
  };
  const parent = spec.question.attributes.parent_question_uuid;
  if (parent !== undefined) attributes[SPAN_ATTRIBUTES.parentQuestionUuid] = parent;
  return attributes;
}
