import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseServiceConfiguration } from "../../../shared/config/index.js";
import { type ConfigurationProblem, InvalidServiceConfiguration } from "../../../shared/errors/index.js";

const file = path.join(mkdtempSync(path.join(tmpdir(), "twined-yaml-syntax-")), "octue.yaml");

function problemsOf(lines: readonly string[]): readonly ConfigurationProblem[] {
  try {
    parseServiceConfiguration(`${lines.join("\n")}\n`, file);
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidServiceConfiguration);
    return (error as InvalidServiceConfiguration).problems;
  }
  throw new Error("expected the configuration to be rejected");
}

/** The one problem of `lines`: at `line`:`column`, with that line quoted, a caret under the column and a hint. */
function expectOneProblem(lines: readonly string[], line: number, column: number, summary: RegExp): string {
  const problems = problemsOf(lines);
  expect(problems).toHaveLength(1);
  const [problem] = problems;
  expect(problem?.location).toEqual({ file, line, column });
  const message = problem?.message ?? "";
  const [first, quoted, caret, hint] = message.split("\n");
  expect(first).toMatch(summary);
  expect(first).toMatch(/\(YAML syntax\)$/);
  const gutter = String(line);
  expect(quoted).toBe(`  ${gutter} | ${(lines[line - 1] ?? "").replaceAll("\t", "→")}`);
  expect(caret).toBe(`  ${" ".repeat(gutter.length)} | ${" ".repeat(column - 1)}^`);
  expect(hint).toMatch(/^ {2}hint: \S/);
  return message;
}

describe("YAML syntax errors in octue.yaml", () => {
  it("puts an unclosed '[' at the bracket, not at the end of the file", () => {
    const message = expectOneProblem(
      ["services:", "  - namespace: octue", "    name: [fractal"],
      3,
      11,
      /^'\[' is never closed/,
    );
    expect(message).toMatch(/hint: add '\]'/);
  });

  it("puts an unclosed '[' at the bracket when the file goes on for many lines", () => {
    expectOneProblem(
      [
        "services:",
        "  - namespace: octue",
        "    name: [fractal,",
        "      mandelbrot,",
        "      julia,",
        "      newton",
        "",
        "# more lines",
        "",
        "      # and more",
      ],
      3,
      11,
      /^'\[' is never closed/,
    );
  });

  it("puts a '[' ended by a less indented line at the bracket, without the parser's echoes after it", () => {
    expectOneProblem(
      [
        "services:",
        "  - namespace: octue",
        "    name: [fractal",
        "    app_source_path: .",
        "    twine_path: twine.json",
      ],
      3,
      11,
      /^'\[' is not closed before line 4, which is not indented enough/,
    );
  });

  it("puts an unclosed '{' at the brace", () => {
    expectOneProblem(
      ["services:", "  - namespace: octue", "    name: fractal", "    children: {key: a, id: b/c:1.0.0"],
      4,
      15,
      /^'\{' is never closed/,
    );
  });

  it("puts a '[' closed by '}' at the '[', naming the wrong bracket", () => {
    const message = expectOneProblem(
      ["services:", "  - namespace: octue", "    name: [fractal}", "    twine_path: twine.json"],
      3,
      11,
      /^'\[' is closed by '\}' at line 3 column 19/,
    );
    expect(message).toMatch(/hint: close the list with '\]' instead/);
  });

  it("puts a list closed by the brace of the mapping around it at the list's '[' only", () => {
    expectOneProblem(["services:", "  - {namespace: octue, name: [a, b}"], 2, 30, /^'\[' is closed by '\}'/);
  });

  it("puts a key indented past its siblings at that key, naming the expected column", () => {
    const message = expectOneProblem(
      ["services:", "  - namespace: octue", "     name: fractal"],
      3,
      6,
      /^'name' is at column 6, deeper than 'namespace' on line 2 \(column 5\)/,
    );
    expect(message).toMatch(/hint: indent it to column 5/);
  });

  it("puts a key indented short of its siblings at that key, naming the expected column", () => {
    const message = expectOneProblem(
      ["services:", "  - namespace: octue", "   name: fractal"],
      3,
      4,
      /^'name' is at column 4, which lines up with no block above it/,
    );
    expect(message).toMatch(/hint: indent it to column 5, like 'namespace' on line 2/);
  });

  it("puts a mapping value's child at the wrong column at that child, naming the columns it could belong at", () => {
    const message = expectOneProblem(
      [
        "services:",
        "  - namespace: octue",
        "    name: fractal",
        "    children:",
        "      - key: elevation",
        "        backend:",
        "          name: GCPPubSubBackend",
        "         project_id: my-project",
      ],
      8,
      10,
      /^'project_id' is at column 10, which lines up with no block above it/,
    );
    expect(message).toMatch(/column 11, like 'name' on line 7, or column 9, like 'key' on line 5/);
  });

  it("puts a tab used for indentation at the tab", () => {
    expectOneProblem(["services:", "  - namespace: octue", "\tname: fractal"], 3, 1, /^a tab is used for indentation/);
  });

  it("puts a tab after spaces in the indentation at the tab", () => {
    expectOneProblem(
      ["services:", "  - namespace: octue", "   \tname: fractal"],
      3,
      4,
      /^a tab is used for indentation/,
    );
  });

  it("puts a duplicate key at its second occurrence, naming the line of the first", () => {
    expectOneProblem(
      ["services:", "  - namespace: octue", "    name: fractal", "    namespace: other"],
      4,
      5,
      /^duplicate key 'namespace': it is already set on line 2/,
    );
  });

  it.each([
    ['"', '    name: "fractal'],
    ["'", "    name: 'fractal"],
  ])("puts an unclosed %s string at its opening quote", (_quote, line) => {
    expectOneProblem(
      ["services:", "  - namespace: octue", line, "    twine_path: twine.json", "", "# the end"],
      3,
      11,
      /^the string opened by ["'] here is never closed/,
    );
  });

  it("puts a directive without a '---' line at the directive", () => {
    expectOneProblem(
      ["%TAG ! tag:example.com,2000:", "services:", "  - namespace: octue", "    name: fractal"],
      1,
      1,
      /^a line starting with '%' is a YAML directive, and directives must be followed by a '---' line/,
    );
  });

  it.each([
    [["services: []", "---", "other: 1"], 2, 1, /^the file holds more than one YAML document/],
    [["services: [a] b"], 1, 15, /^'b' is not expected here/],
    [["services:", "  - namespace: octue", "    name: @fractal"], 3, 11, /^a plain value cannot start with/],
  ])("describes what else the parser finds, where it is: %j", (lines, line, column, summary) => {
    expectOneProblem(lines, line, column, summary);
  });
});
