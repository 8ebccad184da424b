export type * from "./child-asker.js";
export type * from "./event-bus.js";
export type * from "./event-sink.js";
export type * from "./job-launcher.js";
export type * from "./question-changes.js";
export type * from "./question-store.js";
export type * from "./revision-store.js";
