export type * from "./child-asker.js";
export type * from "./event-sink.js";
