export {
  type CloudRunClientOptions,
  CloudRunJobLauncher,
  type CloudRunJobLauncherOptions,
} from "./cloud-run-job-launcher.js";
export {
  hasEnded,
  observeExecution,
  QUESTION_UUID_FLAG,
  QUESTION_UUID_VARIABLE,
  questionUuidOf,
  type TimedObservation,
} from "./execution-state.js";
export { DEFAULT_MAX_TIMEOUT_SECONDS, LABELS, MANAGED_BY, SRUID_ANNOTATION } from "./job-definition.js";
export { cloudRunJobId, labelValue, MAX_JOB_ID_LENGTH } from "./job-names.js";
