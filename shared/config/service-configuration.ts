import type { SourceLocation } from "../errors/index.js";

/** A registry that resolves service revisions (Octue's `{name, endpoint}`), in priority order. */
export interface ServiceRegistry {
  readonly name: string;
  readonly endpoint: string;
}

/** A child service as configured: Octue's `{key, id, backend}`; checked in full against the twine's children strand. */
export interface ChildConfiguration {
  readonly key: string;
  readonly id: string;
  readonly backend: { readonly name: string; readonly project_id?: string; readonly [key: string]: unknown };
  readonly [key: string]: unknown;
}

/**
 * Strand data given in octue.yaml: either inline (any JSON, already parsed from YAML) or a path to a JSON file,
 * resolved against the configuration file's folder.
 */
export type ConfiguredData =
  | { readonly kind: "inline"; readonly value: unknown }
  | { readonly kind: "file"; readonly path: string };

/** One service's configuration: the first entry of `services` in octue.yaml, with paths made absolute. */
export interface ServiceConfiguration {
  readonly namespace: string;
  readonly name: string;
  /** The folder holding `app.py`. */
  readonly appSourcePath: string;
  readonly twinePath: string;
  readonly diagnosticsCloudPath: string | undefined;
  readonly serviceRegistries: readonly ServiceRegistry[] | undefined;
  /** BigQuery `<dataset>.<table>` of Octue's event store, kept for compatibility. */
  readonly eventStoreTableId: string | undefined;
  readonly deleteLocalFiles: boolean;
  readonly configurationValues: ConfiguredData | undefined;
  readonly configurationManifest: ConfiguredData | undefined;
  readonly children: readonly ChildConfiguration[] | undefined;
  /** A `gs://` URI that output datasets are uploaded to. */
  readonly outputLocation: string | undefined;
  readonly useSignedUrlsForOutputDatasets: boolean;
  /**
   * Whether questions run on this machine (`twined dev`, in-process or `--isolated-jobs`) are forked from a Python
   * that already imported the app (`warm_start`), instead of each starting Python and importing the app afresh.
   */
  readonly warmStart: boolean;
  /** The folder the configuration file is in; relative paths resolve from here. */
  readonly directory: string;
  /** The configuration file itself. */
  readonly path: string;
}

export interface ConfigurationWarning {
  readonly message: string;
  readonly location: SourceLocation;
}

/** A loaded configuration, plus what is needed to point at its parts in the file. */
export interface LoadedServiceConfiguration {
  readonly configuration: ServiceConfiguration;
  readonly warnings: readonly ConfigurationWarning[];
  /**
   * Where a value inside the service entry sits in the file, e.g. `["configuration_values", "n_iterations"]`, so that
   * problems found later (by the twine) can be reported at a file position. Falls back to the nearest parent found.
   */
  locate(path: readonly (string | number)[]): SourceLocation;
}

/** The keys a service entry may have, as written in octue.yaml. */
export const SERVICE_CONFIGURATION_KEYS = [
  "name",
  "namespace",
  "app_source_path",
  "twine_path",
  "diagnostics_cloud_path",
  "service_registries",
  "event_store_table_id",
  "delete_local_files",
  "configuration_values",
  "configuration_manifest",
  "children",
  "output_location",
  "use_signed_urls_for_output_datasets",
  "warm_start",
] as const;

/** Keys that may sit in a legacy app configuration file (`app_configuration_path`, Octue ≤ 0.62). */
export const APP_CONFIGURATION_KEYS = [
  "configuration_values",
  "configuration_manifest",
  "children",
  "output_location",
  "use_signed_urls_for_output_datasets",
] as const;

/** Namespaces a service may not use: Octue reserves `example` for its local Fibonacci stand-in. */
export const DISALLOWED_SERVICE_NAMESPACES: readonly string[] = ["example"];

/** Octue's rule for `output_location`. */
export const OUTPUT_LOCATION_PATTERN = /^gs:\/\/[a-z\d][a-z\d_./-]*$/;
