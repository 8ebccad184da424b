import { context, propagation, trace } from "@opentelemetry/api";
import type { SpanExporter, SpanProcessor } from "@opentelemetry/sdk-trace-base";

/**
 * Where a process's spans go, from its environment:
 *
 * - `TWINED_TRACE_EXPORTER=cloud-trace`: Cloud Trace, in `GOOGLE_CLOUD_PROJECT` (the functions and cloud jobs; needs
 *   credentials and the network, so it is never the default).
 * - `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`): an OpenTelemetry collector over OTLP/HTTP,
 *   configured by the exporter's own `OTEL_EXPORTER_OTLP_*` variables. `TWINED_TRACE_EXPORTER=otlp` asks for it with
 *   the exporter's default address.
 * - Neither (the default), or `TWINED_TRACE_EXPORTER=none`: nowhere; no SDK is loaded and every span is a no-op.
 */
export type TraceExporterKind = "cloud-trace" | "otlp";

export interface TracingSettings {
  /** `service.name` of the spans: which part of Twined made them. */
  readonly serviceName: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Processors to use instead of the environment's exporters (tests: an in-memory exporter). */
  readonly spanProcessors?: readonly SpanProcessor[];
  /** Told about a setting it cannot use. */
  readonly onWarning?: (warning: string) => void;
}

/** A process's tracing, once started. */
export interface Tracing {
  /** The exporters in use; empty when tracing is off. */
  readonly exporters: readonly TraceExporterKind[];
  /** Sends the spans ended so far (a function does before answering its delivery: its CPU may stop after). */
  flush(): Promise<void>;
  /** Flushes and stops tracing, unregistering it, so that it can be started again. */
  shutdown(): Promise<void>;
}

const OFF: Tracing = {
  exporters: [],
  flush: async () => {},
  shutdown: async () => {
    current = undefined;
  },
};
let current: Promise<Tracing> | undefined;

/** The exporters the environment asks for (see `TraceExporterKind`). */
export function traceExportersFrom(
  env: Readonly<Record<string, string | undefined>>,
  onWarning: (warning: string) => void = () => {},
): TraceExporterKind[] {
  const exporters = new Set<TraceExporterKind>();
  for (const name of (env.TWINED_TRACE_EXPORTER ?? "").split(",").map((each) => each.trim().toLowerCase())) {
    if (name === "" || name === "none") continue;
    if (name === "cloud-trace") {
      if ((env.GOOGLE_CLOUD_PROJECT ?? "") === "") {
        onWarning("TWINED_TRACE_EXPORTER=cloud-trace needs GOOGLE_CLOUD_PROJECT, which is not set: no trace is sent");
      } else exporters.add("cloud-trace");
    } else if (name === "otlp") exporters.add("otlp");
    else onWarning(`TWINED_TRACE_EXPORTER=${name} is not an exporter: use cloud-trace, otlp or none`);
  }
  if ((env.OTEL_EXPORTER_OTLP_ENDPOINT ?? "") !== "" || (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? "") !== "") {
    exporters.add("otlp");
  }
  return [...exporters];
}

/**
 * Registers the OpenTelemetry SDK for this process, once (later calls get the same tracing), if the environment names
 * an exporter or processors are given; otherwise loads nothing, so that a process without tracing starts as quickly
 * as before. Spans (`shared/tracing`) made before it resolves are no-ops.
 */
export function startTracing(settings: TracingSettings): Promise<Tracing> {
  current ??= begin(settings).catch((error: unknown) => {
    settings.onWarning?.(`tracing is off: ${error instanceof Error ? error.message : String(error)}`);
    return OFF;
  });
  return current;
}

/** Sends the spans ended so far, if tracing was started. */
export async function flushTraces(): Promise<void> {
  await (await current)?.flush();
}

async function begin(settings: TracingSettings): Promise<Tracing> {
  const env = settings.env ?? process.env;
  const exporters = settings.spanProcessors === undefined ? traceExportersFrom(env, settings.onWarning) : [];
  if (settings.spanProcessors === undefined && exporters.length === 0) return OFF;
  const [{ NodeTracerProvider }, { BatchSpanProcessor }, { resourceFromAttributes }] = await Promise.all([
    import("@opentelemetry/sdk-trace-node"),
    import("@opentelemetry/sdk-trace-base"),
    import("@opentelemetry/resources"),
  ]);
  const spanProcessors =
    settings.spanProcessors ??
    (await Promise.all(exporters.map((kind) => exporter(kind, env)))).map(
      (spanExporter) => new BatchSpanProcessor(spanExporter),
    );
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ "service.name": settings.serviceName }),
    spanProcessors: [...spanProcessors],
  });
  // The AsyncLocalStorage context manager (spans stay active across awaits) and the W3C propagator.
  provider.register();
  return {
    exporters,
    flush: () => provider.forceFlush(),
    async shutdown() {
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      current = undefined;
    },
  };
}

async function exporter(kind: TraceExporterKind, env: Readonly<Record<string, string | undefined>>) {
  if (kind === "cloud-trace") {
    const { TraceExporter } = await import("@google-cloud/opentelemetry-cloud-trace-exporter");
    return new TraceExporter({ projectId: env.GOOGLE_CLOUD_PROJECT }) as SpanExporter;
  }
  const { OTLPTraceExporter } = await import("@opentelemetry/exporter-trace-otlp-http");
  // Named here because `env` need not be this process's; the exporter reads its other settings from the process.
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? "";
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT ?? "";
  const url = traces !== "" ? traces : base !== "" ? `${base.replace(/\/+$/, "")}/v1/traces` : undefined;
  return new OTLPTraceExporter(url === undefined ? {} : { url }) as SpanExporter;
}
