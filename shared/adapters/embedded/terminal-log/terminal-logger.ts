import { type Logger, type LogLabels, type LogSeverity, loggerFrom } from "../../../ports/index.js";

export interface TerminalLoggerOptions {
  /** Where lines go; by default stderr. */
  readonly stream?: { write(text: string): unknown };
  readonly labels?: LogLabels;
}

/**
 * Readable text for a terminal: each line as written, a question's lines prefixed with the start of its UUID
 * (`[1b2c3d4e] …`), as `twined dev` has always shown its jobs' output. Severity and the other labels are left out: a
 * person reading a terminal has the context; Cloud Logging's JSON (`cloudLoggingLogger`) is for machines.
 */
export function terminalLogger(options: TerminalLoggerOptions = {}): Logger {
  const stream = options.stream ?? process.stderr;
  const write = (_severity: LogSeverity, message: string, labels: LogLabels) => {
    const question = labels.question_uuid;
    const text = message.endsWith("\n") ? message : `${message}\n`;
    stream.write(question === undefined ? text : text.replace(/^(?=.)/gm, `[${question.slice(0, 8)}] `));
  };
  return loggerFrom(write, options.labels);
}
