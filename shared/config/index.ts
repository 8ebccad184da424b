export * from "./load-service-configuration.js";
export * from "./service-configuration.js";
