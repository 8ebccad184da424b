import { arrayAt, isRecord, stringMapAt } from "./json.js";

/** One requirement of a label selector, in the forms `kubectl` and client libraries send. */
export interface LabelRequirement {
  readonly key: string;
  readonly operator: "=" | "!=" | "in" | "notin" | "exists" | "!exists";
  readonly values: readonly string[];
}

export class SelectorError extends Error {}

/** Splits on the commas that separate requirements, not those inside `in (a,b)`. */
function splitRequirements(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let current = "";
  for (const char of text) {
    if (char === "(") depth++;
    if (char === ")") depth--;
    if (char === "," && depth === 0) {
      parts.push(current);
      current = "";
    } else current += char;
  }
  parts.push(current);
  return parts.map((part) => part.trim()).filter((part) => part !== "");
}

const KEY = "[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?";
const VALUE = "(?:[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?";
const SET = new RegExp(`^(${KEY})\\s+(in|notin)\\s*\\(([^)]*)\\)$`);
const EQUALITY = new RegExp(`^(${KEY})\\s*(==|=|!=)\\s*(${VALUE})$`);
const EXISTS = new RegExp(`^(!?)\\s*(${KEY})$`);

/** Parses `app=x,tier!=y,env in (a,b),!legacy,owner`; throws SelectorError with Kubernetes' wording on bad input. */
export function parseLabelSelector(text: string): LabelRequirement[] {
  return splitRequirements(text).map((part) => {
    const set = SET.exec(part);
    if (set !== null) {
      const values = (set[4] ?? "")
        .split(",")
        .map((value) => value.trim())
        .filter((value) => value !== "");
      if (values.length === 0) throw new SelectorError(`unable to parse requirement: ${part}: values set is empty`);
      return { key: set[1] ?? "", operator: set[3] === "in" ? "in" : "notin", values };
    }
    const equality = EQUALITY.exec(part);
    if (equality !== null) {
      return { key: equality[1] ?? "", operator: equality[3] === "!=" ? "!=" : "=", values: [equality[4] ?? ""] };
    }
    const exists = EXISTS.exec(part);
    if (exists !== null)
      return { key: exists[2] ?? "", operator: exists[1] === "!" ? "!exists" : "exists", values: [] };
    throw new SelectorError(`unable to parse requirement: found '${part}', expected: key, key=value, key in (values)`);
  });
}

export function matchesRequirements(
  requirements: readonly LabelRequirement[],
  labels: Readonly<Record<string, string>>,
): boolean {
  return requirements.every(({ key, operator, values }) => {
    const value = labels[key];
    switch (operator) {
      case "=":
        return value === values[0];
      case "!=":
        return value !== values[0];
      case "in":
        return value !== undefined && values.includes(value);
      case "notin":
        return value === undefined || !values.includes(value);
      case "exists":
        return value !== undefined;
      case "!exists":
        return value === undefined;
    }
    return false;
  });
}

const OPERATORS: Readonly<Record<string, LabelRequirement["operator"]>> = {
  In: "in",
  NotIn: "notin",
  Exists: "exists",
  DoesNotExist: "!exists",
};

/**
 * A structured metav1.LabelSelector (`matchLabels`, `matchExpressions`), as in a ClusterQueue's namespaceSelector.
 * `undefined` (null) selects nothing and `{}` selects everything, which is how Kueue reads namespaceSelector.
 */
export function matchesLabelSelectorObject(selector: unknown, labels: Readonly<Record<string, string>>): boolean {
  if (!isRecord(selector)) return false;
  for (const [key, value] of Object.entries(stringMapAt(selector, "matchLabels"))) {
    if (labels[key] !== value) return false;
  }
  for (const expression of arrayAt(selector, "matchExpressions")) {
    if (!isRecord(expression) || typeof expression.key !== "string") return false;
    const values = arrayAt(expression, "values").filter((value): value is string => typeof value === "string");
    const operator = OPERATORS[String(expression.operator)];
    if (operator === undefined) return false;
    if (!matchesRequirements([{ key: expression.key, operator, values }], labels)) return false;
  }
  return true;
}
