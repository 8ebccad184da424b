import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { type AddressInfo, createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { collectProcess } from "../support/collect-process.js";
import { testTwinedCommand } from "../support/twined-command.js";

/** Nothing listens here: every network call fails to connect at once. */
const UNREACHABLE = "http://127.0.0.1:1";
const QUESTION_UUID = "ca534cdd-24cb-4ed2-af57-e36757192acb";

/** Runs `twined ARGS` as a user would, as its own process; stdin is empty. */
function runTwinedProcess(
  args: readonly string[],
  cwd: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const [command = process.execPath, ...prefix] = testTwinedCommand();
  return collectProcess(command, [...prefix, ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: "1", TWINED_DEBUG: "", TWINED_NETWORK_URL: "" },
  });
}

/** Folders each failure starts from. */
function fixtures() {
  const root = mkdtempSync(path.join(tmpdir(), "twined-expected-failures-"));
  const empty = path.join(root, "empty");
  mkdirSync(empty);
  const brokenTwine = path.join(root, "broken-twine");
  mkdirSync(brokenTwine);
  writeFileSync(path.join(brokenTwine, "octue.yaml"), "services:\n  - namespace: testing\n    name: broken\n");
  writeFileSync(path.join(brokenTwine, "twine.json"), '{"input_values_schema": {"type": "object",');
  writeFileSync(path.join(brokenTwine, "app.py"), "def run(analysis):\n    pass\n");
  const brokenYaml = path.join(root, "broken-yaml");
  mkdirSync(brokenYaml);
  writeFileSync(path.join(brokenYaml, "octue.yaml"), "services:\n  - namespace: [testing\n");
  writeFileSync(path.join(root, "bad.json"), "{not json");
  return { root, empty, brokenTwine, brokenYaml, badJson: path.join(root, "bad.json") };
}

const where = fixtures();

/** A server that drops each connection as it accepts it, before any answer. */
const dropping = createServer((socket) => socket.destroy());
await new Promise<void>((resolve) => dropping.listen(0, "127.0.0.1", resolve));
const DROPPING = `http://127.0.0.1:${(dropping.address() as AddressInfo).port}`;
afterAll(() => new Promise<void>((resolve) => dropping.close(() => resolve())));

/** Each command with a failure a user meets in their first hour: [what, cwd, args]. */
const CASES: readonly (readonly [string, string, readonly string[]])[] = [
  ["an unknown command", where.empty, ["nonesuch"]],
  ["an unknown flag", where.empty, ["question", "ask", "a/b", "--bogus"]],
  ["a flag missing its value", where.empty, ["question", "ask", "a/b", "--timeout"]],
  ["a flag with a bad number", where.empty, ["question", "ask", "a/b", "--timeout", "soon"]],
  ["ask-local without an octue.yaml", where.empty, ["question", "ask-local"]],
  ["ask-local with a broken twine", where.brokenTwine, ["question", "ask-local"]],
  ["ask-local with broken YAML", where.brokenYaml, ["question", "ask-local"]],
  ["ask-local with bad JSON inline", where.brokenTwine, ["question", "ask-local", "-i", "{bad"]],
  ["ask-local with a missing input file", where.brokenTwine, ["question", "ask-local", "-i", "@missing.json"]],
  ["ask-local with a bad JSON file", where.brokenTwine, ["question", "ask-local", "-i", `@${where.badJson}`]],
  ["ask-local from missing diagnostics", where.brokenTwine, ["question", "ask-local", "--from-diagnostics", "nope"]],
  ["ask with an invalid service ID", where.empty, ["question", "ask", "Not An ID", "--network", UNREACHABLE]],
  ["ask an unreachable network", where.empty, ["question", "ask", "testing/unknown", "--network", UNREACHABLE]],
  ["ask with no network", where.empty, ["question", "ask", "testing/unknown"]],
  ["status on an unreachable network", where.empty, ["question", "status", QUESTION_UUID, "--network", UNREACHABLE]],
  ["status of a non-UUID", where.empty, ["question", "status", "nope", "--network", UNREACHABLE]],
  ["cancel on an unreachable network", where.empty, ["question", "cancel", QUESTION_UUID, "--network", UNREACHABLE]],
  [
    "diagnostics on an unreachable network",
    where.empty,
    ["question", "diagnostics", QUESTION_UUID, "--network", UNREACHABLE],
  ],
  [
    "events get on an unreachable network",
    where.empty,
    ["question", "events", "get", "--question-uuid", QUESTION_UUID, "--network", UNREACHABLE],
  ],
  [
    "events replay on an unreachable network",
    where.empty,
    ["question", "events", "replay", QUESTION_UUID, "--network", UNREACHABLE],
  ],
  [
    "events get from a server that drops the connection",
    where.empty,
    ["question", "events", "get", "--question-uuid", QUESTION_UUID, "--network", DROPPING],
  ],
  ["revision list from a server that drops the connection", where.empty, ["revision", "list", "--network", DROPPING]],
  ["service init of an unknown template", where.empty, ["service", "init", "nonesuch"]],
  ["service init with an invalid namespace", where.root, ["service", "init", "fractal", "x", "--namespace", "My Org"]],
  ["service validate without an octue.yaml", where.empty, ["service", "validate"]],
  ["service validate with a broken twine", where.brokenTwine, ["service", "validate"]],
  ["service validate with broken YAML", where.brokenYaml, ["service", "validate"]],
  ["service answer with bad JSON", where.brokenTwine, ["service", "answer", "-q", "{bad"]],
  ["service answer with a missing file", where.brokenTwine, ["service", "answer", "-q", "@missing.json"]],
  ["service start on an unreachable network", where.brokenTwine, ["service", "start", "--network", UNREACHABLE]],
  ["service start without an octue.yaml", where.empty, ["service", "start", "--network", UNREACHABLE]],
  ["service tag with a bad commit", where.empty, ["service", "tag", "--branch", "main", "--commit", "xyz"]],
  ["twine check of a missing twine", where.empty, ["twine", "check", "missing.json"]],
  ["twine check of a broken twine", where.brokenTwine, ["twine", "check", "twine.json"]],
  ["revision list on an unreachable network", where.empty, ["revision", "list", "--network", UNREACHABLE]],
  [
    "revision register on an unreachable network",
    where.brokenTwine,
    ["revision", "register", "--image", "example.com/image:1", "--revision-tag", "1.0.0", "--network", UNREACHABLE],
  ],
  [
    "revision set-default on an unreachable network",
    where.empty,
    ["revision", "set-default", "testing/unknown:1.0.0", "--network", UNREACHABLE],
  ],
  ["dead-letters list on an unreachable network", where.empty, ["dead-letters", "list", "--network", UNREACHABLE]],
  [
    "dead-letters replay on an unreachable network",
    where.empty,
    ["dead-letters", "replay", "--all", "--network", UNREACHABLE],
  ],
  ["dashboard with a bad port", where.empty, ["dashboard", "--network", UNREACHABLE, "--port", "nope"]],
  ["dev with a bad backend", where.empty, ["dev", "--backend", "nonesuch"]],
];

describe("twined, each command failing as expected", () => {
  it.each(CASES)("%s: one message, no stack trace, exit 1 or 2", async (_what, cwd, args) => {
    const result = await runTwinedProcess(args, cwd);
    for (const stream of [result.stderr, result.stdout]) {
      expect(stream).not.toMatch(/^ {4}at /m);
      expect(stream).not.toMatch(/node:internal|Unhandled|\bthrow\b/);
    }
    // Some commands report on stdout (service validate, twine check list their problems there).
    expect(`${result.stderr}${result.stdout}`.trim()).not.toBe("");
    expect([1, 2]).toContain(result.code);
  });
});
