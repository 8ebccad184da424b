import type { IncomingMessage, ServerResponse } from "node:http";
import { context, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { activeTraceparent, contextFromTraceparent, TRACEPARENT_HEADER, twinedTracer } from "./trace-context.js";

/** Requests that start a span of their own: asking a question (the intake). Others only pass the context on. */
const SPANNED = [{ method: "POST", path: /^\/questions\/?$/, name: "question-intake POST /questions" }];

/**
 * Express-style middleware (mount it before the body parsers) that takes the caller's trace context from the
 * `traceparent` header: `POST /questions` gets a server span, child of the caller's (a job asking a child joins its
 * tree's trace); every other request runs in the caller's context, so what it publishes (a job's events posted over
 * HTTP) carries it. The response's `traceparent` names the request's span, so an asker can find the trace.
 */
export function traceHttpRequests(): (request: IncomingMessage, response: ServerResponse, next: () => void) => void {
  return (request, response, next) => {
    const header = request.headers[TRACEPARENT_HEADER];
    let active = contextFromTraceparent(Array.isArray(header) ? header[0] : header, context.active());
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    const spanned = SPANNED.find((entry) => entry.method === request.method && entry.path.test(path));
    if (spanned !== undefined) {
      const span = twinedTracer().startSpan(
        spanned.name,
        { kind: SpanKind.SERVER, attributes: { "http.request.method": request.method ?? "", "url.path": path } },
        active,
      );
      active = trace.setSpan(active, span);
      response.once("close", () => {
        span.setAttribute("http.response.status_code", response.statusCode);
        if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      });
    }
    const traceparent = activeTraceparent(active);
    if (traceparent !== undefined) response.setHeader(TRACEPARENT_HEADER, traceparent);
    // The body arrives in later events of the request: bound, its listeners (the body parser's) run in the context.
    context.bind(active, request);
    context.bind(active, response);
    context.with(active, next);
  };
}
