/** biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are HCL templates, as hcl2json writes them */
import { describe, expect, it } from "vitest";
import { UnsupportedExpression } from "../../../shared/errors/index.js";
import {
  type ExpressionScope,
  evaluateTemplate,
  member,
  Unknown,
} from "../../../tools/deploy-checks/hcl-expression.js";
import { errorOf } from "../../support/error-of.js";

const values: Record<string, unknown> = {
  var: {
    environment: "main",
    topic: "",
    classes: { low: 0, high: 100 },
    rows: [
      { name: "a", on: true },
      { name: "b", on: false },
    ],
  },
};
const scope: ExpressionScope = {
  functions: { upper: (text) => String(text).toUpperCase() },
  resolve: (root, steps) => {
    if (root === "google_thing") return new Unknown(`${root}.${steps.join(".")}`);
    return steps.reduce<unknown>((target, step) => member(target, step, root), values[root]);
  },
};
const evaluate = (text: string) => evaluateTemplate(text, scope);

describe("HCL expressions, as hcl2json writes them", () => {
  it("interpolates into literal text, and gives a lone interpolation's value itself", () => {
    expect(evaluate("${var.environment}.twined.questions")).toBe("main.twined.questions");
    expect(evaluate("${var.classes}")).toEqual({ low: 0, high: 100 });
    expect(evaluate("cost: $${not.interpolated}")).toBe("cost: ${not.interpolated}");
  });

  it("evaluates conditionals, comparisons and nested templates", () => {
    expect(evaluate('${var.topic != "" ? var.topic : "${var.environment}.octue.twined.services"}')).toBe(
      "main.octue.twined.services",
    );
    expect(evaluate('${var.environment == "main" && !false ? 1 : 0}')).toBe(1);
  });

  it("evaluates for expressions into tuples and objects, with conditions", () => {
    expect(evaluate("${[for row in var.rows : row.name if row.on]}")).toEqual(["a"]);
    expect(evaluate("${{ for row in var.rows : row.name => row.on }}")).toEqual({ a: true, b: false });
    expect(evaluate("${{ for name, value in var.classes : name => value }}")).toEqual({ low: 0, high: 100 });
    expect(evaluate('${{ a = 1, "b" = var.environment }}')).toEqual({ a: 1, b: "main" });
  });

  it("calls the built-in and the scope's functions", () => {
    expect(evaluate('${toset(["x", "y", "x"])}')).toEqual(["x", "y"]);
    expect(evaluate('${join("-", concat(["a"], ["b"]))}')).toBe("a-b");
    expect(evaluate('${setproduct(["f", "g"], ["m"])}')).toEqual([
      ["f", "m"],
      ["g", "m"],
    ]);
    expect(evaluate('${lookup(var.classes, "high", 1)}')).toBe(100);
    expect(evaluate("${upper(var.environment)}")).toBe("MAIN");
  });

  it("carries values known only after apply through, without guessing", () => {
    const value = evaluate("projects/${google_thing.x.id}/topics");
    expect(value).toBeInstanceOf(Unknown);
  });

  it("refuses what it cannot read, naming the expression", () => {
    for (const [text, reason] of [
      ["${var.environment + 1}", /the operator '\+' is not supported/],
      ["${format(var.environment)}", /the function format\(\) is not read by the checks/],
      ["%{ for x in y }${x}%{ endfor }", /template directives/],
      ["${var.rows[5]}", /there is no '5' here/],
      ['${"a" ? 1 : 2}', /a condition must be true or false/],
    ] as const) {
      const error = errorOf(() => evaluate(text));
      expect(error, text).toBeInstanceOf(UnsupportedExpression);
      expect((error as Error).message, text).toMatch(reason);
    }
  });
});
