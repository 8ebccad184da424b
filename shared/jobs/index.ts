export * from "./job-container.js";
