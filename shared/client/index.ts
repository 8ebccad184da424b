export * from "./child.js";
export * from "./network-client.js";
export * from "./pubsub-transport.js";
export type * from "./question-transport.js";
