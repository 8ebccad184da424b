import type { StrandName } from "../shared/errors/index.js";

/** The data flags of `twine check`, in the order they are checked. */
export const DATA_OPTIONS: readonly { flag: string; key: string; strand: StrandName }[] = [
  { flag: "--configuration-values", key: "configurationValues", strand: "configuration_values" },
  { flag: "--configuration-manifest", key: "configurationManifest", strand: "configuration_manifest" },
  { flag: "--input-values", key: "inputValues", strand: "input_values" },
  { flag: "--input-manifest", key: "inputManifest", strand: "input_manifest" },
  { flag: "--output-values", key: "outputValues", strand: "output_values" },
  { flag: "--output-manifest", key: "outputManifest", strand: "output_manifest" },
  { flag: "--monitor-message", key: "monitorMessage", strand: "monitor_message" },
  { flag: "--children", key: "children", strand: "children" },
];
