/**
 * Evaluates the subset of HCL expressions that Twined's Terraform uses for names, routes and manifests, as they come
 * out of hcl2json (`"${…}"` strings): literals, templates, traversals, `==`/`!=`/`&&`/`||`/`!`, conditionals,
 * tuples, `for` expressions and a few functions. Anything else is refused by name, so that a check never passes on an
 * expression it could not read. Values only known after apply (resource attributes) evaluate to `Unknown`.
 */
import { UnsupportedExpression } from "../../shared/errors/index.js";

/** A value Terraform knows only at apply time, e.g. a resource's id; carries the expression it came from. */
export class Unknown {
  constructor(readonly expression: string) {}
}

export interface ExpressionScope {
  /** The value of a root name (`var`, `local`, `each`, `path`, `count`…) followed by its traversal. */
  resolve(root: string, steps: readonly (string | number)[], text: string): unknown;
  /** Functions such as `file` that need the stack's folder. */
  readonly functions: Readonly<Record<string, (...args: unknown[]) => unknown>>;
}

type Token =
  | { readonly kind: "identifier"; readonly text: string }
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "string"; readonly parts: readonly (string | Node)[] }
  | { readonly kind: "symbol"; readonly text: string };

type Node =
  | { readonly type: "literal"; readonly value: unknown }
  | { readonly type: "template"; readonly parts: readonly (string | Node)[] }
  | { readonly type: "traversal"; readonly root: string; readonly steps: readonly (string | Node)[] }
  | { readonly type: "index"; readonly target: Node; readonly key: Node | string }
  | { readonly type: "call"; readonly name: string; readonly args: readonly Node[] }
  | { readonly type: "unary"; readonly operator: "!"; readonly operand: Node }
  | { readonly type: "binary"; readonly operator: string; readonly left: Node; readonly right: Node }
  | { readonly type: "conditional"; readonly test: Node; readonly then: Node; readonly otherwise: Node }
  | { readonly type: "tuple"; readonly items: readonly Node[] }
  | { readonly type: "object"; readonly members: readonly (readonly [Node, Node])[] }
  | {
      readonly type: "for";
      readonly into: "tuple" | "object";
      readonly names: readonly string[];
      readonly source: Node;
      readonly key: Node | undefined;
      readonly value: Node;
      readonly condition: Node | undefined;
    };

const SYMBOLS = ["=>", "==", "!=", "&&", "||", "!", "?", ":", "=", ".", ",", "[", "]", "(", ")", "{", "}"];

/** Evaluates a value from hcl2json: strings are templates, arrays and objects are evaluated member by member. */
export function evaluateValue(value: unknown, scope: ExpressionScope): unknown {
  if (typeof value === "string") return evaluateTemplate(value, scope);
  if (Array.isArray(value)) return value.map((each) => evaluateValue(each, scope));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, each]) => [key, evaluateValue(each, scope)]));
  }
  return value;
}

/** A string as hcl2json writes it: literal text with `${…}` interpolations; exactly `${x}` is x's value itself. */
export function evaluateTemplate(text: string, scope: ExpressionScope): unknown {
  const parts = templateParts(text, 0, text.length, text);
  return evaluate({ type: "template", parts }, scope, text);
}

function templateParts(text: string, start: number, end: number, whole: string): (string | Node)[] {
  const parts: (string | Node)[] = [];
  let literal = "";
  let index = start;
  while (index < end) {
    if (text.startsWith("$${", index)) {
      literal += "${";
      index += 3;
    } else if (text.startsWith("${", index)) {
      const close = matchingBrace(text, index + 1, whole);
      if (literal !== "") parts.push(literal);
      literal = "";
      parts.push(parseExpression(text.slice(index + 2, close), whole));
      index = close + 1;
    } else if (text.startsWith("%{", index)) {
      throw new UnsupportedExpression(whole, "template directives (%{ … }) are not read by the checks");
    } else {
      literal += text[index];
      index += 1;
    }
  }
  if (literal !== "") parts.push(literal);
  return parts;
}

/** The index of the `}` closing the `{` at `open`, skipping quoted strings and nested braces. */
function matchingBrace(text: string, open: number, whole: string): number {
  let depth = 0;
  let quoted = false;
  for (let index = open; index < text.length; index += 1) {
    const character = text[index];
    if (quoted) {
      if (character === "\\") index += 1;
      else if (character === '"') quoted = false;
    } else if (character === '"') quoted = true;
    else if (character === "{") depth += 1;
    else if (character === "}") {
      depth -= 1;
      if (depth === 0) return index;
    }
  }
  throw new UnsupportedExpression(whole, "an interpolation is not closed");
}

function tokenize(source: string, whole: string): Token[] {
  const tokens: Token[] = [];
  let index = 0;
  while (index < source.length) {
    const character = source[index] ?? "";
    if (/\s/.test(character)) {
      index += 1;
    } else if (/[A-Za-z_]/.test(character)) {
      const match = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(source.slice(index));
      const text = match?.[0] ?? character;
      tokens.push({ kind: "identifier", text });
      index += text.length;
    } else if (/[0-9]/.test(character)) {
      const match = /^[0-9]+(\.[0-9]+)?/.exec(source.slice(index));
      const text = match?.[0] ?? character;
      tokens.push({ kind: "number", value: Number(text) });
      index += text.length;
    } else if (character === '"') {
      const end = closingQuote(source, index, whole);
      const content = unescaped(source, index + 1, end);
      tokens.push({ kind: "string", parts: templateParts(content, 0, content.length, whole) });
      index = end + 1;
    } else {
      const symbol = SYMBOLS.find((each) => source.startsWith(each, index));
      if (symbol === undefined) throw new UnsupportedExpression(whole, `the operator '${character}' is not supported`);
      tokens.push({ kind: "symbol", text: symbol });
      index += symbol.length;
    }
  }
  return tokens;
}

function closingQuote(source: string, open: number, whole: string): number {
  let depth = 0;
  for (let index = open + 1; index < source.length; index += 1) {
    const character = source[index];
    if (character === "\\") index += 1;
    else if (source.startsWith("${", index)) {
      depth += 1;
      index += 1;
    } else if (character === "}" && depth > 0) depth -= 1;
    else if (character === '"' && depth === 0) return index;
  }
  throw new UnsupportedExpression(whole, "a string is not closed");
}

function unescaped(source: string, start: number, end: number): string {
  return source
    .slice(start, end)
    .replace(/\\(["\\nt])/g, (_, escaped: string) => (escaped === "n" ? "\n" : escaped === "t" ? "\t" : escaped));
}

function parseExpression(source: string, whole: string): Node {
  const tokens = tokenize(source, whole);
  let position = 0;
  const peek = (offset = 0) => tokens[position + offset];
  const isSymbol = (text: string, offset = 0) => {
    const token = peek(offset);
    return token?.kind === "symbol" && token.text === text;
  };
  const expect = (text: string) => {
    if (!isSymbol(text)) throw new UnsupportedExpression(whole, `expected '${text}'`);
    position += 1;
  };
  const identifier = (): string => {
    const token = peek();
    if (token?.kind !== "identifier") throw new UnsupportedExpression(whole, "expected a name");
    position += 1;
    return token.text;
  };

  const expression = (): Node => {
    const test = or();
    if (!isSymbol("?")) return test;
    position += 1;
    const then = expression();
    expect(":");
    return { type: "conditional", test, then, otherwise: expression() };
  };
  const binaryLevel = (operators: readonly string[], next: () => Node) => (): Node => {
    let left = next();
    for (;;) {
      const token = peek();
      if (token?.kind !== "symbol" || !operators.includes(token.text)) return left;
      position += 1;
      left = { type: "binary", operator: token.text, left, right: next() };
    }
  };
  const unary = (): Node => {
    if (isSymbol("!")) {
      position += 1;
      return { type: "unary", operator: "!", operand: unary() };
    }
    return postfix();
  };
  const equality = binaryLevel(["==", "!="], unary);
  const and = binaryLevel(["&&"], equality);
  const or = binaryLevel(["||"], and);

  const postfix = (): Node => {
    let node = primary();
    for (;;) {
      if (isSymbol(".")) {
        position += 1;
        const token = peek();
        position += 1;
        const key = token?.kind === "identifier" ? token.text : token?.kind === "number" ? String(token.value) : "";
        if (key === "") throw new UnsupportedExpression(whole, "expected an attribute name after '.'");
        node = { type: "index", target: node, key };
      } else if (isSymbol("[")) {
        position += 1;
        const key = expression();
        expect("]");
        node = { type: "index", target: node, key };
      } else return node;
    }
  };
  const list = (close: string): Node[] => {
    const items: Node[] = [];
    while (!isSymbol(close)) {
      items.push(expression());
      if (!isSymbol(close)) expect(",");
    }
    position += 1;
    return items;
  };
  const forExpression = (into: "tuple" | "object"): Node => {
    position += 1;
    const names = [identifier()];
    if (isSymbol(",")) {
      position += 1;
      names.push(identifier());
    }
    if (identifier() !== "in") throw new UnsupportedExpression(whole, "expected 'in' in a for expression");
    const source = expression();
    expect(":");
    let key: Node | undefined;
    let value = expression();
    if (into === "object") {
      expect("=>");
      key = value;
      value = expression();
    }
    let condition: Node | undefined;
    const token = peek();
    if (token?.kind === "identifier" && token.text === "if") {
      position += 1;
      condition = expression();
    }
    expect(into === "object" ? "}" : "]");
    return { type: "for", into, names, source, key, value, condition };
  };
  const primary = (): Node => {
    const token = peek();
    if (token === undefined) throw new UnsupportedExpression(whole, "the expression ends too early");
    if (token.kind === "number") {
      position += 1;
      return { type: "literal", value: token.value };
    }
    if (token.kind === "string") {
      position += 1;
      return { type: "template", parts: token.parts };
    }
    if (token.kind === "symbol") {
      if (token.text === "(") {
        position += 1;
        const inner = expression();
        expect(")");
        return inner;
      }
      if (token.text === "[") {
        const next = peek(1);
        if (next?.kind === "identifier" && next.text === "for") {
          position += 1;
          return forExpression("tuple");
        }
        position += 1;
        return { type: "tuple", items: list("]") };
      }
      if (token.text === "{") {
        const next = peek(1);
        if (next?.kind === "identifier" && next.text === "for") {
          position += 1;
          return forExpression("object");
        }
        position += 1;
        const members: (readonly [Node, Node])[] = [];
        while (!isSymbol("}")) {
          const key = peek();
          const name: Node =
            key?.kind === "identifier"
              ? { type: "literal", value: key.text }
              : key?.kind === "string"
                ? primary()
                : expression();
          if (key?.kind === "identifier") position += 1;
          if (isSymbol("=") || isSymbol(":")) position += 1;
          else throw new UnsupportedExpression(whole, "expected '=' after an object key");
          members.push([name, expression()]);
          if (isSymbol(",")) position += 1;
        }
        position += 1;
        return { type: "object", members };
      }
      throw new UnsupportedExpression(whole, `unexpected '${token.text}'`);
    }
    position += 1;
    if (token.text === "true" || token.text === "false") return { type: "literal", value: token.text === "true" };
    if (token.text === "null") return { type: "literal", value: null };
    if (isSymbol("(")) {
      position += 1;
      return { type: "call", name: token.text, args: list(")") };
    }
    return { type: "traversal", root: token.text, steps: [] };
  };

  const node = expression();
  if (position < tokens.length) throw new UnsupportedExpression(whole, "unexpected text after the expression");
  return node;
}

function evaluate(node: Node, scope: ExpressionScope, whole: string): unknown {
  switch (node.type) {
    case "literal":
      return node.value;
    case "template": {
      if (node.parts.length === 1 && typeof node.parts[0] !== "string" && node.parts[0] !== undefined) {
        return evaluate(node.parts[0], scope, whole);
      }
      let text = "";
      for (const part of node.parts) {
        const value = typeof part === "string" ? part : evaluate(part, scope, whole);
        if (value instanceof Unknown) return new Unknown(whole);
        if (typeof value === "object" && value !== null) {
          throw new UnsupportedExpression(whole, "a list or object cannot be interpolated into a string");
        }
        text += String(value);
      }
      return text;
    }
    case "traversal":
      return resolvePath(node, scope, whole);
    case "index": {
      const path = traversalPath(node, scope, whole);
      if (path !== undefined) return scope.resolve(path.root, path.steps, whole);
      const target = evaluate(node.target, scope, whole);
      const key = typeof node.key === "string" ? node.key : evaluate(node.key, scope, whole);
      return member(target, key, whole);
    }
    case "call": {
      const fn = scope.functions[node.name] ?? BUILT_INS[node.name];
      if (fn === undefined)
        throw new UnsupportedExpression(whole, `the function ${node.name}() is not read by the checks`);
      const args = node.args.map((each) => evaluate(each, scope, whole));
      if (args.some((each) => each instanceof Unknown)) return new Unknown(whole);
      return fn(...args);
    }
    case "unary": {
      const operand = evaluate(node.operand, scope, whole);
      return operand instanceof Unknown ? operand : !truthy(operand, whole);
    }
    case "binary": {
      const left = evaluate(node.left, scope, whole);
      const right = evaluate(node.right, scope, whole);
      if (left instanceof Unknown || right instanceof Unknown) return new Unknown(whole);
      if (node.operator === "==") return JSON.stringify(left) === JSON.stringify(right);
      if (node.operator === "!=") return JSON.stringify(left) !== JSON.stringify(right);
      if (node.operator === "&&") return truthy(left, whole) && truthy(right, whole);
      return truthy(left, whole) || truthy(right, whole);
    }
    case "conditional": {
      const test = evaluate(node.test, scope, whole);
      if (test instanceof Unknown) return test;
      return evaluate(truthy(test, whole) ? node.then : node.otherwise, scope, whole);
    }
    case "tuple":
      return node.items.map((each) => evaluate(each, scope, whole));
    case "object": {
      const object: Record<string, unknown> = {};
      for (const [key, value] of node.members) {
        const name = evaluate(key, scope, whole);
        if (typeof name !== "string") throw new UnsupportedExpression(whole, "an object's keys must be strings");
        object[name] = evaluate(value, scope, whole);
      }
      return object;
    }
    case "for":
      return evaluateFor(node, scope, whole);
  }
}

/** `a.b["c"]` as a root and its steps, when every step is a constant; undefined for computed targets. */
function traversalPath(
  node: Node,
  scope: ExpressionScope,
  whole: string,
): { root: string; steps: (string | number)[] } | undefined {
  if (node.type === "traversal") return { root: node.root, steps: [] };
  if (node.type !== "index") return undefined;
  const inner = traversalPath(node.target, scope, whole);
  if (inner === undefined) return undefined;
  const key = typeof node.key === "string" ? node.key : evaluate(node.key, scope, whole);
  if (typeof key !== "string" && typeof key !== "number") return undefined;
  return { root: inner.root, steps: [...inner.steps, key] };
}

function resolvePath(node: Extract<Node, { type: "traversal" }>, scope: ExpressionScope, whole: string): unknown {
  return scope.resolve(node.root, [], whole);
}

function evaluateFor(node: Extract<Node, { type: "for" }>, scope: ExpressionScope, whole: string): unknown {
  const source = evaluate(node.source, scope, whole);
  if (source instanceof Unknown) return source;
  const entries: [unknown, unknown][] = Array.isArray(source)
    ? source.map((value, index) => [index, value])
    : isObject(source)
      ? Object.entries(source)
      : [];
  if (!Array.isArray(source) && !isObject(source)) {
    throw new UnsupportedExpression(whole, "a for expression must go over a list or an object");
  }
  const [first, second] = node.names;
  const results: unknown[] = [];
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    const bound: Record<string, unknown> =
      second === undefined ? { [first ?? ""]: value } : { [first ?? ""]: key, [second]: value };
    const inner: ExpressionScope = {
      functions: scope.functions,
      resolve: (root, steps, text) =>
        root in bound
          ? steps.reduce((target, step) => member(target, step, text), bound[root])
          : scope.resolve(root, steps, text),
    };
    if (node.condition !== undefined && !truthy(evaluate(node.condition, inner, whole), whole)) continue;
    const result = evaluate(node.value, inner, whole);
    if (node.into === "tuple") results.push(result);
    else {
      const name = evaluate(node.key as Node, inner, whole);
      if (typeof name !== "string") throw new UnsupportedExpression(whole, "a for expression's keys must be strings");
      object[name] = result;
    }
  }
  return node.into === "tuple" ? results : object;
}

/** `target[key]`, refusing a missing member by name rather than letting `undefined` through. */
export function member(target: unknown, key: unknown, whole: string): unknown {
  if (target instanceof Unknown) return target;
  if (Array.isArray(target) && typeof key === "number") {
    if (key in target) return target[key];
  } else if (isObject(target) && (typeof key === "string" || typeof key === "number")) {
    if (String(key) in target) return target[String(key)];
  }
  throw new UnsupportedExpression(whole, `there is no '${String(key)}' here`);
}

function truthy(value: unknown, whole: string): boolean {
  if (typeof value !== "boolean") throw new UnsupportedExpression(whole, "a condition must be true or false");
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

const BUILT_INS: Readonly<Record<string, (...args: unknown[]) => unknown>> = {
  toset: (list) => [...new Set(Array.isArray(list) ? list : [])],
  tolist: (list) => (Array.isArray(list) ? list : []),
  concat: (...lists) => lists.flatMap((each) => (Array.isArray(each) ? each : [])),
  lookup: (map, key, fallback) => (isObject(map) && typeof key === "string" && key in map ? map[key] : fallback),
  jsondecode: (text) => JSON.parse(String(text)),
  join: (separator, list) => (Array.isArray(list) ? list.map(String).join(String(separator)) : ""),
  setproduct: (...lists) =>
    lists.reduce<unknown[][]>(
      (product, list) =>
        product.flatMap((prefix) => (Array.isArray(list) ? list : []).map((each) => [...prefix, each])),
      [[]],
    ),
};
