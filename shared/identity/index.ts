export * from "./generated-names.js";
export * from "./image-reference.js";
export * from "./pubsub-names.js";
export * from "./runtime-identity.js";
export * from "./service-id.js";
