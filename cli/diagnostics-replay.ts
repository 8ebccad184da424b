import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { EmulatedChildAsker } from "../runtime/children/emulated-child-asker.js";
import type { LoadedServiceConfiguration } from "../shared/config/index.js";
import { DIAGNOSTICS_FILES, type DiagnosticsSummary, withAbsoluteLocalPaths } from "../shared/datasets/index.js";
import { displayPath } from "../shared/display-path.js";
import { DiagnosticsNotFound, InvalidDiagnostics } from "../shared/errors/index.js";
import { isServiceRevisionId, parseServiceId } from "../shared/identity/index.js";
import { isPlainObject, parseJson } from "../shared/json/index.js";
import { definedProperties } from "../shared/objects/index.js";

/** What a replay needs of `diagnostics.json`. */
export type RecordedSummary = Pick<
  DiagnosticsSummary,
  "question_uuid" | "service" | "outcome" | "exception_type" | "exception_message"
>;

/** A crashed question as its diagnostics recorded it; each datum undefined when the question had none. */
export interface RecordedQuestion {
  /** The folder holding `diagnostics.json`. */
  readonly folder: string;
  readonly summary: RecordedSummary;
  readonly configurationValues: unknown;
  readonly configurationManifest: unknown;
  readonly inputValues: unknown;
  readonly inputManifest: unknown;
  /** Answers the app's child questions with the recorded answers, in the order they were asked. */
  readonly childAsker: EmulatedChildAsker;
}

/**
 * Reads a question's crash diagnostics from `directory` (or its one subfolder holding them, as `twined question
 * diagnostics UUID -o DIR` lays them out), every file parsed before anything runs.
 * @throws DiagnosticsNotFound, InvalidDiagnostics, JsonSyntaxError, InvalidChildrenEmulators
 */
export function readRecordedQuestion(directory: string): RecordedQuestion {
  const folder = diagnosticsFolder(path.resolve(directory));
  const read = (name: string) => readOptionalJson(path.join(folder, name));
  const questionsFile = path.join(folder, DIAGNOSTICS_FILES.questions);
  return {
    folder,
    summary: summaryFrom(path.join(folder, DIAGNOSTICS_FILES.summary)),
    configurationValues: read(DIAGNOSTICS_FILES.configurationValues),
    configurationManifest: withAbsoluteLocalPaths(read(DIAGNOSTICS_FILES.configurationManifest), folder),
    inputValues: read(DIAGNOSTICS_FILES.inputValues),
    inputManifest: withAbsoluteLocalPaths(read(DIAGNOSTICS_FILES.inputManifest), folder),
    // No questions.json means no child was asked: any ask in the replay is then a divergence.
    childAsker: EmulatedChildAsker.fromRecordedQuestions(readOptionalJson(questionsFile) ?? [], questionsFile),
  };
}

/**
 * The service configuration with the recorded question's configuration in place of its own, so the replay runs the
 * question as it was configured then. A part without a recorded file keeps the service's own: the question had none
 * (and the service most likely still has none), or it failed to save.
 */
export function withRecordedConfiguration(
  loaded: LoadedServiceConfiguration,
  recorded: RecordedQuestion,
): LoadedServiceConfiguration {
  const { configuration } = loaded;
  const inline = (value: unknown) => ({ kind: "inline" as const, value });
  return {
    ...loaded,
    configuration: {
      ...configuration,
      configurationValues:
        recorded.configurationValues === undefined
          ? configuration.configurationValues
          : inline(recorded.configurationValues),
      configurationManifest:
        recorded.configurationManifest === undefined
          ? configuration.configurationManifest
          : inline(recorded.configurationManifest),
    },
  };
}

/**
 * The recorded service's revision tag when it is this same service, so that exception messages (which name the
 * service revision) come out as they were recorded; undefined otherwise.
 */
export function recordedRevisionTag(
  recorded: RecordedQuestion,
  loaded: LoadedServiceConfiguration,
): string | undefined {
  if (!isServiceRevisionId(recorded.summary.service)) return undefined;
  const service = parseServiceId(recorded.summary.service, { requireRevisionTag: true });
  const same = service.namespace === loaded.configuration.namespace && service.name === loaded.configuration.name;
  return same ? service.revisionTag : undefined;
}

/** One line saying what is being replayed, and how it ended when it was recorded. */
export function replayHeadline(recorded: RecordedQuestion): string {
  const { summary } = recorded;
  return `Replaying question ${summary.question_uuid} of ${summary.service} from ${displayPath(recorded.folder)} (${recordedEnding(summary)})`;
}

function recordedEnding(summary: RecordedSummary): string {
  if (summary.outcome === "result") return "answered with a result";
  const type = summary.exception_type ?? "an exception";
  const message = summary.exception_message?.split("\n")[0];
  return message === undefined || message === "" ? `failed with ${type}` : `failed with ${type}: ${message}`;
}

/** `directory` if it holds `diagnostics.json`, else its one subfolder that does. */
function diagnosticsFolder(directory: string): string {
  const stats = statSync(directory, { throwIfNoEntry: false });
  if (stats === undefined) throw new DiagnosticsNotFound(directory, "there is no such folder");
  if (!stats.isDirectory()) throw new DiagnosticsNotFound(directory, "this is a file, not a folder");
  if (holdsSummary(directory)) return directory;
  const found = readdirSync(directory, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && holdsSummary(path.join(directory, entry.name)))
    .map((entry) => entry.name)
    .sort();
  const [only] = found;
  if (found.length === 1 && only !== undefined) return path.join(directory, only);
  throw new DiagnosticsNotFound(
    directory,
    found.length === 0
      ? `there is no ${DIAGNOSTICS_FILES.summary} in this folder, nor in any folder in it`
      : `this folder holds the diagnostics of ${found.length} questions (${found.join(", ")}), not one`,
  );
}

function holdsSummary(folder: string): boolean {
  return statSync(path.join(folder, DIAGNOSTICS_FILES.summary), { throwIfNoEntry: false })?.isFile() === true;
}

function summaryFrom(file: string): RecordedSummary {
  const summary = readOptionalJson(file);
  if (!isPlainObject(summary)) {
    throw new InvalidDiagnostics(file, "the diagnostics summary must be a JSON object, as Twined's runner saves it");
  }
  const text = (key: string) => {
    const value = summary[key];
    return typeof value === "string" ? value : undefined;
  };
  const required = (key: "question_uuid" | "service") => {
    const value = text(key);
    if (value === undefined) {
      throw new InvalidDiagnostics(file, `the diagnostics summary has no string "${key}" (at /${key})`, `/${key}`);
    }
    return value;
  };
  return {
    question_uuid: required("question_uuid"),
    service: required("service"),
    outcome: summary.outcome === "result" ? "result" : "exception",
    ...definedProperties({ exception_type: text("exception_type"), exception_message: text("exception_message") }),
  };
}

/** A diagnostics file's JSON, or undefined when the question had none (the file is then not saved). */
function readOptionalJson(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new InvalidDiagnostics(file, `cannot be read: ${(error as Error).message}`);
  }
  return parseJson(text, { origin: file });
}
