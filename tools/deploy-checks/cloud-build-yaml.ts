import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type LineCounter,
  type Node,
  type Pair,
  type Scalar,
} from "yaml";

/** One finding, placed where an editor would put the cursor. */
export interface CloudBuildProblem {
  readonly file: string;
  /** 1-based. */
  readonly line: number;
  /** 1-based. */
  readonly column: number;
  /** Where in the build, e.g. `steps[0].waitFor[1]`, `options.machineType` or `substitutions._REGION`. */
  readonly path: string;
  /** What is wrong and how to fix it. */
  readonly message: string;
}

/** Collects problems, turning source offsets into line and column. */
export class ProblemSink {
  readonly problems: CloudBuildProblem[] = [];

  constructor(
    private readonly file: string,
    private readonly text: string,
    private readonly lines: LineCounter,
  ) {}

  atOffset(offset: number, path: string, message: string): void {
    const { line, col } = this.lines.linePos(offset);
    this.problems.push({ file: this.file, line, column: col, path, message });
  }

  at(node: Node | null | undefined, path: string, message: string): void {
    this.atOffset(node?.range?.[0] ?? 0, path, message);
  }

  /**
   * Points inside a scalar at the `occurrence`-th (0-based) appearance of `needle` in its source text, so that a bad
   * `$_REGION` in a long shell line is reported where it is written; falls back to the scalar's start.
   */
  inScalar(node: Node, needle: string, occurrence: number, path: string, message: string): void {
    const [start, end] = node.range ?? [0, 0];
    const source = this.text.slice(start, end);
    let found = -1;
    for (let seen = 0; seen <= occurrence; seen++) {
      found = source.indexOf(needle, found + 1);
      if (found < 0) break;
    }
    this.atOffset(found < 0 ? start : start + found, path, message);
  }
}

/** The YAML document being linted, with alias resolution (a config may reuse blocks through anchors). */
export class YamlView {
  constructor(readonly doc: Document) {}

  /** The node an alias points at; the node itself otherwise. Undefined for an alias without an anchor. */
  deref(node: unknown): Node | null | undefined {
    if (node === null || node === undefined) return null;
    if (isAlias(node)) {
      const target: unknown = node.resolve(this.doc);
      return isAlias(target) ? this.deref(target) : (target as Node | undefined);
    }
    return node as Node;
  }

  /**
   * A mapping's own pairs, followed by the pairs it merges in with `<<: *anchor` (own keys win, as in YAML's merge
   * key convention that gcloud's loader follows).
   */
  pairs(map: Node): Pair[] {
    if (!isMap(map)) return [];
    const own: Pair[] = [];
    const merged: Pair[] = [];
    for (const pair of map.items) {
      if (isMergeKey(pair.key)) {
        const sources = this.deref(pair.value);
        const list = isSeq(sources) ? sources.items.map((item) => this.deref(item)) : [sources];
        for (const source of list) if (source) merged.push(...this.pairs(source));
      } else {
        own.push(pair);
      }
    }
    const ownKeys = new Set(own.map((pair) => keyText(pair.key)));
    return [...own, ...merged.filter((pair) => !ownKeys.has(keyText(pair.key)))];
  }

  /** The value node of the first pair whose key is `name` or its snake_case spelling (gcloud accepts both). */
  field(map: Node | null | undefined, name: string): { readonly pair: Pair; readonly value: Node | null } | undefined {
    if (!map) return undefined;
    const snake = toSnakeCase(name);
    const pair = this.pairs(map).find((item) => {
      const key = keyText(item.key);
      return key === name || key === snake;
    });
    return pair ? { pair, value: this.deref(pair.value) ?? null } : undefined;
  }

  /** The items of a sequence, dereferenced; empty for anything else. */
  items(node: Node | null | undefined): (Node | null)[] {
    return isSeq(node) ? node.items.map((item) => this.deref(item) ?? null) : [];
  }
}

export function isMergeKey(key: unknown): boolean {
  return isScalar(key) && (typeof key.value === "symbol" || (key.value === "<<" && key.type === "PLAIN"));
}

/** A mapping key as text, or undefined for a non-scalar key. */
export function keyText(key: unknown): string | undefined {
  if (!isScalar(key)) return undefined;
  const value = key.value;
  return typeof value === "string" || typeof value === "number" || typeof value === "boolean"
    ? String(value)
    : undefined;
}

export function stringValue(node: Node | null | undefined): string | undefined {
  return isScalar(node) && typeof node.value === "string" ? node.value : undefined;
}

export function isNullNode(node: Node | null | undefined): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null);
}

/** How a value reads in a message: `a list`, `number 8080`, `string 'abc'`. */
export function describeNode(node: Node | null | undefined): string {
  if (isNullNode(node)) return "nothing (null)";
  if (isSeq(node)) return "a list";
  if (isMap(node)) return "a mapping";
  if (isScalar(node)) return describeScalar(node);
  return "an unknown value";
}

function describeScalar(node: Scalar): string {
  const source = node.source ?? String(node.value);
  switch (typeof node.value) {
    case "string":
      return `string '${node.value}'`;
    case "number":
    case "bigint":
      return `number ${source}`;
    case "boolean":
      return `boolean ${source}`;
    default:
      return `'${source}'`;
  }
}

export function childPath(base: string, key: string | number): string {
  if (typeof key === "number") return `${base}[${key}]`;
  return base === "" ? key : `${base}.${key}`;
}

export function toSnakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);
}

/** gcloud's conversion of config keys (`wait_for` becomes `waitFor`) before it reads them as proto fields. */
export function toCamelCase(name: string): string {
  return name.replace(/(?<=[a-z0-9])_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
}
