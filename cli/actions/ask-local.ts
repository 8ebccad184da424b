import { writeFileSync } from "node:fs";
import type { PrestartedHarness } from "../../runtime/runner/prestarted-harness.js";
import { type LoadedServiceConfiguration, loadServiceConfiguration } from "../../shared/config/index.js";
import {
  DiagnosticsNotFound,
  InvalidAskLocalOptions,
  ServiceConfigurationNotFound,
  TwinedError,
} from "../../shared/errors/index.js";
import { createQuestionAttributes } from "../../shared/events/index.js";
import { definedProperties } from "../../shared/objects/index.js";
import type { JsonSource } from "../../shared/twine/index.js";
import {
  type RecordedQuestion,
  readRecordedQuestion,
  recordedRevisionTag,
  replayHeadline,
  withRecordedConfiguration,
} from "../diagnostics-replay.js";
import { type CliOutput, describeError, EXIT } from "../output.js";
import { localIdentity, runServiceQuestion } from "../run-service-question.js";
import { TerminalEventSink } from "../terminal-event-sink.js";

/** The SRUID a local asker uses, as Octue's `Child` does by default. */
const LOCAL_ASKER_SRUID = "local/local:local";

export interface AskLocalOptions {
  inputValues?: JsonSource;
  inputManifest?: JsonSource;
  serviceConfig?: string;
  childrenEmulators?: string;
  json?: boolean;
  heartbeatInterval?: number;
  timeout?: number;
  revisionTag?: string;
  output?: string;
  /** Replay the crashed question whose diagnostics are in this folder. */
  fromDiagnostics?: string;
}

/**
 * Answers one question here. `prestarted` is the harness the command started while it loaded: one question per
 * process, so the interpreter is started as given (`python3`, `$TWINED_PYTHON`) rather than first asked what it runs.
 */
export async function askLocal(
  options: AskLocalOptions,
  output: CliOutput,
  prestarted?: PrestartedHarness,
): Promise<number> {
  let asked: LocalQuestion;
  try {
    asked = prepareQuestion(options);
  } catch (error) {
    output.stderr.write(`${describeError(error)}\n`);
    return usageOrInvalid(error);
  }
  const { loaded, inputValues, inputManifest, recorded } = asked;
  for (const warning of loaded.warnings) {
    output.stderr.write(`warning: ${warning.location.file}:${warning.location.line}: ${warning.message}\n`);
  }
  const identity = localIdentity(loaded, asked.revisionTag, output);
  if (recorded !== undefined) output.stderr.write(`${replayHeadline(recorded)}\n`);
  const question = {
    event: {
      kind: "question" as const,
      ...definedProperties({ input_values: inputValues }),
      ...definedProperties({ input_manifest: inputManifest as never }),
    },
    attributes: createQuestionAttributes({ sender: LOCAL_ASKER_SRUID, recipient: identity.sruid }),
  };
  try {
    // gs:// datasets are read (and an output_location written) with the Cloud Storage this shell points at, if any.
    const { jobDatasets } = await import("../../runtime/jobs/job-datasets.js");
    const final = await runServiceQuestion(
      loaded,
      question,
      identity.sruid,
      new TerminalEventSink(output.stderr, { json: options.json === true }),
      {
        childrenEmulators: options.childrenEmulators,
        childAsker: recorded?.childAsker,
        heartbeatIntervalSeconds: options.heartbeatInterval,
        timeoutSeconds: options.timeout,
        datasets: await jobDatasets(process.env, undefined),
        prestarted,
        resolvePython: false,
      },
      output,
    );
    // Indented for a person at a terminal; compact for files and pipes, where answers can be large.
    const forPerson = options.output === undefined && (output.stdout as { isTTY?: boolean }).isTTY === true;
    const text = `${JSON.stringify(final.event, null, forPerson ? 2 : undefined)}\n`;
    if (options.output === undefined) output.stdout.write(text);
    else {
      writeFileSync(options.output, text);
      output.stderr.write(`${final.event.kind === "result" ? "Answer" : "Exception"} written to ${options.output}\n`);
    }
    return final.event.kind === "result" ? EXIT.ok : EXIT.invalid;
  } catch (error) {
    output.stderr.write(`${describeError(error)}\n`);
    return usageOrInvalid(error);
  }
}

/** What is asked, of which service: as the options say, over the recorded question when replaying one. */
interface LocalQuestion {
  readonly loaded: LoadedServiceConfiguration;
  readonly inputValues: unknown;
  readonly inputManifest: unknown;
  readonly revisionTag: string | undefined;
  readonly recorded: RecordedQuestion | undefined;
}

function prepareQuestion(options: AskLocalOptions): LocalQuestion {
  if (options.fromDiagnostics !== undefined && options.childrenEmulators !== undefined) {
    throw new InvalidAskLocalOptions(
      "--children-emulators cannot be used with --from-diagnostics: a replay answers the app's child questions with the answers recorded in the diagnostics' questions.json",
    );
  }
  const configured = loadServiceConfiguration(options.serviceConfig);
  const recorded = options.fromDiagnostics === undefined ? undefined : readRecordedQuestion(options.fromDiagnostics);
  // Data given on the command line wins over the recorded data, so a replay can be varied one datum at a time.
  return {
    loaded: recorded === undefined ? configured : withRecordedConfiguration(configured, recorded),
    inputValues: loadedOr(options.inputValues, "input_values", recorded?.inputValues),
    inputManifest: loadedOr(options.inputManifest, "input_manifest", recorded?.inputManifest),
    revisionTag:
      options.revisionTag ?? (recorded === undefined ? undefined : recordedRevisionTag(recorded, configured)),
    recorded,
  };
}

/** The datum given on the command line (even `null`), else the fallback. */
function loadedOr(
  source: JsonSource | undefined,
  strand: "input_values" | "input_manifest",
  fallback: unknown,
): unknown {
  return source === undefined ? fallback : source.load(strand).value;
}

/** Missing files and options that do not go together are usage errors; anything else Twined rejects is invalid input. */
export function usageOrInvalid(error: unknown): number {
  const usage =
    error instanceof ServiceConfigurationNotFound ||
    error instanceof DiagnosticsNotFound ||
    error instanceof InvalidAskLocalOptions ||
    (error instanceof TwinedError && "code" in error);
  return usage ? EXIT.usage : EXIT.invalid;
}
