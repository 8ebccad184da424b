import type { ChildConfiguration, ConfiguredData, ServiceConfiguration } from "../../shared/config/index.js";
import type { QuestionEvent } from "../../shared/events/index.js";
import { JsonSource, type Twine } from "../../shared/twine/index.js";

export interface ValidatedQuestionData {
  readonly configurationValues: unknown;
  readonly configurationManifest: unknown;
  readonly inputValues: unknown;
  readonly inputManifest: unknown;
  /** The question's children when it gives any, else the configured ones. */
  readonly children: readonly ChildConfiguration[] | null;
}

/**
 * Checks a question's data against the twine before any Python runs, in Octue's order: configuration, then inputs,
 * children and credentials. Throws the first twine error; returns the data exactly as given (falsy values included),
 * with configuration files read. File tags are checked apart (`checkFileTags`), once cloud datasets have been read.
 */
export function validateQuestionData(
  twine: Twine,
  configuration: ServiceConfiguration,
  question: QuestionEvent,
  env: Readonly<Record<string, string | undefined>>,
): ValidatedQuestionData {
  const configurationData = twine.validate({
    configuration_values: configuredSource(configuration.configurationValues),
    configuration_manifest: configuredSource(configuration.configurationManifest),
  });
  const overrides = question.children;
  const children =
    overrides !== undefined && overrides !== null && overrides.length > 0
      ? (overrides as unknown as ChildConfiguration[])
      : (configuration.children ?? null);
  const inputs = twine.validate({
    input_values: question.input_values ?? null,
    input_manifest: question.input_manifest ?? null,
    children,
  });
  if (twine.credentials !== undefined) twine.checkCredentials(env);

  return {
    configurationValues: configurationData.configuration_values ?? null,
    configurationManifest: configurationData.configuration_manifest ?? null,
    inputValues: inputs.input_values ?? null,
    inputManifest: inputs.input_manifest ?? null,
    children,
  };
}

/** Checks each file's tags against its dataset's `file_tags_template`, as Octue does once the manifests are read. */
export function checkFileTags(twine: Twine, data: ValidatedQuestionData): void {
  if (data.configurationManifest !== null) twine.validateFileTags("configuration_manifest", data.configurationManifest);
  if (data.inputManifest !== null) twine.validateFileTags("input_manifest", data.inputManifest);
}

function configuredSource(data: ConfiguredData | undefined): unknown {
  if (data === undefined) return null;
  return data.kind === "file" ? JsonSource.file(data.path) : JsonSource.value(data.value);
}
