/**
 * Fuzzes twines and the strand data checked against them: the specification's vectors and the examples' twines,
 * mutated as values and as text (including files, bytes that are not UTF-8 and nesting thousands deep), then data for
 * every strand, mutated from the vectors' own.
 *
 * Property: `loadTwine` returns a twine or throws one of the project's error classes with a message; so does every
 * validation of a loaded twine (strands one by one, all at once, inputs, outputs, monitor messages, file tags and
 * credentials). Never a TypeError, a RangeError, a stack overflow or any other error of JavaScript's own.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ALL_STRANDS, JsonSource, loadTwine, type StrandName, type Twine } from "../../shared/twine/index.js";
import { deepJsonText, fuzzJsonValue, jsonTextOf, mutatedJson, mutatedText, weighted } from "./support/arbitraries.js";
import { fuzz, testTimeoutMs } from "./support/fuzz-run.js";
import { untypedErrorProblem } from "./support/inspection.js";
import { type FindingTally, violation } from "./support/known-findings.js";
import { SEED_TWINES, vectorData } from "./support/twine-seeds.js";

// Twines and data given as paths are read relative to the working directory: an empty folder of our own, with a few
// files to find.
let workDir = "";
let previousCwd = "";
beforeAll(() => {
  previousCwd = process.cwd();
  workDir = mkdtempSync(path.join(tmpdir(), "twined-fuzz-twine-"));
  process.chdir(workDir);
  writeFileSync("valid.json", JSON.stringify(SEED_TWINES[0]));
  writeFileSync("broken.json", '{"input_values_schema": {');
  writeFileSync("latin1.json", Buffer.from([0x7b, 0x22, 0xe9, 0x22, 0x3a, 0x31, 0x7d]));
  mkdirSync("folder.json");
});
afterAll(() => {
  process.chdir(previousCwd);
  rmSync(workDir, { recursive: true, force: true });
});

const JSON_TOKENS = ["{", "}", "[", "]", ",", ":", '"', "\\u0000", "//", "/*", "null", "-", "1e999", "NaN", '"$ref"'];
const TWINE_KEYS = [
  "configuration_values_schema",
  "input_values_schema",
  "output_values_schema",
  "monitor_message_schema",
  "configuration_manifest",
  "input_manifest",
  "output_manifest",
  "children",
  "credentials",
  "twined_version",
  "datasets",
  "file_tags_template",
  "optional",
  "$ref",
  "$schema",
  "$id",
  "$defs",
  "type",
  "properties",
  "required",
  "pattern",
  "items",
  "enum",
  "const",
  "format",
  "minimum",
  "key",
  "name",
];

/** Values a schema keyword may be given, valid and not. */
const SCHEMA_VALUES = fc.oneof(
  { weight: 4, arbitrary: fuzzJsonValue() },
  {
    weight: 2,
    arbitrary: fc.constantFrom<unknown>(
      "object",
      "string",
      "integer",
      "nope",
      "^[a-z]+$",
      "(",
      "[",
      "\\",
      "(?<n>a)\\k<n>",
      "#/$defs/missing",
      "#",
      "https://example.invalid/schema.json",
      "https://jsonschema.registry.octue.com/octue/manifest/0.1.0.json",
      "http://json-schema.org/draft-04/schema#",
      "https://json-schema.org/draft/2020-12/schema",
      { $ref: "#" },
      { type: "object", additionalProperties: false },
      { datasets: {} },
      [{ key: "k" }],
    ),
  },
);

type TwineSource =
  | { readonly kind: "value"; readonly value: unknown }
  | { readonly kind: "text"; readonly text: string }
  | { readonly kind: "bytes"; readonly bytes: Uint8Array }
  | { readonly kind: "path"; readonly path: string }
  | { readonly kind: "deep"; readonly depth: number; readonly asText: boolean };

const STRAND_CHECKS = [
  ...ALL_STRANDS,
  "sources",
  "inputs",
  "outputs",
  "monitor",
  "file_tags",
  "configuration",
] as const;
type StrandCheck = (typeof STRAND_CHECKS)[number];

interface TwineInput {
  readonly twine: TwineSource;
  readonly checks: readonly { readonly check: StrandCheck; readonly data: unknown; readonly asText: boolean }[];
}

function twineSource(): fc.Arbitrary<TwineSource> {
  const texts = SEED_TWINES.map((twine) => JSON.stringify(twine, null, 2));
  return fc.oneof(
    {
      weight: 8,
      arbitrary: mutatedJson(SEED_TWINES, { keys: TWINE_KEYS, values: SCHEMA_VALUES }).map(
        (value): TwineSource => ({ kind: "value", value }),
      ),
    },
    { weight: 3, arbitrary: mutatedText(texts, JSON_TOKENS).map((text): TwineSource => ({ kind: "text", text })) },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ maxLength: 40 }).map((bytes): TwineSource => ({ kind: "bytes", bytes })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom("valid.json", "broken.json", "latin1.json", "folder.json", "missing.json", "./", "")
        .map((file): TwineSource => ({ kind: "path", path: file })),
    },
    {
      weight: 1,
      arbitrary: fc
        .record({ depth: fc.constantFrom(100, 1000, 5000, 50_000), asText: fc.boolean() })
        .map(({ depth, asText }): TwineSource => ({ kind: "deep", depth, asText })),
    },
  );
}

function twineInput(): fc.Arbitrary<TwineInput> {
  const seeds = vectorData(["values", "manifest", "children", "monitor", "validate"]).map((each) => each.data);
  const data = fc.oneof(
    { weight: 4, arbitrary: mutatedJson([...seeds, {}, [], null], { values: SCHEMA_VALUES }) },
    { weight: 1, arbitrary: fuzzJsonValue() },
  );
  return fc.record({
    twine: twineSource(),
    checks: fc.array(
      fc.record({
        check: fc.constantFrom(...STRAND_CHECKS),
        data,
        asText: weighted({ no: 4, yes: 1 }).map((x) => x === "yes"),
      }),
      { maxLength: 3 },
    ),
  });
}

function sourceOf(twine: TwineSource): unknown {
  switch (twine.kind) {
    case "value":
      return JsonSource.value(twine.value);
    case "text":
      return JsonSource.text(twine.text, "twine.json");
    case "bytes":
      return Buffer.from(twine.bytes);
    case "path":
      // A string ending in .json is a file to read, as in Octue; any other string is JSON text.
      return twine.path;
    case "deep": {
      // A schema nested as deep as a schema can be: properties of properties of … of an object.
      if (twine.asText) return JsonSource.text(deepTwineText(twine.depth), "twine.json");
      let schema: unknown = { type: "object" };
      for (let level = 0; level < twine.depth; level++) schema = { properties: schema };
      return JsonSource.value({ input_values_schema: schema });
    }
  }
}

const noWarnings = () => {};

function deepTwineText(depth: number): string {
  const nested = deepJsonText(depth, "object", '{"type": "object"}').replaceAll('"a":', '"properties":');
  return `{"input_values_schema": ${nested}}`;
}

function runCheck(twine: Twine, check: StrandCheck, data: unknown): unknown {
  const env = {};
  const credentials = { cwd: workDir };
  switch (check) {
    case "sources":
      return twine.validate(
        typeof data === "object" && data !== null && !Array.isArray(data) ? (data as Record<string, unknown>) : {},
        { env, credentials },
      );
    case "inputs":
      return twine.validateInputs({ values: data, manifest: data }, { env, credentials });
    case "outputs":
      return twine.validateOutputs({ values: data, manifest: data }, { falsyValuesAsMissing: true, env, credentials });
    case "configuration":
      return twine.validateConfiguration({ values: data, manifest: null }, { env, credentials });
    case "monitor":
      return twine.validateMonitorMessage(data);
    case "file_tags":
      return twine.validateFileTags("input_manifest", data);
    case "credentials":
      return twine.checkCredentials(env, credentials);
    default:
      return twine.validate(check as StrandName, data);
  }
}

function checkTwine(input: TwineInput, findings: FindingTally): void {
  let twine: Twine;
  try {
    twine = loadTwine(sourceOf(input.twine), { onWarning: noWarnings });
  } catch (error) {
    const problem = untypedErrorProblem(error);
    if (problem !== undefined) violation(`loadTwine: ${problem}`);
    findings.outcome(`twine refused: ${(error as Error).name}`);
    return;
  }
  findings.outcome("twine loaded");
  for (const { check, data, asText } of input.checks) {
    try {
      const text = asText ? jsonTextOf(data) : undefined;
      runCheck(twine, check, text === undefined ? data : JsonSource.text(text, "data.json"));
      findings.outcome(`${check}: valid`);
    } catch (error) {
      const problem = untypedErrorProblem(error);
      if (problem !== undefined) violation(`${check}: ${problem}`);
      findings.outcome(`${check}: ${(error as Error).name}`);
    }
  }
}

describe("fuzzing twines", () => {
  it(
    "loads a twine or refuses it with a typed error, and validates strand data the same way",
    async () => {
      const report = await fuzz({
        surface: "twine",
        msPerInputWorstCase: 40,
        arbitrary: twineInput(),
        check: checkTwine,
        describeInput: (input) =>
          JSON.stringify(input, (_key, value: unknown) => (value instanceof Uint8Array ? [...value] : value)).slice(
            0,
            4000,
          ),
      });
      expect(report.inputs).toBeGreaterThan(0);
    },
    testTimeoutMs("twine", 40),
  );
});
