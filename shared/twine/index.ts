export {
  type CheckCredentialsOptions,
  type CheckedCredentials,
  DEFAULT_DOTENV_PATH,
  type Environment,
} from "./credentials.js";
export type { DatafileTags, DatafileTagsResolver } from "./datafile-tags.js";
export { datafileTagsInManifest } from "./datafile-tags.js";
export { JsonSource, type LoadedJson, type LoadKind } from "./json-source.js";
export { type LoadTwineOptions, loadTwine } from "./load-twine.js";
export { CHILDREN_SCHEMA_URI, MANIFEST_SCHEMA_URI } from "./registry-schemas.js";
export { draftOf, type SchemaDraft } from "./schema-compiler.js";
export {
  ALL_STRANDS,
  isManifestStrand,
  isSchemaStrand,
  isStrandName,
  MANIFEST_STRANDS,
  type ManifestStrandName,
  SCHEMA_STRANDS,
  type SchemaStrandName,
  type StrandName,
  type TaggedManifestStrandName,
  twineKeyOf,
} from "./strands.js";
export {
  Twine,
  type TwineOptions,
  type ValidateFileTagsOptions,
  type ValidateOptions,
  type ValidateOutputsOptions,
} from "./twine.js";
export type {
  ChildSpec,
  CredentialSpec,
  DatasetSpec,
  ManifestStrand,
  StrandSources,
  ValidatedStrands,
} from "./twine-types.js";
