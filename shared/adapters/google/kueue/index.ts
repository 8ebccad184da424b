export * from "./cluster-access.js";
export * from "./job-manifest.js";
export * from "./job-observation.js";
export * from "./kueue-job-launcher.js";
export * from "./priority-classes.js";
