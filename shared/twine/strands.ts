import type { StrandName } from "../errors/twine-errors.js";

export type { StrandName } from "../errors/twine-errors.js";

/** Strands whose twine entry is itself the JSON Schema for the data, in Octue's order (used in messages). */
export const SCHEMA_STRANDS = ["input_values", "configuration_values", "output_values", "monitor_message"] as const;
/** Strands that describe the datasets a manifest must hold. */
export const MANIFEST_STRANDS = ["configuration_manifest", "input_manifest", "output_manifest"] as const;
/** Every strand there is; a twine may hold other keys, but they are not strands. */
export const ALL_STRANDS = [...SCHEMA_STRANDS, ...MANIFEST_STRANDS, "credentials", "children"] as const;

export type SchemaStrandName = (typeof SCHEMA_STRANDS)[number];
export type ManifestStrandName = (typeof MANIFEST_STRANDS)[number];
/** The manifest strands whose datafiles' tags are checked against file-tags templates. */
export type TaggedManifestStrandName = Exclude<ManifestStrandName, "output_manifest">;

const STRAND_NAMES: ReadonlySet<string> = new Set(ALL_STRANDS);
const SCHEMA_STRAND_NAMES: ReadonlySet<string> = new Set(SCHEMA_STRANDS);
const MANIFEST_STRAND_NAMES: ReadonlySet<string> = new Set(MANIFEST_STRANDS);

export function isStrandName(name: unknown): name is StrandName {
  return typeof name === "string" && STRAND_NAMES.has(name);
}

export function isSchemaStrand(name: string): name is SchemaStrandName {
  return SCHEMA_STRAND_NAMES.has(name);
}

export function isManifestStrand(name: string): name is ManifestStrandName {
  return MANIFEST_STRAND_NAMES.has(name);
}

/** The top-level twine key a strand lives under: values strands carry a `_schema` suffix, the others do not. */
export function twineKeyOf(strand: StrandName): string {
  return isSchemaStrand(strand) ? `${strand}_schema` : strand;
}

/** A twine key with a trailing `_schema` removed, which is how Octue names what a twine makes available. */
export function strandNameOfKey(key: string): string {
  return key.endsWith("_schema") ? key.slice(0, -"_schema".length) : key;
}
