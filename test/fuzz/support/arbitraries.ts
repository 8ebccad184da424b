/**
 * Generators shared by the fuzzed surfaces: valid documents mutated a few steps away from validity (most bugs live
 * just past the edge of what is valid), hostile values (deep nesting, huge or odd strings, prototype keys), and text
 * mutations for parsers.
 */
import fc from "fast-check";

/** Keys with a meaning to JavaScript objects, which a parser or a spread may mishandle. */
export const PROTOTYPE_KEYS = ["__proto__", "constructor", "prototype", "toString", "hasOwnProperty"] as const;

/** Strings that tend to break things: empty, whitespace, control and surrogate characters, numbers in text, paths. */
export const ODD_STRINGS: readonly string[] = [
  "",
  " ",
  "\t\n",
  "\u0000",
  "\uFEFF",
  "\uD800",
  "😀",
  "e\u0301",
  "null",
  "undefined",
  "NaN",
  "-1",
  "0",
  "1e309",
  "0x10",
  "..",
  "../../etc/passwd",
  "/",
  "%",
  "%00",
  "%E0%A4%A",
  "a/b",
  "a/b:c",
  "examples/fractal",
  "gs://",
  "gs://bucket",
  "http://127.0.0.1:9/",
  "<script>",
  "'\"`",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template placeholder as data is the point
  "${x}",
  "{{x}}",
  "a".repeat(300),
  ...PROTOTYPE_KEYS,
];

/** Numbers at the edges: JSON can carry these (or their nearest doubles), and code must take them. */
export const ODD_NUMBERS: readonly number[] = [
  0,
  -0,
  -1,
  1,
  0.5,
  2 ** 31,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 63),
  1e308,
  -1e308,
  5e-324,
];

/** A string: mostly short printable text, sometimes odd, and (with `huge`) now and then up to 200,000 characters. */
export function fuzzString(maxLength = 40, options: { readonly huge?: boolean } = {}): fc.Arbitrary<string> {
  const ordinary = [
    { weight: 6, arbitrary: fc.string({ maxLength }) },
    { weight: 3, arbitrary: fc.constantFrom(...ODD_STRINGS) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength }) },
  ];
  if (options.huge !== true) return fc.oneof(...ordinary);
  return fc.oneof(...ordinary, { weight: 1, arbitrary: fc.nat({ max: 200_000 }).map((length) => "x".repeat(length)) });
}

/** A small JSON value, with odd strings and numbers among the ordinary ones. */
export function fuzzJsonValue(maxDepth = 3): fc.Arbitrary<unknown> {
  const leaf = fc.oneof(
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.constantFrom(...ODD_NUMBERS),
    fuzzString(40, { huge: true }),
  );
  return fc.letrec<{ value: unknown }>((tie) => ({
    value: fc.oneof(
      { depthSize: "small", maxDepth, withCrossShrink: true },
      leaf,
      fc.array(tie("value"), { maxLength: 4 }),
      fc
        .array(fc.tuple(fc.oneof(fuzzString(12), fc.constantFrom(...PROTOTYPE_KEYS)), tie("value")), { maxLength: 4 })
        .map(objectFromEntries),
    ),
  })).value;
}

/** An object with these entries as own properties, even `__proto__` (as `JSON.parse` would make it). */
export function objectFromEntries(entries: readonly (readonly [string, unknown])[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (const [key, value] of entries) {
    Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  }
  return object;
}

/** JSON text nested `depth` deep, as arrays or as objects, optionally around a value. */
export function deepJsonText(depth: number, shape: "array" | "object", inner = "1"): string {
  return shape === "array"
    ? `${"[".repeat(depth)}${inner}${"]".repeat(depth)}`
    : `${'{"a":'.repeat(depth)}${inner}${"}".repeat(depth)}`;
}

/** The same value nested `depth` deep, built without recursion (so the test itself cannot overflow). */
export function deepValue(depth: number, shape: "array" | "object", inner: unknown = 1): unknown {
  let value = inner;
  for (let level = 0; level < depth; level++) value = shape === "array" ? [value] : { a: value };
  return value;
}

/** One edit of a JSON document: where (an index into its paths, wrapped) and what. */
export type JsonMutation =
  | { readonly op: "delete"; readonly at: number }
  | { readonly op: "replace"; readonly at: number; readonly value: unknown }
  | { readonly op: "add"; readonly at: number; readonly key: string; readonly value: unknown }
  | { readonly op: "retype"; readonly at: number }
  | { readonly op: "duplicate"; readonly at: number }
  | { readonly op: "nest"; readonly at: number; readonly depth: number };

/** A mutation, its values drawn from `values` (and the keys it adds from `keys`, plus junk). */
export function jsonMutation(
  values: fc.Arbitrary<unknown> = fuzzJsonValue(),
  keys: readonly string[] = [],
  options: { readonly deep?: boolean } = {},
): fc.Arbitrary<JsonMutation> {
  const at = fc.nat({ max: 10_000 });
  const key = keys.length === 0 ? fuzzString(12) : fc.oneof(fc.constantFrom(...keys), fuzzString(12));
  return fc.oneof(
    fc.record({ op: fc.constant("delete" as const), at }),
    fc.record({ op: fc.constant("replace" as const), at, value: values }),
    fc.record({ op: fc.constant("add" as const), at, key, value: values }),
    fc.record({ op: fc.constant("retype" as const), at }),
    fc.record({ op: fc.constant("duplicate" as const), at }),
    fc.record({
      op: fc.constant("nest" as const),
      at,
      depth: options.deep === false ? fc.nat({ max: 70 }) : fc.oneof(fc.nat({ max: 70 }), fc.constant(1000)),
    }),
  );
}

/** `seeds` (valid documents) with a few mutations applied: mostly near-valid, sometimes unrecognisable. */
export function mutatedJson(
  seeds: readonly unknown[],
  options: {
    readonly values?: fc.Arbitrary<unknown>;
    readonly keys?: readonly string[];
    readonly maxEdits?: number;
    /** Whether edits may nest a value thousands deep (default true). */
    readonly deep?: boolean;
  } = {},
): fc.Arbitrary<unknown> {
  return fc
    .tuple(
      fc.constantFrom(...seeds),
      // A quarter left valid, so that what follows validation is reached too.
      fc.oneof(
        { weight: 1, arbitrary: fc.constant([]) },
        {
          weight: 3,
          arbitrary: fc.array(jsonMutation(options.values, options.keys, { deep: options.deep !== false }), {
            minLength: 1,
            maxLength: options.maxEdits ?? 4,
          }),
        },
      ),
    )
    .map(([seed, mutations]) => mutations.reduce(applyJsonMutation, structuredClone(seed)));
}

type Path = readonly (string | number)[];

/** Every path into the value (the root first), breadth first and capped, so a huge value does not stall the test. */
function pathsOf(root: unknown): Path[] {
  const paths: Path[] = [[]];
  const queue: { path: Path; value: unknown }[] = [{ path: [], value: root }];
  while (queue.length > 0 && paths.length < 500) {
    const { path, value } = queue.shift() as { path: Path; value: unknown };
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        paths.push([...path, index]);
        queue.push({ path: [...path, index], value: item });
      });
    } else if (isObject(value)) {
      for (const key of Object.keys(value)) {
        paths.push([...path, key]);
        queue.push({ path: [...path, key], value: value[key] });
      }
    }
  }
  return paths;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function getAt(root: unknown, path: Path): unknown {
  let value = root;
  for (const key of path) value = (value as Record<string | number, unknown>)[key];
  return value;
}

/** Sets (or, with `undefined`, deletes) the value at `path`; returns the new root. */
function setAt(root: unknown, path: Path, value: unknown): unknown {
  if (path.length === 0) return value;
  const parent = getAt(root, path.slice(0, -1));
  const key = path[path.length - 1] as string | number;
  if (Array.isArray(parent) && typeof key === "number") {
    if (value === undefined) parent.splice(key, 1);
    else parent[key] = value;
  } else if (isObject(parent)) {
    if (value === undefined) delete parent[String(key)];
    else Object.defineProperty(parent, String(key), { value, enumerable: true, writable: true, configurable: true });
  }
  return root;
}

export function applyJsonMutation(root: unknown, mutation: JsonMutation): unknown {
  const paths = pathsOf(root);
  const path = paths[mutation.at % paths.length] ?? [];
  const current = getAt(root, path);
  switch (mutation.op) {
    case "delete":
      return path.length === 0 ? undefined : setAt(root, path, undefined);
    case "replace":
      return setAt(root, path, structuredClone(mutation.value));
    case "add":
      if (Array.isArray(current)) current.push(structuredClone(mutation.value));
      else if (isObject(current)) setAt(current, [mutation.key], structuredClone(mutation.value));
      else return setAt(root, path, objectFromEntries([[mutation.key, structuredClone(mutation.value)]]));
      return root;
    case "retype":
      return setAt(root, path, retyped(current));
    case "duplicate":
      // The same subtree twice, not a copy: it may be nested thousands deep, past what cloning can recurse through.
      if (Array.isArray(current)) current.push(current[0] ?? null);
      else return setAt(root, path, [current ?? null, current ?? null]);
      return root;
    case "nest":
      return setAt(root, path, deepValue(mutation.depth, mutation.depth % 2 === 0 ? "array" : "object", current));
  }
}

/** The same content as another JSON type: what a client that mixes up types would send. */
function retyped(value: unknown): unknown {
  if (typeof value === "string") return Number.isNaN(Number(value)) ? [value] : Number(value);
  if (typeof value === "number") return String(value);
  if (typeof value === "boolean") return value ? 1 : "false";
  if (value === null || value === undefined) return {};
  if (Array.isArray(value)) return Object.fromEntries(value.map((item, index) => [String(index), item]));
  return Object.values(value as Record<string, unknown>);
}

/** One edit of a text: delete, insert, duplicate or replace a stretch. Positions wrap, so they shrink towards 0. */
export interface TextMutation {
  readonly op: "delete" | "insert" | "duplicate" | "truncate";
  readonly at: number;
  readonly length: number;
  readonly token: string;
}

export function textMutation(tokens: readonly string[]): fc.Arbitrary<TextMutation> {
  return fc.record({
    op: fc.constantFrom("delete" as const, "insert" as const, "duplicate" as const, "truncate" as const),
    at: fc.nat({ max: 100_000 }),
    length: fc.nat({ max: 40 }),
    token: fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...tokens) },
      { weight: 1, arbitrary: fc.string({ maxLength: 8 }) },
    ),
  });
}

export function applyTextMutation(text: string, mutation: TextMutation): string {
  const at = mutation.at % (text.length + 1);
  const end = Math.min(text.length, at + mutation.length);
  switch (mutation.op) {
    case "delete":
      return text.slice(0, at) + text.slice(end);
    case "insert":
      return text.slice(0, at) + mutation.token + text.slice(at);
    case "duplicate":
      return text.slice(0, end) + text.slice(at, end) + text.slice(end);
    case "truncate":
      return text.slice(0, at);
  }
}

/** `seeds` (valid texts) with a few text edits. */
export function mutatedText(seeds: readonly string[], tokens: readonly string[], maxEdits = 4): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...seeds), fc.array(textMutation(tokens), { maxLength: maxEdits }))
    .map(([seed, mutations]) => mutations.reduce(applyTextMutation, seed));
}

/** `encodeURIComponent`, which throws on a lone surrogate: such a character is sent as U+FFFD instead. */
export function encodeComponent(text: string): string {
  return encodeURIComponent(
    text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD"),
  );
}

/** One of the keys, each as often as its weight says. */
export function weighted<K extends string>(weights: Readonly<Record<K, number>>): fc.Arbitrary<K> {
  return fc.oneof(
    ...(Object.entries(weights) as [K, number][]).map(([key, weight]) => ({ weight, arbitrary: fc.constant(key) })),
  );
}

/** `JSON.stringify`, or undefined for a value nested deeper than it can recurse (the fuzzing makes such values). */
export function jsonTextOf(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
