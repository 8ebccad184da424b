export * from "./ask-errors.js";
export * from "./child.js";
export * from "./network-client.js";
