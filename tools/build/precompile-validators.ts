/**
 * Writes the fixed schemas' validators as ajv standalone code into the build (`npm run build` runs this after tsc),
 * so that a built `twined` or function loads them instead of compiling them at every start.
 *
 *   tsx tools/build/precompile-validators.ts [OUT_DIR]   (default: dist/shared/validation/precompiled)
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { SERVICE_ENTRY_SCHEMA_SET } from "../../shared/config/service-entry-validator.js";
import { QUESTION_REQUEST_SCHEMA_SET } from "../../shared/control-plane/question-request.js";
import { EVENT_SCHEMA_SET } from "../../shared/events/validate-event.js";
import { packageRoot } from "../../shared/package-root.js";
import { REGISTRY_SCHEMA_SET } from "../../shared/twine/registry-schemas.js";
import { META_SCHEMA_SETS } from "../../shared/twine/schema-compiler.js";
import {
  FINGERPRINT_EXPORT,
  type FixedSchemaSet,
  fingerprintOf,
  instanceFor,
  precompiledFileName,
} from "../../shared/validation/fixed-validators.js";
import { standaloneCode } from "../../shared/validation/standalone-code.js";

/** Every set the code loads through `fixedValidators`; a test checks that none is missing. */
export const FIXED_SCHEMA_SETS: readonly FixedSchemaSet[] = [
  REGISTRY_SCHEMA_SET,
  EVENT_SCHEMA_SET,
  SERVICE_ENTRY_SCHEMA_SET,
  QUESTION_REQUEST_SCHEMA_SET,
  ...Object.values(META_SCHEMA_SETS),
];

/** The standalone CommonJS module of one set: its validators by export name, and the fingerprint it was made from. */
export function standaloneModuleOf(set: FixedSchemaSet): string {
  const code = standaloneCode(instanceFor(set, { code: { source: true } }), { ...set.exports });
  return `${code}\nmodule.exports[${JSON.stringify(FINGERPRINT_EXPORT)}] = ${JSON.stringify(fingerprintOf(set))};\n`;
}

/** Writes every set into `folder`, each file replaced whole so that a reader never sees half of one. */
export function writePrecompiledValidators(folder: string): string[] {
  mkdirSync(folder, { recursive: true });
  return FIXED_SCHEMA_SETS.map((set) => {
    const file = path.join(folder, precompiledFileName(set));
    writeFileSync(`${file}.tmp`, standaloneModuleOf(set));
    renameSync(`${file}.tmp`, file);
    return file;
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const folder = process.argv[2] ?? path.join(packageRoot(), "dist", "shared", "validation", "precompiled");
  const files = writePrecompiledValidators(folder);
  process.stdout.write(`precompiled ${files.length} validator sets into ${path.relative(process.cwd(), folder)}\n`);
}
