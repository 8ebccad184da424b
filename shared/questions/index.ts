export * from "./question-status.js";
