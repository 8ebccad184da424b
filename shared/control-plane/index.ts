export * from "./outcome-status.js";
export * from "./peer-address.js";
export * from "./publish-event.js";
export * from "./question-reference.js";
export * from "./question-request.js";
export * from "./topic-names.js";
