import type { StrandName } from "../errors/twine-errors.js";

/** One entry of a twine's `children` strand: a child service the app may ask, known by `key`. */
export interface ChildSpec {
  readonly key: string;
  readonly purpose?: string;
  readonly filters?: string;
  readonly [other: string]: unknown;
}

/** One entry of a twine's `credentials` strand: an environment variable the app needs. */
export interface CredentialSpec {
  readonly name: string;
  readonly purpose?: string;
}

/** What a manifest strand says about one dataset. */
export interface DatasetSpec {
  readonly purpose?: string;
  readonly optional?: boolean;
  readonly file_tags_template?: Readonly<Record<string, unknown>>;
  readonly [other: string]: unknown;
}

/** A manifest strand (`configuration_manifest`, `input_manifest` or `output_manifest`). */
export interface ManifestStrand {
  readonly optional?: boolean;
  readonly datasets: Readonly<Record<string, DatasetSpec>>;
  readonly [other: string]: unknown;
}

/** Data for several strands at once; `null` or `undefined` means "no data provided" for that strand. */
export type StrandSources = Partial<Record<string, unknown>>;

/** The data the orchestrator validated, by strand; `null` where no data was provided. */
export type ValidatedStrands = Partial<Record<StrandName, unknown>>;
