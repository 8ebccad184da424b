import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { ValidateFunction } from "ajv";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SERVICE_ENTRY_SCHEMA_SET } from "../../../shared/config/service-entry-validator.js";
import { QUESTION_REQUEST_SCHEMA_SET } from "../../../shared/control-plane/question-request.js";
import { EVENT_SCHEMA_SET } from "../../../shared/events/validate-event.js";
import { REGISTRY_SCHEMA_SET } from "../../../shared/twine/registry-schemas.js";
import { META_SCHEMA_SETS } from "../../../shared/twine/schema-compiler.js";
import {
  FINGERPRINT_EXPORT,
  type FixedSchemaSet,
  fingerprintOf,
  instanceFor,
  precompiledFileName,
} from "../../../shared/validation/fixed-validators.js";
import { FIXED_SCHEMA_SETS, writePrecompiledValidators } from "../../../tools/build/precompile-validators.js";
import { EXAMPLE_MANIFEST, QUESTION_ATTRIBUTES, REPLAY_STREAM } from "../../shared/events/event-fixtures.js";

const require = createRequire(import.meta.url);
const vectors = (
  JSON.parse(readFileSync(new URL("../../fixtures/twine-spec-vectors.json", import.meta.url), "utf8")) as {
    vectors: { twine?: unknown; data?: unknown; kind: string }[];
  }
).vectors;

let folder = "";
beforeAll(() => {
  // Inside the package, as dist/ is, so that the code's `require("ajv/dist/runtime/…")` resolves.
  const parent = path.resolve("node_modules", ".cache");
  mkdirSync(parent, { recursive: true });
  folder = mkdtempSync(path.join(parent, "twined-precompiled-"));
  writePrecompiledValidators(folder);
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

/** What a validator said about a value: the verdict and its errors, as plain data. */
function verdict(validate: ValidateFunction, value: unknown): unknown {
  const valid = validate(value);
  const errors = (validate.errors ?? []).map(({ instancePath, schemaPath, keyword, params, message }) => ({
    instancePath,
    schemaPath,
    keyword,
    params,
    message,
  }));
  return { valid, errors: valid ? [] : errors };
}

const strandSchemas = vectors.flatMap((vector) =>
  typeof vector.twine === "object" && vector.twine !== null
    ? Object.entries(vector.twine)
        .filter(([key]) => key.endsWith("_schema"))
        .map(([, schema]) => schema)
    : [],
);
const badSchemas = [{ type: 3 }, { properties: { a: { type: "strang" } } }, { minimum: "1" }, { items: [1] }, []];

/** Values each set is checked on: valid and invalid, from the spec vectors and the event fixtures. */
const SAMPLES: ReadonlyMap<FixedSchemaSet, Readonly<Record<string, readonly unknown[]>>> = new Map<
  FixedSchemaSet,
  Record<string, readonly unknown[]>
>([
  [
    REGISTRY_SCHEMA_SET,
    {
      twine: vectors.map((vector) => vector.twine).filter((twine) => twine !== undefined),
      manifest: [EXAMPLE_MANIFEST, { id: 1 }, { datasets: [] }, ...vectors.map((vector) => vector.data)],
      children: [[{ key: "a", id: "ns/name" }], [{ key: 1 }], {}, ...vectors.map((vector) => vector.data)],
    },
  ],
  [
    EVENT_SCHEMA_SET,
    {
      envelope: [...REPLAY_STREAM, { event: { kind: "question" }, attributes: QUESTION_ATTRIBUTES }, {}, []],
      question: [
        { kind: "question", input_values: { a: 1 } },
        { kind: "question", input_manifest: 3 },
      ],
      result: REPLAY_STREAM.map((envelope) => envelope.event),
      PARENT: [QUESTION_ATTRIBUTES, { ...QUESTION_ATTRIBUTES, question_uuid: "nope" }, {}],
      CHILD: REPLAY_STREAM.map((envelope) => envelope.attributes),
    },
  ],
  [
    SERVICE_ENTRY_SCHEMA_SET,
    { entry: [{ namespace: "a", name: "b" }, { name: 3 }, { namespace: "a", name: "b", app_source_path: "" }, []] },
  ],
  [
    QUESTION_REQUEST_SCHEMA_SET,
    { request: [{ recipient: "a/b" }, { recipient: 3 }, { recipient: "a/b", surprise: true }, null] },
  ],
  ...Object.values(META_SCHEMA_SETS).map(
    (set) =>
      [set, { meta: [...strandSchemas, ...badSchemas, true, {}] }] as [FixedSchemaSet, Record<string, unknown[]>],
  ),
]);

describe("precompiled validators (npm run build)", () => {
  it("covers every fixed schema set the code defines", () => {
    expect(new Set(FIXED_SCHEMA_SETS)).toEqual(new Set(SAMPLES.keys()));
    const written = readdirSync(folder).sort();
    expect(written).toEqual(FIXED_SCHEMA_SETS.map((set) => precompiledFileName(set)).sort());
    // Every set defined anywhere in shared/ is listed: a new one left out would silently be compiled at every start.
    const definitions = sourceFilesUnder("shared").flatMap((file) =>
      [...readFileSync(file, "utf8").matchAll(/export const (\w+): FixedSchemaSet</g)].map((match) => match[1]),
    );
    expect(definitions.sort()).toEqual(
      ["EVENT_SCHEMA_SET", "QUESTION_REQUEST_SCHEMA_SET", "REGISTRY_SCHEMA_SET", "SERVICE_ENTRY_SCHEMA_SET"].sort(),
    );
  });

  for (const set of FIXED_SCHEMA_SETS) {
    it(`gives the same verdicts and errors as compiling, for ${set.id}`, () => {
      const module = require(path.join(folder, precompiledFileName(set))) as Record<string, unknown>;
      expect(module[FINGERPRINT_EXPORT]).toBe(fingerprintOf(set));
      const ajv = instanceFor(set);
      const samples = SAMPLES.get(set) ?? {};
      let compared = 0;
      for (const [name, ref] of Object.entries<string>(set.exports)) {
        const precompiled = module[name] as ValidateFunction;
        const compiled = ajv.getSchema(ref) as ValidateFunction;
        for (const value of samples[name] ?? []) {
          expect(verdict(precompiled, value), `${set.id}.${name} on ${JSON.stringify(value)}`).toEqual(
            verdict(compiled, value),
          );
          compared += 1;
        }
      }
      expect(compared).toBeGreaterThan(2);
    });
  }

  it("is what a built twined loads, never compiling a fixed schema", () => {
    const built = path.resolve("dist/shared/validation/fixed-validators.js");
    if (!existsSync(built) && process.env.CI !== "1") return; // Nothing built here; CI builds before testing.
    // An ajv-compiled validator carries its schema environment; standalone code does not.
    const probe = `
      const { fixedValidators } = await import(${JSON.stringify(built)});
      const { REGISTRY_SCHEMA_SET } = await import(${JSON.stringify(path.resolve("dist/shared/twine/registry-schemas.js"))});
      const { twine } = fixedValidators(REGISTRY_SCHEMA_SET);
      process.stdout.write(String(twine.schemaEnv === undefined));`;
    const { execFileSync } = require("node:child_process") as typeof import("node:child_process");
    expect(execFileSync(process.execPath, ["--input-type=module", "-e", probe], { encoding: "utf8" })).toBe("true");
  });
});

function sourceFilesUnder(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: "utf8" })
    .filter((name) => name.endsWith(".ts"))
    .map((name) => path.join(folder, name));
}
