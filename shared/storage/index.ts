export * from "./cloud-path.js";
export * from "./crc32c.js";
export * from "./octue-metadata.js";
