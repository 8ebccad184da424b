export * from "./base.js";
export * from "./bus-errors.js";
export * from "./config-errors.js";
export * from "./control-plane-errors.js";
export * from "./event-errors.js";
export * from "./identity-errors.js";
export * from "./runtime-errors.js";
export * from "./twine-errors.js";
