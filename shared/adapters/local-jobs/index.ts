export { AdmissionQueue } from "./admission-queue.js";
export { LocalJobLauncher, type LocalJobLauncherOptions } from "./local-job-launcher.js";
