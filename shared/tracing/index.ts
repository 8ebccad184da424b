export * from "./http-trace-context.js";
export * from "./trace-context.js";
