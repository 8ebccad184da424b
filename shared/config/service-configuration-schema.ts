/**
 * The shape of one `services` entry in octue.yaml. Deep checks (children against the children strand, values
 * against the twine) happen later, when the twine is known.
 */
export const serviceEntrySchema = {
  type: "object",
  required: ["name", "namespace"],
  properties: {
    name: { type: "string" },
    namespace: { type: "string" },
    app_source_path: { type: "string", minLength: 1 },
    twine_path: { type: "string", minLength: 1 },
    diagnostics_cloud_path: { type: "string", pattern: "^gs://[a-z\\d][a-z\\d_./-]*$" },
    service_registries: {
      type: "array",
      items: {
        type: "object",
        required: ["name", "endpoint"],
        properties: {
          name: { type: "string", minLength: 1 },
          endpoint: { type: "string", pattern: "^https?://\\S+$" },
        },
      },
    },
    event_store_table_id: { type: "string", pattern: "^[^.\\s]+\\.[^.\\s]+$" },
    delete_local_files: { type: "boolean" },
    configuration_values: {},
    configuration_manifest: { type: ["object", "string"] },
    children: {
      type: "array",
      items: {
        type: "object",
        required: ["key", "id", "backend"],
        properties: { key: { type: "string" }, id: { type: "string" }, backend: { type: "object" } },
      },
    },
    output_location: { type: "string", pattern: "^gs://[a-z\\d][a-z\\d_./-]*$" },
    use_signed_urls_for_output_datasets: { type: "boolean" },
    app_configuration_path: { type: "string", minLength: 1 },
    warm_start: { type: "boolean" },
  },
} as const;

/** What to tell a user whose value breaks a `pattern`, by key. */
export const PATTERN_HINTS: Readonly<Record<string, string>> = {
  endpoint: "must be an http(s) URL such as https://registry.example.com",
  event_store_table_id: "must be a BigQuery table ID of the form <dataset>.<table>",
  output_location: "must be a Google Cloud Storage path such as gs://bucket-name/output_directory",
  diagnostics_cloud_path: "must be a Google Cloud Storage path such as gs://bucket-name/diagnostics",
};
