/**
 * Fuzzes the `twined` command line, in-process (`runCli`, as test/cli/run-cli.ts runs it) with its output captured:
 * argument lists built from the real command tree (every command, option and argument it declares, read from
 * `buildProgram`), values good and bad for each kind of option, options of other commands, junk, `--opt=value` forms
 * and missing values.
 *
 * It runs in an empty folder of its own, against an embedded network of its own (`TWINED_NETWORK_URL`), so that
 * commands that talk to a network get answers and nothing leaves this machine. `dev`, `demo` and `service start` run
 * until Ctrl-C (or a whole demo): their actions are replaced by stubs, so only their argument parsing is fuzzed.
 *
 * Property: the exit code is 0, 1 or 2 (the README's contract); nothing printed shows a stack trace or an error that
 * is not one of the project's (`TypeError: …`); `runCli` never throws and nothing rejects unhandled.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Command } from "commander";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { buildProgram, runCli } from "../../cli/program.js";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../platform/embedded-network.js";
import { createHttpApi } from "../../platform/http-api.js";
import * as projectErrors from "../../shared/errors/index.js";
import { TwinedError } from "../../shared/errors/index.js";
import { deepJsonText, ODD_STRINGS } from "./support/arbitraries.js";
import { fuzz, testTimeoutMs } from "./support/fuzz-run.js";
import { BUILT_IN_ERROR_NAMES, describeThrown, hasStackTrace } from "./support/inspection.js";
import { type FindingTally, violation } from "./support/known-findings.js";

// The commands that would run until Ctrl-C (or, for the dashboard, reach Google for identity tokens): their parsing
// is fuzzed, their work is not. A new such command needs a stub here, or the fuzzing times out on it.
vi.mock("../../cli/actions/dev.js", () => ({ runDevNetwork: async () => 0 }));
vi.mock("../../cli/actions/demo.js", () => ({ runDemo: async () => 0 }));
vi.mock("../../cli/actions/dashboard.js", () => ({ runDashboard: async () => 0 }));
vi.mock(import("../../cli/actions/network.js"), async (importOriginal) => ({
  ...(await importOriginal()),
  startService: async () => 0,
}));

let network: EmbeddedNetwork;
let server: Server;
let networkUrl = "";
let workDir = "";
let previousCwd = "";
const previousEnv: Record<string, string | undefined> = {};
const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);

/** Variables that would point commands elsewhere than this file's network and folder. */
const ENVIRONMENT = [
  "TWINED_NETWORK_URL",
  "TWINED_ID_TOKEN",
  "TWINED_TOKEN",
  "GOOGLE_CLOUD_PROJECT",
  "OCTUE_SERVICE_CONFIGURATION_PATH",
  "OCTUE_SERVICE_REVISION_TAG",
  "KUBECONFIG",
  "TWINED_DEBUG",
];

beforeAll(async () => {
  process.on("unhandledRejection", onUnhandled);
  workDir = mkdtempSync(path.join(tmpdir(), "twined-fuzz-cli-"));
  network = await startEmbeddedNetwork({ dataDirectory: path.join(workDir, ".network"), databasePath: ":memory:" });
  server = createHttpApi(network).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  networkUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  for (const name of ENVIRONMENT) {
    previousEnv[name] = process.env[name];
    delete process.env[name];
  }
  process.env.TWINED_NETWORK_URL = networkUrl;
  previousCwd = process.cwd();
  // A real service to validate (a copy: commands may write into their folder), and files good and bad to name.
  cpSync(path.resolve("examples/child-services/elevation"), path.join(workDir, "svc"), { recursive: true });
  process.chdir(workDir);
  writeFileSync("values.json", '{"locations": [{"longitude": 0, "latitude": 0}]}');
  writeFileSync("junk.json", "{not json");
  writeFileSync("deep.json", deepJsonText(6000, "object"));
  writeFileSync("junk.yaml", "services: [\n");
  mkdirSync("folder.json");
});

afterAll(async () => {
  process.chdir(previousCwd);
  for (const name of ENVIRONMENT) {
    if (previousEnv[name] === undefined) delete process.env[name];
    else process.env[name] = previousEnv[name];
  }
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await network.close();
  rmSync(workDir, { recursive: true, force: true });
  process.off("unhandledRejection", onUnhandled);
});

// --- The command tree, as the program declares it ---------------------------------------------------------------

interface OptionShape {
  readonly flags: readonly string[];
  readonly long: string;
  readonly takesValue: boolean;
  readonly choices: readonly string[];
}

interface CommandShape {
  readonly path: readonly string[];
  readonly options: readonly OptionShape[];
  readonly args: readonly { readonly required: boolean; readonly variadic: boolean }[];
}

async function commandShapes(): Promise<CommandShape[]> {
  const ignore = { write: () => true };
  const program = await buildProgram({ stdout: ignore, stderr: ignore }, () => {});
  const shapes: CommandShape[] = [];
  const visit = (command: Command, parents: readonly string[]) => {
    const commandPath = [...parents, command.name()];
    shapes.push({
      path: commandPath.slice(1),
      options: command.options.map((option) => ({
        flags: [option.long, option.short].filter((flag): flag is string => flag !== undefined),
        long: option.long ?? option.short ?? "",
        takesValue: option.required || option.optional,
        choices: option.argChoices ?? [],
      })),
      args: command.registeredArguments.map((argument) => ({
        required: argument.required,
        variadic: argument.variadic,
      })),
    });
    for (const child of command.commands) visit(child, commandPath);
  };
  visit(program, []);
  return shapes;
}

// --- Values -------------------------------------------------------------------------------------------------------

/**
 * Odd strings safe to hand a command here: none names a place outside the working folder (`..`, absolute paths) or
 * Cloud Storage (`gs://…`, which `question diagnostics` would fetch with this machine's credentials).
 */
const SAFE_ODD = ODD_STRINGS.filter(
  (text) => !text.includes("..") && !text.startsWith("/") && !/^(gs|https?):/.test(text),
);

const DEEP_JSON = deepJsonText(6000, "object");

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const VALUES: Readonly<Record<string, readonly string[]>> = {
  json: [
    '{"locations": [{"longitude": 0, "latitude": 0}]}',
    '{"n": 1}',
    "[1, 2]",
    "{not json",
    '{"a": 1, "a": 2}',
    "@values.json",
    "@junk.json",
    "@missing.json",
    "@folder.json",
    "@deep.json",
    "@",
    DEEP_JSON,
    "",
  ],
  number: ["0", "1", "2", "-1", "1.5", "1e309", "NaN", "Infinity", "abc", "", "99999999999999999999", "0x10"],
  network: ["NETWORK", "http://127.0.0.1:1", "http://[::1]:1/", "ftp://127.0.0.1/", "not a url", "http://", ""],
  pushEndpoint: ["http://127.0.0.1:9/push", "https://127.0.0.1:9/", "not a url", ""],
  file: [
    "octue.yaml",
    "missing.yaml",
    "junk.yaml",
    "svc",
    "svc/twine.json",
    "junk.json",
    "folder.json",
    "out/x.json",
    "",
  ],
  uuid: ["3fa85f64-5717-4562-b3fc-2c963f66afa6", "3FA85F64-5717-4562-B3FC-2C963F66AFA6", "not-a-uuid", ""],
  kinds: ["result,log_record", "result", ",,,", "nope", ""],
  image: ["registry.example/fuzz/instant:1", "Bad Image", "x@sha256:zz", "a:b:c", ""],
  tag: ["1.0.0", "main", "feature/New_UI", "1a2b3c4", "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b", "zzzzzzz", "-", ""],
  quantity: ["1Gi", "512Mi", "-1", "1.5X", ""],
  list: ["name=1,other=2", "name", "=", ""],
};

/** Which pool an option's values come from, by its long flag. */
function poolOf(long: string): readonly string[] {
  const byName: Readonly<Record<string, string>> = {
    "--input-values": "json",
    "--input-manifest": "json",
    "--configuration-values": "json",
    "--configuration-manifest": "json",
    "--output-values": "json",
    "--output-manifest": "json",
    "--monitor-message": "json",
    "--children": "json",
    "--question": "json",
    "--timeout": "number",
    "--max-heartbeat-interval": "number",
    "--heartbeat-interval": "number",
    "--priority": "number",
    "--cpus": "number",
    "--limit": "number",
    "--port": "number",
    "--size": "number",
    "--network": "network",
    "--job-network-url": "network",
    "--registry": "network",
    "--push-endpoint": "pushEndpoint",
    "--question-uuid": "uuid",
    "--parent-question-uuid": "uuid",
    "--originator-question-uuid": "uuid",
    "--kinds": "kinds",
    "--exclude-kinds": "kinds",
    "--image": "image",
    "--tag": "tag",
    "--revision-tag": "tag",
    "--branch": "tag",
    "--commit": "tag",
    "--default-branch": "tag",
    "--memory": "quantity",
    "--ephemeral-storage": "quantity",
    "--priority-classes": "list",
  };
  return VALUES[byName[long] ?? "file"] ?? [];
}

const POSITIONALS = [
  "fuzz/instant",
  "fuzz/instant:1.0.0",
  "examples/elevation",
  "Bad/ID",
  "a",
  "3fa85f64-5717-4562-b3fc-2c963f66afa6",
  "fractal",
  "using-manifests",
  "child-services",
  "svc",
  "new-service",
  ".",
  "svc/twine.json",
  "junk.json",
  "missing.json",
  "folder.json",
];

// --- Argument lists -----------------------------------------------------------------------------------------------

function argvArbitrary(shapes: readonly CommandShape[]): fc.Arbitrary<string[]> {
  const allOptions = shapes.flatMap((shape) => shape.options);
  const optionToken = (option: OptionShape): fc.Arbitrary<string[]> => {
    const flag = fc.constantFrom(...option.flags);
    if (!option.takesValue) return flag.map((each) => [each]);
    const value = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...(option.choices.length > 0 ? option.choices : poolOf(option.long))) },
      { weight: 1, arbitrary: fc.constantFrom(...SAFE_ODD) },
    );
    return fc.oneof(
      { weight: 6, arbitrary: fc.tuple(flag, value).map(([each, text]) => [each, text]) },
      { weight: 1, arbitrary: fc.tuple(flag, value).map(([each, text]) => [`${each}=${text}`]) },
      // The value left out: the next token (or nothing) is taken for it.
      { weight: 1, arbitrary: flag.map((each) => [each]) },
    );
  };
  const junk = fc.constantFrom("--nope", "-z", "--", "-", "---x", "--=x", "--help", "-h", "--version", "-V");
  return fc.constantFrom(...shapes).chain((shape) => {
    const own = shape.options.length > 0 ? fc.constantFrom(...shape.options).chain(optionToken) : fc.constant([]);
    const other = fc.constantFrom(...allOptions).chain(optionToken);
    const positional = fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom(...POSITIONALS) },
      { weight: 1, arbitrary: fc.constantFrom(...SAFE_ODD) },
    );
    // Its arguments, mostly given (so that its action runs), then options and strays in any order.
    const args = fc.tuple(
      ...shape.args.map((argument) =>
        fc.oneof(
          { weight: argument.required ? 8 : 3, arbitrary: positional.map((value) => [value]) },
          { weight: 1, arbitrary: fc.constant<string[]>([]) },
        ),
      ),
    );
    const tokens = fc.array(
      fc.oneof(
        { weight: 12, arbitrary: own },
        { weight: 1, arbitrary: other },
        { weight: 1, arbitrary: positional.map((value) => [value]) },
        { weight: 1, arbitrary: junk.map((value) => [value]) },
      ),
      { maxLength: 4 },
    );
    return fc.tuple(args, tokens).map(([given, extra]) =>
      [...shape.path, ...given.flat(), ...extra.flat()].map((token) =>
        // A real command line is decoded from UTF-8, so it never holds a lone surrogate.
        token === "NETWORK" ? networkUrl : token.replace(LONE_SURROGATE, "\uFFFD"),
      ),
    );
  });
}

// --- What must hold -----------------------------------------------------------------------------------------------

/** The names of the project's error classes: the only ones a command may name when it fails. */
const PROJECT_ERROR_NAMES: ReadonlySet<string> = new Set([
  TwinedError.name,
  ...Object.values(projectErrors)
    .filter(
      (value): value is typeof TwinedError => typeof value === "function" && value.prototype instanceof TwinedError,
    )
    .map((value) => value.name),
]);

/** A line naming an error that is not the project's: `error: TypeError: …`, or `RangeError: …` alone. */
function untypedErrorLine(text: string): string | undefined {
  for (const line of text.split("\n")) {
    const match = /^(?:error: )?([A-Z]\w*(?:Error|Exception)): /.exec(line);
    const name = match?.[1];
    if (name === undefined) continue;
    if (BUILT_IN_ERROR_NAMES.has(name) || !PROJECT_ERROR_NAMES.has(name)) return line;
  }
  return undefined;
}

async function checkCommand(argv: readonly string[], findings: FindingTally): Promise<void> {
  let stdout = "";
  let stderr = "";
  let code: number;
  try {
    code = await runCli(argv, {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
    });
  } catch (error) {
    violation(`runCli threw: ${describeThrown(error)}`);
  }
  // Commands that write files write them here; a folder left by one changes what the next finds, which is fine.
  process.chdir(workDir);
  findings.outcome(`${argv.slice(0, 2).join(" ")} → ${code}`);
  const shown = `exit ${code}\n--- stdout\n${stdout.slice(0, 1500)}\n--- stderr\n${stderr.slice(0, 1500)}`;
  if (code !== 0 && code !== 1 && code !== 2) violation(`exit code outside 0, 1, 2: ${shown}`);
  if (hasStackTrace(stdout) || hasStackTrace(stderr)) violation(`a stack trace was printed: ${shown}`);
  const untyped = untypedErrorLine(stderr) ?? untypedErrorLine(stdout);
  if (untyped !== undefined) violation(`an error that is not the project's was printed: '${untyped}'\n${shown}`);
  if (unhandled.length > 0) violation(`an unhandled rejection: ${describeThrown(unhandled.splice(0)[0])}`);
}

describe("fuzzing the command line", () => {
  it(
    "exits 0, 1 or 2 with the project's own errors, never a stack trace or an untyped error",
    async () => {
      const report = await fuzz({
        surface: "cli",
        msPerInputWorstCase: 300,
        arbitrary: argvArbitrary(await commandShapes()),
        check: checkCommand,
        inputTimeoutMs: 30_000,
        describeInput: (argv) =>
          JSON.stringify(argv.map((token) => (token.length > 200 ? `${token.slice(0, 200)}…` : token))),
      });
      expect(report.inputs).toBeGreaterThan(0);
    },
    testTimeoutMs("cli", 300),
  );
});
