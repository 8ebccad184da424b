import pc from "picocolors";
import type { ChildEventEnvelope, LogRecord } from "../shared/events/index.js";
import type { EventSink } from "../shared/ports/index.js";

const LEVEL_COLOURS: Record<string, (text: string) => string> = {
  DEBUG: pc.dim,
  INFO: pc.cyan,
  WARNING: pc.yellow,
  ERROR: pc.red,
  CRITICAL: (text) => pc.bold(pc.red(text)),
};

/**
 * Shows a question's progress on a terminal: log records and monitor messages as coloured lines prefixed with the
 * service and question, or, with `json`, each event as one JSON line. Colour follows NO_COLOR / FORCE_COLOR and
 * whether the stream is a terminal.
 */
export class TerminalEventSink implements EventSink {
  constructor(
    private readonly stream: { write(text: string): unknown },
    private readonly options: { json: boolean },
  ) {}

  async emit(envelope: ChildEventEnvelope): Promise<void> {
    const { event, attributes } = envelope;
    if (event.kind === "result" || event.kind === "exception") return;
    if (this.options.json) {
      this.stream.write(`${JSON.stringify(envelope)}\n`);
      return;
    }
    const prefix = pc.dim(`[${attributes.sender} | ${attributes.question_uuid.slice(0, 8)}]`);
    switch (event.kind) {
      case "log_record":
        this.stream.write(`${prefix} ${formatLogRecord(event.log_record)}\n`);
        return;
      case "monitor_message":
        this.stream.write(`${prefix} ${pc.magenta("monitor")} ${JSON.stringify(event.data)}\n`);
        return;
      case "delivery_acknowledgement":
        this.stream.write(`${prefix} ${pc.dim("question received")}\n`);
        return;
      case "heartbeat":
        return;
    }
  }
}

function formatLogRecord(record: LogRecord): string {
  const level = record.levelname ?? "INFO";
  const colour = LEVEL_COLOURS[level] ?? ((text: string) => text);
  const logger = record.name === undefined ? "" : ` ${pc.dim(record.name)}`;
  const text = `${colour(level.padEnd(7))}${logger} ${record.msg ?? ""}`;
  return record.exc_text ? `${text}\n${pc.dim(record.exc_text)}` : text;
}
