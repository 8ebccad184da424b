import { describe, expect, it } from "vitest";
import {
  type LogLabels,
  type LogSeverity,
  loggerFrom,
  logOutput,
  severityOfPythonLevel,
} from "../../../shared/ports/index.js";

describe("severityOfPythonLevel", () => {
  it("keeps Python's level names, and maps other levels by number", () => {
    expect(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"].map((name) => severityOfPythonLevel(name))).toEqual([
      "DEBUG",
      "INFO",
      "WARNING",
      "ERROR",
      "CRITICAL",
    ]);
    expect([5, 15, 25, 35, 45, 55].map((number) => severityOfPythonLevel("CUSTOM", number))).toEqual([
      "DEBUG",
      "DEBUG",
      "INFO",
      "WARNING",
      "ERROR",
      "CRITICAL",
    ]);
    expect(severityOfPythonLevel(undefined)).toBe("INFO");
  });
});

describe("loggerFrom and logOutput", () => {
  it("merge a child's labels and a line's, and log each non-blank line of output on its own", () => {
    const written: [LogSeverity, string, LogLabels][] = [];
    const log = loggerFrom((severity, message, labels) => written.push([severity, message, labels]), {
      function: "f",
    });
    logOutput(log.child({ question_uuid: "q" }), "one\n\ntwo\r\n", "WARNING", { labels: { sruid: "s" } });
    expect(written).toEqual([
      ["WARNING", "one", { function: "f", question_uuid: "q", sruid: "s" }],
      ["WARNING", "two", { function: "f", question_uuid: "q", sruid: "s" }],
    ]);
  });
});
