import { writeFileSync } from "node:fs";
import { loadServiceConfiguration } from "../../shared/config/index.js";
import { ServiceConfigurationNotFound, TwinedError } from "../../shared/errors/index.js";
import { createQuestionAttributes } from "../../shared/events/index.js";
import { definedProperties } from "../../shared/objects/index.js";
import type { JsonSource } from "../../shared/twine/index.js";
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
}

export async function askLocal(options: AskLocalOptions, output: CliOutput): Promise<number> {
  let loaded: ReturnType<typeof loadServiceConfiguration>;
  let inputValues: unknown;
  let inputManifest: unknown;
  try {
    loaded = loadServiceConfiguration(options.serviceConfig);
    inputValues = options.inputValues?.load("input_values").value;
    inputManifest = options.inputManifest?.load("input_manifest").value;
  } catch (error) {
    output.stderr.write(`${describeError(error)}\n`);
    return usageOrInvalid(error);
  }
  for (const warning of loaded.warnings) {
    output.stderr.write(`warning: ${warning.location.file}:${warning.location.line}: ${warning.message}\n`);
  }
  const identity = localIdentity(loaded, options.revisionTag, output);
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
        heartbeatIntervalSeconds: options.heartbeatInterval,
        timeoutSeconds: options.timeout,
        datasets: await jobDatasets(process.env, undefined),
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

/** Missing files are usage errors; anything else Twined rejects is invalid input. */
export function usageOrInvalid(error: unknown): number {
  const missing = error instanceof ServiceConfigurationNotFound || (error instanceof TwinedError && "code" in error);
  return missing ? EXIT.usage : EXIT.invalid;
}
