import type { ChildEventEnvelope, SaveDiagnostics } from "../events/index.js";

/**
 * The files of a question's crash diagnostics, as Octue's `Diagnostics` saves them under
 * `<diagnostics location>/<question UUID>/` (and `twined question diagnostics` downloads them to `<dir>/<question UUID>/`):
 * each values and manifest file only when the question had one; each manifest's datasets copied beside it, under
 * `<strand>_datasets/<dataset key>/`, and named there (`gs://…` in storage, relative paths once downloaded).
 */
export const DIAGNOSTICS_FILES = {
  configurationValues: "configuration_values.json",
  configurationManifest: "configuration_manifest.json",
  inputValues: "input_values.json",
  inputManifest: "input_manifest.json",
  /** The questions the service asked its children, in the order it asked them, with every event of each answer. */
  questions: "questions.json",
  /** Twined's addition: the events the service itself sent (heartbeats left out), ending with its exception. */
  events: "events.json",
  /** Twined's addition: what the diagnostics are of (`DiagnosticsSummary`). */
  summary: "diagnostics.json",
} as const;

export type DiagnosticsManifestStrand = "configuration_manifest" | "input_manifest";

/** The folder a manifest's dataset copies are kept in, beside the manifest (Octue's name). */
export function diagnosticsDatasetsFolder(strand: DiagnosticsManifestStrand): string {
  return `${strand}_datasets`;
}

/**
 * One question a service asked a child, as Octue's runner records it in `questions.json`: the child's SRUID (`id`),
 * its key in the twine, what it was asked, and the events it answered with (`{event, attributes}`, its final
 * `result` or `exception` last), which Octue's `ChildEmulator` and `twined question ask-local --from-diagnostics` replay.
 */
export interface RecordedChildQuestion {
  readonly id: string;
  readonly key: string;
  /** Twined's addition: the child question's UUID, to find it on the network; null when it was never asked. */
  readonly question_uuid: string | null;
  readonly input_values: unknown;
  readonly input_manifest: unknown;
  readonly events: readonly ChildEventEnvelope[];
}

/** `diagnostics.json`: which question the diagnostics are of, and how it ended. */
export interface DiagnosticsSummary {
  readonly question_uuid: string;
  /** The SRUID of the service that answered. */
  readonly service: string;
  /** ISO 8601. */
  readonly saved_at: string;
  readonly save_diagnostics: SaveDiagnostics;
  readonly outcome: "result" | "exception";
  readonly exception_type?: string;
  readonly exception_message?: string;
  readonly twined_version: string;
}

/** What a question's diagnostics hold, as the runner recorded it. */
export interface QuestionDiagnostics {
  readonly summary: DiagnosticsSummary;
  readonly configurationValues: unknown;
  readonly configurationManifest: unknown;
  readonly inputValues: unknown;
  readonly inputManifest: unknown;
  readonly questions: readonly RecordedChildQuestion[];
  readonly events: readonly ChildEventEnvelope[];
}
