export { AdmissionQueue } from "./admission-queue.js";
export { LocalJobLauncher, type LocalJobLauncherOptions } from "./local-job-launcher.js";
export { ProcessJobExecutor, type ProcessJobExecutorOptions } from "./process-job-executor.js";
