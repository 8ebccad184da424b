import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseServiceConfiguration, type ServiceConfiguration } from "../../shared/config/index.js";
import type { ChildEventEnvelope, ParentEventEnvelope, QuestionEvent } from "../../shared/events/index.js";
import { createQuestionAttributes } from "../../shared/events/index.js";
import type { EventSink } from "../../shared/ports/index.js";

/** A throw-away service folder: octue.yaml (with `extraYaml`), twine.json and app.py. */
export function makeService(options: {
  app: string;
  twine: object;
  extraYaml?: string;
  files?: Record<string, string>;
}): {
  directory: string;
  configuration: ServiceConfiguration;
} {
  const directory = mkdtempSync(path.join(tmpdir(), "twined-runtime-"));
  const yaml = `services:\n  - namespace: testing\n    name: svc\n${options.extraYaml ?? ""}`;
  writeFileSync(path.join(directory, "octue.yaml"), yaml);
  writeFileSync(path.join(directory, "twine.json"), JSON.stringify(options.twine));
  writeFileSync(path.join(directory, "app.py"), options.app);
  for (const [name, text] of Object.entries(options.files ?? {})) {
    mkdirSync(path.dirname(path.join(directory, name)), { recursive: true });
    writeFileSync(path.join(directory, name), text);
  }
  const { configuration } = parseServiceConfiguration(yaml, path.join(directory, "octue.yaml"));
  return { directory, configuration };
}

export const SERVICE_SRUID = "testing/svc:1.0.0";

export function question(
  event: Omit<QuestionEvent, "kind"> = {},
  forwardLogs = true,
): ParentEventEnvelope<QuestionEvent> {
  return {
    event: { kind: "question", ...event },
    attributes: createQuestionAttributes({ sender: "local/local:local", recipient: SERVICE_SRUID, forwardLogs }),
  };
}

/** Keeps every event it is given, in order. */
export class RecordingSink implements EventSink {
  readonly events: ChildEventEnvelope[] = [];
  async emit(envelope: ChildEventEnvelope): Promise<void> {
    this.events.push(envelope);
  }
  kinds(): string[] {
    return this.events.map((envelope) => envelope.event.kind);
  }
}
