import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { answerFromCommandLine } from "../../cli/actions/service.js";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../platform/embedded-network.js";
import { createHttpApi } from "../../platform/http-api.js";
import { createQuestionAttributes } from "../../shared/events/index.js";
import type { JobLauncher } from "../../shared/ports/index.js";

const scratch = mkdtempSync(path.join(tmpdir(), "twined-cloud-log-"));
const RECIPIENT = "testing/logger:1.0.0";

/** A service that logs at every level Python has, then answers. */
function loggingService(): string {
  const directory = path.join(scratch, "logger");
  mkdirSync(directory, { recursive: true });
  writeFileSync(
    path.join(directory, "octue.yaml"),
    "services:\n  - namespace: testing\n    name: logger\n    app_source_path: .\n    twine_path: twine.json\n",
  );
  writeFileSync(path.join(directory, "twine.json"), JSON.stringify({ output_values_schema: { type: "integer" } }));
  writeFileSync(
    path.join(directory, "app.py"),
    [
      "import logging",
      "logger = logging.getLogger(__name__)",
      "def run(analysis):",
      "    logger.info('an info')",
      "    logger.warning('a warning')",
      "    logger.error('an error')",
      "    logger.critical('a critical')",
      "    print('printed by the app')",
      "    analysis.output_values = 1",
      "",
    ].join("\n"),
  );
  return directory;
}

/** Launches nothing: the test runs the job itself, as a pod would. */
const noLauncher: JobLauncher = {
  launch: async () => ({ launched: true }),
  cancel: async () => false,
  phase: () => undefined,
  close: async () => {},
};

describe("twined service answer --question-uuid (a cloud job)", () => {
  let network: EmbeddedNetwork;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    network = await startEmbeddedNetwork({
      dataDirectory: path.join(scratch, ".twined"),
      databasePath: ":memory:",
      launcher: () => noLauncher,
    });
    server = createHttpApi(network).listen(0, "127.0.0.1");
    await new Promise((resolve) => server.once("listening", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    network.setNetworkUrl(base);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await network.close();
  });

  /** Runs a job for a new question as a pod would, and returns what it printed, each line parsed. */
  async function runJob(forwardLogs: boolean) {
    const attributes = createQuestionAttributes({ sender: "testing/asker:1.0.0", recipient: RECIPIENT, forwardLogs });
    const questionUuid = attributes.question_uuid;
    await network.questions.create({
      questionUuid,
      recipient: attributes.recipient,
      sender: attributes.sender,
      parentQuestionUuid: undefined,
      originatorQuestionUuid: attributes.originator_question_uuid,
      question: { kind: "question" },
      attributes,
      pushEndpoint: undefined,
      timeoutSeconds: undefined,
      priority: 0,
      resources: { cpus: 1 },
    });
    const captured = { stdout: "", stderr: "" };
    const service = loggingService();
    const cwd = process.cwd();
    process.chdir(service);
    let code: number;
    try {
      code = await answerFromCommandLine(
        { questionUuid, heartbeatInterval: 60 },
        {
          stdout: { write: (text: string) => (captured.stdout += text) },
          stderr: { write: (text: string) => (captured.stderr += text) },
        },
        { TWINED_NETWORK_URL: base, GOOGLE_CLOUD_PROJECT: "my-project" },
      );
    } finally {
      process.chdir(cwd);
    }
    expect(code, captured.stderr).toBe(0);
    const parse = (text: string) =>
      text
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as Record<string, unknown> & { event?: { kind: string } });
    return { questionUuid, printed: [...parse(captured.stdout), ...parse(captured.stderr)] };
  }

  it("prints only JSON lines; the service's log records keep their Python level as severity, labelled with the question and SRUID", async () => {
    const { questionUuid, printed } = await runJob(true);
    for (const entry of printed) {
      expect(entry.severity).toMatch(/^(DEBUG|INFO|NOTICE|WARNING|ERROR|CRITICAL)$/);
      expect(typeof entry.message).toBe("string");
    }
    const records = printed.filter((entry) => entry.event?.kind === "log_record");
    const bySeverity = Object.fromEntries(records.map((entry) => [entry.message, entry.severity]));
    expect(bySeverity).toMatchObject({
      "an info": "INFO",
      "a warning": "WARNING",
      "an error": "ERROR",
      "a critical": "CRITICAL",
    });
    const sruid = (records[0]?.["logging.googleapis.com/labels"] as Record<string, string> | undefined)?.sruid;
    expect(sruid).toMatch(/^testing\/logger:/);
    for (const record of records) {
      expect(record["logging.googleapis.com/labels"]).toEqual({ question_uuid: questionUuid, sruid });
    }
    // The app's own output, and the events' envelopes as before (what the network recorded).
    expect(printed.some((entry) => entry.message === "printed by the app")).toBe(true);
    expect(printed.find((entry) => entry.event?.kind === "result")).toMatchObject({
      severity: "NOTICE",
      event: { kind: "result", output_values: 1 },
      attributes: { question_uuid: questionUuid },
    });
  }, 60_000);

  it("logs the records of a question whose asker does not want them forwarded, still at their level", async () => {
    const { questionUuid, printed } = await runJob(false);
    expect(printed.filter((entry) => entry.event?.kind === "log_record")).toEqual([]);
    const logged = Object.fromEntries(
      printed.filter((entry) => entry.event === undefined).map((entry) => [entry.message, entry]),
    );
    expect(logged["a warning"]).toMatchObject({ severity: "WARNING" });
    expect(logged["a critical"]).toMatchObject({
      severity: "CRITICAL",
      "logging.googleapis.com/labels": { question_uuid: questionUuid },
    });
  }, 60_000);
});
