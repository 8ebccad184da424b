export * from "./dataset-access.js";
export * from "./diagnostics-files.js";
export * from "./download-datasets.js";
export * from "./local-datasets.js";
export * from "./resolve-datasets.js";
export * from "./save-diagnostics.js";
export * from "./sign-datasets.js";
export * from "./upload-datasets.js";
