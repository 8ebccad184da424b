import { type Context, context, ROOT_CONTEXT, trace } from "@opentelemetry/api";
import { contextFromTraceparent } from "../../shared/tracing/index.js";

/**
 * The trace context a runner answers in: the active one when its launcher runs it in the network's process (the job's
 * span), else the one its launcher handed over in `TRACEPARENT` (a job in a process or pod of its own).
 *
 * A process of its own may have no OpenTelemetry SDK (nothing to export to): the context must still reach the child
 * questions its app asks, so a context manager is registered if none is, or `context.with` would keep nothing.
 */
export async function jobTraceContext(env: Readonly<Record<string, string | undefined>>): Promise<Context> {
  const active = context.active();
  if (trace.getSpanContext(active) !== undefined) return active;
  const handed = contextFromTraceparent(env.TRACEPARENT, active);
  if (handed !== active && !keepsContext()) {
    const { AsyncLocalStorageContextManager } = await import("@opentelemetry/context-async-hooks");
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  }
  return handed;
}

/** Whether a context manager is registered: without one, `context.with` runs its function in the root context. */
function keepsContext(): boolean {
  const probe = ROOT_CONTEXT.setValue(Symbol("probe"), true);
  return context.with(probe, () => context.active() === probe);
}
