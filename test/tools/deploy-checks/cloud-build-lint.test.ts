// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are Cloud Build configs, whose ${NAME} is a substitution
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { CloudBuildSchemaError } from "../../../shared/errors/index.js";
import { FUNCTION_RUNTIMES, runtimeProblem } from "../../../tools/deploy-checks/cloud-build-functions.js";
import {
  type CloudBuildLintOptions,
  type CloudBuildProblem,
  formatCloudBuildProblem,
  lintCloudBuild,
} from "../../../tools/deploy-checks/cloud-build-lint.js";
import { loadCloudBuildSchema } from "../../../tools/deploy-checks/cloud-build-schema.js";
import { substitutionReferences } from "../../../tools/deploy-checks/cloud-build-substitutions.js";

const fixture = (name: string) => fileURLToPath(new URL(`../../fixtures/cloud-build/${name}`, import.meta.url));

// Runtimes are judged on a date; fixing it keeps these tests true after the schedule moves on.
const TODAY = "2026-11-29";

/** Lints lines of YAML (line N of the file is lines[N - 1]). */
function lint(lines: readonly string[], options: CloudBuildLintOptions = {}): CloudBuildProblem[] {
  return lintCloudBuild(`${lines.join("\n")}\n`, "cloudbuild.yaml", { today: TODAY, ...options });
}

/** `line:column path` of each problem, in order. */
function where(problems: readonly CloudBuildProblem[]): string[] {
  return problems.map((problem) => `${problem.line}:${problem.column} ${problem.path}`);
}

function only(problems: readonly CloudBuildProblem[]): CloudBuildProblem {
  expect(problems, JSON.stringify(problems, null, 2)).toHaveLength(1);
  const [problem] = problems;
  if (!problem) throw new Error("no problem");
  return problem;
}

describe("lintCloudBuild on whole files", () => {
  it("finds nothing wrong with a realistic build (ids, waitFor, substitutions, secrets, images, a function deploy)", () => {
    const text = readFileSync(fixture("good.cloudbuild.yaml"), "utf8");
    expect(lintCloudBuild(text, "good.cloudbuild.yaml", { today: TODAY })).toEqual([]);
  });

  it("places each classic mistake on its line and column, sorted by position", () => {
    const problems = lint([
      "steps:", // 1
      "  - id: install", // 2
      "    name: node:22", // 3
      "    arg: [ci]", // 4
      "  - id: deploy", // 5
      "    name: gcr.io/google.com/cloudsdktool/cloud-sdk", // 6
      "    entrypoint: gcloud", // 7
      "    waitFor: [instal]", // 8
      "    args: [functions, deploy, api, --runtime=nodejs20, --region=$_REGION, --set-env-vars=V=$SHORTSHA]", // 9
      "    env: [HOME=$$HOME]", // 10
      "substitutions:", // 11
      "  REGION: europe-west1", // 12
      "options:", // 13
      "  machineType: E2_HIGHCPU_4", // 14
      "  logging: CLOUD_ONLY", // 15
      "timeout: 20m", // 16
    ]);
    expect(where(problems)).toEqual([
      "4:5 steps[0].arg",
      "8:15 steps[1].waitFor[0]",
      "9:36 steps[1].args[3]",
      "9:65 steps[1].args[4]",
      "9:92 steps[1].args[5]",
      "12:3 substitutions.REGION",
      "14:16 options.machineType",
      "15:12 options.logging",
      "16:10 timeout",
    ]);
    const messages = problems.map((problem) => problem.message);
    expect(messages[0]).toContain("unknown field 'arg'");
    expect(messages[0]).toContain("did you mean 'args'?");
    expect(messages[1]).toContain("unknown step id 'instal'");
    expect(messages[2]).toContain("nodejs20 was decommissioned on 2026-10-30");
    expect(messages[3]).toContain("'$_REGION' is neither a built-in substitution nor defined");
    expect(messages[4]).toContain("did you mean '$SHORT_SHA'?");
    expect(messages[5]).toContain("rename it to '_REGION'");
    expect(messages[6]).toContain("'E2_HIGHCPU_4' is not one of:");
    expect(messages[7]).toContain("'CLOUD_ONLY' is not one of:");
    expect(messages[8]).toContain('a duration must look like "600s"');
  });

  it("lints the JSON form of a config as well", () => {
    const problems = lintCloudBuild('{"steps": [{"name": "bash", "args": ["x", 1]}]}', "cloudbuild.json");
    expect(where(problems)).toEqual(["1:43 steps[0].args[1]"]);
    expect(problems[0]?.message).toBe("expected a string, got number 1; quote it: '1'");
  });
});

describe("YAML", () => {
  it("reports a syntax error at its position instead of throwing", () => {
    const problem = only(lint(["steps:", "  - name: bash", "    args: [echo, hi", "    id: x"]));
    expect(where([problem])).toEqual(["4:5 (yaml)"]);
    expect(problem.message).toContain("YAML syntax error: Flow sequence");
  });

  it("reports a duplicate key where it is repeated", () => {
    const problem = only(lint(["steps:", "  - name: bash", "    id: one", "    id: two"]));
    expect(where([problem])).toEqual(["4:5 (yaml)"]);
    expect(problem.message).toBe("duplicate key 'id': it is already set in this mapping; keep one");
  });

  it("reports an empty file, a file that is not a mapping, and a second document", () => {
    expect(lintCloudBuild("", "empty.yaml")[0]?.message).toContain("the file is empty");
    expect(lint(["- name: bash"])[0]?.message).toContain("must be a mapping with steps:");
    expect(where(lint(["steps:", "  - name: bash", "---", "steps: []"]))).toEqual(["4:1 (yaml)"]);
  });

  it("follows anchors and merge keys, and reports an alias without an anchor", () => {
    const problems = lint([
      "steps:",
      "  - &node",
      "    name: node:22",
      "    args: [test]",
      "  - <<: *node",
      "    id: again",
      "    colour: blue",
      "  - name: bash",
      "    args: *missing",
    ]);
    expect(where(problems)).toEqual(["7:5 steps[1].colour", "9:11 steps[2].args"]);
    expect(problems[1]?.message).toContain("names no anchor");
  });
});

describe("fields and types from the Build proto", () => {
  it("reports unknown fields at every level with the valid ones and a suggestion", () => {
    const problems = lint([
      "steps:",
      "  - name: bash",
      "    volumes: [{name: cache, pth: /cache}]",
      "options:",
      "  machine_typ: E2_MEDIUM",
      "availableSecrets:",
      "  secretManager:",
      "    - versionName: projects/p/secrets/s/versions/1",
      "      env: TOKEN",
      "      envv: X",
    ]);
    expect(where(problems)).toEqual([
      "3:29 steps[0].volumes[0].pth",
      "5:3 options.machine_typ",
      "10:7 availableSecrets.secretManager[0].envv",
    ]);
    expect(problems[0]?.message).toBe("unknown field 'pth' (valid: name, path); did you mean 'path'?");
    expect(problems[1]?.message).toContain("did you mean 'machineType'?");
    expect(problems[1]?.message).toContain("pool"); // the proto knows fields SchemaStore's schema lacks
  });

  it("accepts the proto's snake_case names, as gcloud converts them, but not both spellings at once", () => {
    expect(lint(["steps:", "  - name: bash", "    id: a", "  - name: bash", "    wait_for: [a]"])).toEqual([]);
    const problem = only(lint(["steps:", "  - name: bash", "    id: a", "    wait_for: []", "    waitFor: []"]));
    expect(problem.message).toBe("'wait_for' and 'waitFor' both set waitFor; keep one");
  });

  it("points a top-level field that belongs elsewhere to options: or steps:", () => {
    const problems = lint(["machineType: E2_MEDIUM", "steps:", "  - name: bash", "args: [x]"]);
    expect(where(problems)).toEqual(["1:1 machineType", "4:1 args"]);
    expect(problems[0]?.message).toContain("it belongs under options:");
    expect(problems[1]?.message).toContain("it belongs in a step under steps:");
  });

  it("rejects output-only fields such as a build's id and status", () => {
    const problems = lint(["id: 1234", "status: SUCCESS", "steps:", "  - name: bash"]);
    expect(where(problems)).toEqual(["1:1 id", "2:1 status"]);
    expect(problems[1]?.message).toBe("'status' is output only: Cloud Build sets it on the running build; remove it");
  });

  it("reports a scalar where a list belongs, and a list where a scalar belongs", () => {
    const problems = lint(["steps:", "  - name: bash", "    args: echo hi", "    dir: [a, b]", "tags: build"]);
    expect(where(problems)).toEqual(["3:11 steps[0].args", "4:10 steps[0].dir", "5:7 tags"]);
    expect(problems[0]?.message).toBe(
      "expected a list, got string 'echo hi'; write args: [...] or one '- item' a line",
    );
    expect(problems[1]?.message).toBe("expected a string, got a list");
  });

  it("checks strings, booleans, integers and maps of strings", () => {
    const problems = lint([
      "steps:",
      "  - name: bash",
      "    args: [run, 8080]",
      "    allowFailure: 'true'",
      "    allowExitCodes: [1, one]",
      "options:",
      "  diskSizeGb: '100'",
      "substitutions:",
      "  _PORT: 8080",
      "  _EMPTY:",
      "images: ['$_PORT$_EMPTY']",
    ]);
    expect(where(problems)).toEqual([
      "3:17 steps[0].args[1]",
      "4:19 steps[0].allowFailure",
      "5:25 steps[0].allowExitCodes[1]",
      "9:10 substitutions._PORT",
      "10:3 substitutions._EMPTY",
    ]);
    expect(problems.map((problem) => problem.message)).toEqual([
      "expected a string, got number 8080; quote it: '8080'",
      "expected true or false, got string 'true'; remove the quotes",
      "expected a whole number, got string 'one'",
      "expected a string, got number 8080; quote it: '8080'",
      "give it a value ('' for empty)",
    ]);
  });

  it("allows only one member of a oneof", () => {
    const problem = only(
      lint(["steps:", "  - name: bash", "dependencies:", "  - empty: true", "    gitSource: {revision: main}"]),
    );
    expect(where([problem])).toEqual(["5:5 dependencies[0].gitSource"]);
    expect(problem.message).toBe("set either empty or gitSource, not both");
  });
});

describe("enums", () => {
  it("lists the valid machine types, without UNSPECIFIED, and suggests the nearest", () => {
    const problem = only(lint(["steps:", "  - name: bash", "options:", "  machineType: E2_HIGHCPU_4"]));
    expect(where([problem])).toEqual(["4:16 options.machineType"]);
    expect(problem.message).toContain("E2_HIGHCPU_8, E2_HIGHCPU_32, E2_MEDIUM, E2_STANDARD_2");
    expect(problem.message).not.toContain("UNSPECIFIED");
    expect(problem.message).toContain("did you mean 'E2_HIGHCPU_8'?");
  });

  it("checks every BuildOptions enum", () => {
    const problems = lint([
      "steps:",
      "  - name: bash",
      "options:",
      "  logging: CLOUD_ONLY",
      "  substitutionOption: LOOSE",
      "  requestedVerifyOption: VERIFY",
      "  defaultLogsBucketBehavior: REGIONAL_USER_OWNED_BUCKET",
      "  logStreamingOption: STREAM_ON",
    ]);
    expect(where(problems)).toEqual([
      "4:12 options.logging",
      "5:23 options.substitutionOption",
      "6:26 options.requestedVerifyOption",
    ]);
    expect(problems[0]?.message).toBe(
      "'CLOUD_ONLY' is not one of: LEGACY, GCS_ONLY, STACKDRIVER_ONLY, CLOUD_LOGGING_ONLY, NONE",
    );
    expect(problems[1]?.message).toContain("MUST_MATCH, ALLOW_LOOSE");
    expect(problems[2]?.message).toContain("NOT_VERIFIED, VERIFIED");
  });
});

describe("durations", () => {
  it("wants seconds followed by s, suggesting the equivalent of a Go-style or bare value", () => {
    const problems = lint(["steps:", "  - name: bash", "    timeout: 600", "timeout: 20m", "queueTtl: 1h30m"]);
    expect(where(problems)).toEqual(["3:14 steps[0].timeout", "4:10 timeout", "5:11 queueTtl"]);
    expect(problems.map((problem) => problem.message)).toEqual([
      'a duration must look like "600s" or "1.5s" (seconds, then s), got number 600; write \'600s\'',
      "a duration must look like \"600s\" or \"1.5s\" (seconds, then s), got string '20m'; write '1200s'",
      "a duration must look like \"600s\" or \"1.5s\" (seconds, then s), got string '1h30m'; write '5400s'",
    ]);
  });

  it("accepts fractional seconds and rejects durations that are not positive", () => {
    expect(lint(["steps:", "  - name: bash", "    timeout: 1.5s"])).toEqual([]);
    const problems = lint(["steps:", "  - name: bash", "    timeout: 0s", "timeout: -5s"]);
    expect(problems.map((problem) => problem.message)).toEqual([
      "a duration must be positive, got '0s'",
      "a duration must be positive, got '-5s'",
    ]);
  });
});

describe("substitutions", () => {
  it("requires user substitution keys to match ^_[A-Z0-9_]+$", () => {
    const problems = lint([
      "steps:",
      "  - name: bash",
      "    args: [$_OK]",
      "substitutions:",
      "  _OK: x",
      "  region: y",
    ]);
    expect(where(problems)).toEqual(["6:3 substitutions.region"]);
    expect(problems[0]?.message).toContain("rename it to '_REGION'");
  });

  it("finds $NAME and ${NAME} references but not $$ escapes", () => {
    expect(substitutionReferences("$_A ${_B} $$HOME $${C} $$$_D ${_E:-x} $1 $(pwd)")).toEqual([
      { name: "_A", token: "$_A", expression: false },
      { name: "_B", token: "${_B}", expression: false },
      { name: "_D", token: "$_D", expression: false },
      { name: "_E", token: "${_E:-x}", expression: true },
    ]);
  });

  it("reports an undefined substitution where it is used, with a hint", () => {
    const problems = lint([
      "steps:",
      "  - name: bash",
      "    args: ['echo $_REGION and $HOME and $$HOME', '${SHORTSHA}']",
      "    dir: $_DIR",
    ]);
    expect(where(problems)).toEqual([
      "3:18 steps[0].args[0]",
      "3:31 steps[0].args[0]",
      "3:51 steps[0].args[1]",
      "4:10 steps[0].dir",
    ]);
    expect(problems.map((problem) => problem.message)).toEqual([
      "'$_REGION' is neither a built-in substitution nor defined; define it under substitutions: or pass it with --substitutions=_REGION=VALUE",
      "'$HOME' is neither a built-in substitution nor defined; a shell or environment variable is written $$HOME, and your own substitutions start with _ (e.g. _HOME)",
      "'${SHORTSHA}' is neither a built-in substitution nor defined; did you mean '${SHORT_SHA}'?",
      "'$_DIR' is neither a built-in substitution nor defined; define it under substitutions: or pass it with --substitutions=_DIR=VALUE",
    ]);
  });

  it("accepts substitutions the trigger or --substitutions provide", () => {
    const lines = ["steps:", "  - name: bash", "    args: [$_REGION, $PROJECT_ID, $BUILD_ID]"];
    expect(lint(lines, { substitutions: ["_REGION"] })).toEqual([]);
  });

  it("allows bash-style expansions only with dynamicSubstitutions, checking the name inside them", () => {
    const lines = ["steps:", "  - name: bash", "    args: ['${_SHA:0:7}', '${_NAME:-default}', '${_OTHER/a/b}']"];
    const definitions = ["substitutions:", "  _SHA: abcdef123", "  _NAME: x"];
    const without = lint([...lines, ...definitions]);
    expect(where(without)).toEqual(["3:13 steps[0].args[0]", "3:28 steps[0].args[1]", "3:49 steps[0].args[2]"]);
    expect(without[0]?.message).toContain("only evaluates with options.dynamicSubstitutions: true");
    const dynamic = lint([...lines, ...definitions, "options:", "  dynamicSubstitutions: true"]);
    expect(where(dynamic)).toEqual(["3:49 steps[0].args[2]"]);
    expect(dynamic[0]?.message).toContain("'${_OTHER/a/b}' is neither a built-in substitution nor defined");
  });

  it("reports a substitution defined but never used, unless substitutionOption is ALLOW_LOOSE", () => {
    const lines = ["steps:", "  - name: bash", "substitutions:", "  _UNUSED: x"];
    const problem = only(lint(lines));
    expect(where([problem])).toEqual(["4:3 substitutions._UNUSED"]);
    expect(problem.message).toContain("defined but never used");
    expect(lint([...lines, "options:", "  substitutionOption: ALLOW_LOOSE"])).toEqual([]);
  });

  it("leaves scripts alone, counting their variables as uses only with automapSubstitutions", () => {
    const lines = ["steps:", "  - name: bash", "    script: echo $_A $HOME $UNDEFINED", "substitutions:", "  _A: x"];
    expect(where(lint(lines))).toEqual(["5:3 substitutions._A"]);
    expect(lint([...lines, "options:", "  automapSubstitutions: true"])).toEqual([]);
    expect(lint([...lines.slice(0, 3), "    automapSubstitutions: true", ...lines.slice(3)])).toEqual([]);
  });
});

describe("steps", () => {
  it("requires a name in every step and at least one step", () => {
    const problem = only(lint(["steps:", "  - id: nameless", "    args: [x]"]));
    expect(where([problem])).toEqual(["2:5 steps[0].name"]);
    expect(problem.message).toContain("a step needs name:");
    expect(only(lint(["timeout: 60s"])).message).toBe("a build config must list at least one step under steps:");
  });

  it("requires unique ids", () => {
    const problem = only(lint(["steps:", "  - name: a", "    id: x", "  - name: b", "    id: x"]));
    expect(where([problem])).toEqual(["5:9 steps[1].id"]);
    expect(problem.message).toBe("step id 'x' is already used by steps[0]; ids must be unique");
  });

  it("lets waitFor name only earlier steps, and '-' only alone", () => {
    const problems = lint([
      "steps:",
      "  - name: a",
      "    id: first",
      "    waitFor: [later]",
      "  - name: b",
      "    id: later",
      "    waitFor: ['-', first, frist, later]",
    ]);
    expect(where(problems)).toEqual([
      "4:15 steps[0].waitFor[0]",
      "7:15 steps[1].waitFor[0]",
      "7:27 steps[1].waitFor[2]",
      "7:34 steps[1].waitFor[3]",
    ]);
    expect(problems.map((problem) => problem.message)).toEqual([
      "'later' is steps[1], which comes later; a step can only wait for steps defined before it",
      "'-' (start at once) must be the only entry of waitFor",
      "unknown step id 'frist' (earlier ids: first); did you mean 'first'?",
      "a step cannot wait for itself ('later')",
    ]);
  });

  it("refuses script together with args or entrypoint", () => {
    const problems = lint(["steps:", "  - name: bash", "    entrypoint: bash", "    args: [-c, ls]", "    script: ls"]);
    expect(where(problems)).toEqual(["5:5 steps[0].script", "5:5 steps[0].script"]);
    expect(problems.map((problem) => problem.message)).toEqual([
      "a step has either script or args, not both; move the args into the script",
      "a step has either script or entrypoint, not both; move the entrypoint into the script",
    ]);
  });

  it("wants env entries as KEY=value, in steps and options", () => {
    const problems = lint(["steps:", "  - name: bash", "    env: [A=1, B]", "options:", "  env: ['=x']"]);
    expect(where(problems)).toEqual(["3:16 steps[0].env[1]", "5:9 options.env[0]"]);
    expect(problems[0]?.message).toBe("env entry 'B' must look like KEY=value");
  });

  it("wants each secretEnv defined by availableSecrets", () => {
    const problems = lint([
      "availableSecrets:",
      "  secretManager:",
      "    - versionName: projects/$PROJECT_ID/secrets/token/versions/latest",
      "      env: TOKEN",
      "  inline:",
      "    - kmsKeyName: projects/p/locations/global/keyRings/r/cryptoKeys/k",
      "      envMap: {PASSWORD: c2VjcmV0}",
      "steps:",
      "  - name: bash",
      "    secretEnv: [TOKEN, PASSWORD, TOKNE]",
    ]);
    expect(where(problems)).toEqual(["10:34 steps[0].secretEnv[2]"]);
    expect(problems[0]?.message).toContain("secret env 'TOKNE' is not defined");
    expect(problems[0]?.message).toContain("did you mean 'TOKEN'?");
  });

  it("refuses source, which gcloud does not allow in a config", () => {
    const problems = lint(["source: {storageSource: {bucket: b, object: o}}", "steps:", "  - name: bash"]);
    expect(where(problems)).toEqual(["1:1 source"]);
  });
});

describe("gcloud functions deploy", () => {
  it("reports a decommissioned runtime with its date and what to use instead", () => {
    const problem = only(
      lint([
        "steps:",
        "  - name: gcr.io/cloud-builders/gcloud",
        "    args: [functions, deploy, api, --runtime, nodejs20]",
      ]),
    );
    expect(where([problem])).toEqual(["3:47 steps[0].args[4]"]);
    expect(problem.message).toBe(
      "runtime nodejs20 was decommissioned on 2026-10-30 (deprecated since 2026-04-30): deploys with it fail; use nodejs22 or nodejs24",
    );
  });

  it("says a runtime is deprecated before its decommission date", () => {
    const problem = only(
      lint(["steps:", "  - name: gcloud", "    args: [functions, deploy, api, --runtime=nodejs20]"], {
        today: "2026-06-01",
      }),
    );
    expect(problem.message).toContain(
      "nodejs20 is deprecated since 2026-04-30 and will be decommissioned on 2026-10-30",
    );
  });

  it("finds the deploy inside a shell line or a script, and a deploy that names no runtime", () => {
    const problems = lint([
      "steps:",
      "  - name: gcr.io/google.com/cloudsdktool/cloud-sdk",
      "    entrypoint: bash",
      "    args:",
      "      - -c",
      "      - |",
      "        gcloud beta functions deploy api \\",
      "          --runtime nodejs18 --region=europe-west1",
      "        gcloud functions deploy other --region=europe-west1",
      "  - name: gcr.io/google.com/cloudsdktool/cloud-sdk",
      "    script: gcloud functions deploy third --runtime=nodejs16 --trigger-http",
    ]);
    expect(where(problems)).toEqual(["8:21 steps[0].args[1]", "9:16 steps[0].args[1]", "11:43 steps[1].script"]);
    expect(problems[0]?.message).toContain("nodejs18 was decommissioned on 2025-10-30");
    expect(problems[1]?.message).toBe(
      "gcloud functions deploy without --runtime; name the runtime: --runtime=nodejs22",
    );
    expect(problems[2]?.message).toContain("nodejs16 was decommissioned on 2025-01-30");
  });

  it("accepts a supported runtime and leaves a runtime given by substitution alone", () => {
    expect(runtimeProblem("nodejs22", TODAY)).toBeUndefined();
    expect(runtimeProblem("nodejs24", TODAY)).toBeUndefined();
    expect(runtimeProblem("${_RUNTIME}", TODAY)).toBeUndefined();
    expect(runtimeProblem("nodejs22", "2027-05-01")).toContain("use nodejs24");
    expect(FUNCTION_RUNTIMES.map((runtime) => runtime.id)).toEqual(
      expect.arrayContaining(["nodejs20", "nodejs18", "nodejs16", "nodejs14", "nodejs12", "nodejs10"]),
    );
  });
});

describe("formatCloudBuildProblem", () => {
  it("writes file:line:column: path: message", () => {
    const problem: CloudBuildProblem = {
      file: "deploy/cloudbuild.yaml",
      line: 4,
      column: 5,
      path: "steps[0].arg",
      message: "unknown field 'arg'",
    };
    expect(formatCloudBuildProblem(problem)).toBe("deploy/cloudbuild.yaml:4:5: steps[0].arg: unknown field 'arg'");
  });
});

describe("the Build schema", () => {
  it("comes from the Cloud Build proto, with fields SchemaStore's schema lacks", () => {
    const schema = loadCloudBuildSchema();
    for (const field of ["availableSecrets", "serviceAccount", "queueTtl"])
      expect(schema.build.fields.has(field)).toBe(true);
    const options = schema.message("google.devtools.cloudbuild.v1.BuildOptions");
    for (const field of ["pool", "dynamicSubstitutions", "automapSubstitutions"]) {
      expect(options.fields.has(field)).toBe(true);
    }
    expect(schema.build.fields.get("id")?.outputOnly).toBe(true);
    expect(schema.build.fields.get("substitutions")?.map).toBe(true);
  });

  it("throws CloudBuildSchemaError for a missing or wrong descriptor", () => {
    expect(() => loadCloudBuildSchema(fixture("no-such-descriptor.json"))).toThrow(CloudBuildSchemaError);
    expect(() => loadCloudBuildSchema(fixture("not-a-descriptor.json"))).toThrow(
      "the descriptor has no message google.devtools.cloudbuild.v1.Build",
    );
  });
});
