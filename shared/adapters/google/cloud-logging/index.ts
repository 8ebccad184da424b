export {
  type CloudLoggingLoggerOptions,
  cloudLoggingLogger,
  LABELS_FIELD,
  SPAN_ID_FIELD,
  TRACE_FIELD,
  TRACE_SAMPLED_FIELD,
} from "./cloud-logging-logger.js";
