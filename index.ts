/**
 * Twined's public library API. Everything here is stable to import from the package root: `import { … } from "twined"`.
 */
export * from "./shared/app/index.js";
export * from "./shared/client/index.js";
export * from "./shared/config/index.js";
export * from "./shared/errors/index.js";
export * from "./shared/events/index.js";
export * from "./shared/identity/index.js";
export * from "./shared/json/index.js";
export type * from "./shared/ports/index.js";
export * from "./shared/questions/index.js";
export * from "./shared/service/index.js";
export * from "./shared/subscription-filter/index.js";
export * from "./shared/twine/index.js";
export { TWINED_VERSION } from "./shared/version.js";
