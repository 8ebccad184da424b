export * from "./find-app-entry.js";
