import { describe, expect, it } from "vitest";
import { InvalidSubscriptionFilter } from "../../../shared/errors/index.js";
import {
  attributeEquals,
  attributeHasPrefix,
  attributeNotEquals,
  type FilterExpression,
  filterNot,
  formatSubscriptionFilter,
  hasAttribute,
  parseSubscriptionFilter,
} from "../../../shared/subscription-filter/index.js";

const a = hasAttribute("a");
const b = hasAttribute("b");
const c = hasAttribute("c");

const ACCEPTED: [string, FilterExpression][] = [
  ["", { kind: "matchAll" }],
  ["  \t\n ", { kind: "matchAll" }],
  ["attributes:a", a],
  ['attributes.a = "x"', attributeEquals("a", "x")],
  ['attributes.a="x"', attributeEquals("a", "x")],
  ['attributes.a != "x"', attributeNotEquals("a", "x")],
  ['attributes.a!=""', attributeNotEquals("a", "")],
  ['hasPrefix(attributes.a, "pre")', attributeHasPrefix("a", "pre")],
  ['hasPrefix( attributes.a ,"pre" )', attributeHasPrefix("a", "pre")],
  ["-attributes:a", filterNot(a)],
  ["NOT attributes:a", filterNot(a)],
  ["NOT(attributes:a)", filterNot(a)],
  ["-(attributes:a OR attributes:b)", filterNot({ kind: "or", operands: [a, b] })],
  ["NOT (NOT attributes:a)", filterNot(filterNot(a))],
  ["attributes:a AND attributes:b AND attributes:c", { kind: "and", operands: [a, b, c] }],
  ["attributes:a OR attributes:b OR attributes:c", { kind: "or", operands: [a, b, c] }],
  ["(attributes:a AND attributes:b) OR attributes:c", { kind: "or", operands: [{ kind: "and", operands: [a, b] }, c] }],
  ["attributes:a AND (attributes:b OR attributes:c)", { kind: "and", operands: [a, { kind: "or", operands: [b, c] }] }],
  [
    "(attributes:a AND attributes:b) AND attributes:c",
    { kind: "and", operands: [{ kind: "and", operands: [a, b] }, c] },
  ],
  ["((attributes:a))", a],
  ["NOT attributes:a AND -attributes:b", { kind: "and", operands: [filterNot(a), filterNot(b)] }],
  ["attributes:a AND NOT attributes:b", { kind: "and", operands: [a, filterNot(b)] }],
  ['attributes."iana.org/language_tag" = "en"', attributeEquals("iana.org/language_tag", "en")],
  ['attributes:"key with space"', hasAttribute("key with space")],
  ["attributes:my-key_2", hasAttribute("my-key_2")],
  ['attributes.a = "quote \\" and backslash \\\\"', attributeEquals("a", 'quote " and backslash \\')],
  ['attributes.a = "\\n\\t\\r\\a\\b\\f\\v\\?\\\'\\`"', attributeEquals("a", "\n\t\r\u0007\b\f\v?'`")],
  ['attributes.a = "\\x41\\101\\u00e9\\U0001F600"', attributeEquals("a", "AAé😀")],
  ['attributes.a = "ünïcödé ✓"', attributeEquals("a", "ünïcödé ✓")],
  ['attributes.AND = "OR"', attributeEquals("AND", "OR")],
  [
    'attributes.recipient = "octue/svc:1.0.0" AND attributes.sender_type = "PARENT"',
    {
      kind: "and",
      operands: [attributeEquals("recipient", "octue/svc:1.0.0"), attributeEquals("sender_type", "PARENT")],
    },
  ],
  [
    'attributes.recipient = "local/local:local" AND attributes.question_uuid = "ca534cdd-24cb-4ed2-af57-e36757192acb" AND attributes.sender_type = "CHILD"',
    {
      kind: "and",
      operands: [
        attributeEquals("recipient", "local/local:local"),
        attributeEquals("question_uuid", "ca534cdd-24cb-4ed2-af57-e36757192acb"),
        attributeEquals("sender_type", "CHILD"),
      ],
    },
  ],
];

/** [filter, reason pattern, 0-based position] */
const REJECTED: [string, RegExp, number][] = [
  ["attributes:a AND attributes:b OR attributes:c", /AND and OR cannot be mixed without parentheses/, 30],
  ["attributes:a OR attributes:b AND attributes:c", /AND and OR cannot be mixed without parentheses/, 29],
  ["attributes:a and attributes:b", /operators must be uppercase: write AND, not and/, 13],
  ["attributes:a Or attributes:b", /write OR, not Or/, 13],
  ["not attributes:a", /write NOT, not not/, 0],
  ["NOT NOT attributes:a", /negation cannot directly follow another/, 4],
  ["--attributes:a", /negation cannot directly follow another/, 1],
  ["- attributes:a", /"-" must be followed directly/, 1],
  ["attributes.recipient", /expected "=" or "!=" after attributes.recipient, got the end of the filter/, 20],
  ['attributes.recipient "x"', /expected "=" or "!=" after attributes.recipient/, 21],
  ['attributes.a == "x"', /single "="/, 13],
  ["attributes.a = x", /expected the value compared with attributes.a as a double-quoted string, got "x"/, 15],
  ["attributes.a = 'x'", /must be in double quotes, not single quotes/, 15],
  ['attributes.a = "x', /unterminated string/, 15],
  ['attributes.a = "\\q"', /unknown escape \\q/, 16],
  ['attributes.a = "\\x4"', /exactly 2 hexadecimal digits/, 16],
  ['attributes.a = "\\400"', /octal escape/, 16],
  ['attributes.a = "\\U00110000"', /beyond the last Unicode code point/, 16],
  ['attributes.a = "line\nbreak"', /control character U\+000A must be escaped/, 20],
  ['attributes.iana.org = "x"', /must be quoted/, 15],
  ["attributes:", /expected an attribute name after attributes:/, 11],
  ['attributes:""', /attribute name cannot be empty/, 11],
  ["attributes :a", /expected "\." or ":" directly after attributes/, 10],
  ["attribute:a", /unknown name "attribute"/, 0],
  ['labels.a = "x"', /unknown name "labels"/, 0],
  ["hasPrefix(attributes.a)", /expected "," after attributes.a in hasPrefix/, 22],
  ['hasprefix(attributes.a, "p")', /unknown name "hasprefix"/, 0],
  ['hasPrefix (attributes.a, "p")', /expected "\(" directly after hasPrefix/, 9],
  ['hasPrefix("a", "p")', /first argument of hasPrefix must be an attribute/, 10],
  ["(attributes:a", /expected "\)" to close the "\(" at character 1/, 13],
  ["attributes:a)", /unbalanced "\)"/, 12],
  ["()", /empty parentheses/, 1],
  ["attributes:a attributes:b", /expected AND, OR or the end of the filter, got "attributes"/, 13],
  ["attributes:a NOT attributes:b", /expected AND or OR before NOT/, 13],
  ["AND attributes:a", /expected a condition before AND/, 0],
  ["attributes:a AND", /expected a condition after AND, got the end of the filter/, 16],
  ["attributes:a ANDattributes:b", /expected AND, OR or the end of the filter, got "ANDattributes"/, 13],
  ['"attributes:a"', /expected a condition, got "\\""/, 0],
  ["@#$%", /expected a condition, got "@"/, 0],
  ["(attributes:a)\u00a0AND attributes:b", /expected AND, OR or the end of the filter/, 14],
  ["attributes:a\u00a0AND attributes:b", /must be quoted/, 12],
];

function parseError(text: string): InvalidSubscriptionFilter {
  try {
    parseSubscriptionFilter(text);
  } catch (error) {
    if (error instanceof InvalidSubscriptionFilter) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe("parseSubscriptionFilter", () => {
  it.each(ACCEPTED)("accepts %j", (text, expected) => {
    expect(parseSubscriptionFilter(text)).toStrictEqual(expected);
  });

  it.each(REJECTED)("rejects %j", (text, reason, position) => {
    const error = parseError(text);
    expect(error.reason).toMatch(reason);
    expect(error.position).toBe(position);
    expect(error.filter).toBe(text);
    expect(error.message).toBe(`${error.reason} (at character ${position + 1} of the filter)`);
  });

  it("accepts a filter of exactly 256 bytes and rejects 257, counting UTF-8 bytes", () => {
    const prefix = 'attributes.a = "';
    const exact = `${prefix}${"x".repeat(256 - prefix.length - 1)}"`;
    expect(Buffer.byteLength(exact)).toBe(256);
    expect(parseSubscriptionFilter(exact)).toStrictEqual(attributeEquals("a", "x".repeat(256 - prefix.length - 1)));
    const multibyte = `${prefix}${"é".repeat(120)}"`; // 16 + 240 + 1 = 257 bytes in 137 characters
    const error = parseError(multibyte);
    expect(error.reason).toBe("filter is 257 bytes; Pub/Sub allows at most 256");
    expect(error.position).toBe(136);
  });

  it("reports the 300-byte case in the documented words", () => {
    expect(parseError(`attributes:${"k".repeat(289)}`).reason).toBe("filter is 300 bytes; Pub/Sub allows at most 256");
  });

  it("parses longer text when asked to lift the limit", () => {
    const long = `attributes:${"k".repeat(500)}`;
    expect(parseSubscriptionFilter(long, { maxBytes: Number.POSITIVE_INFINITY })).toStrictEqual(
      hasAttribute("k".repeat(500)),
    );
  });

  it("formats the Octue filters back to the same text", () => {
    for (const [text] of ACCEPTED.slice(-2)) expect(formatSubscriptionFilter(parseSubscriptionFilter(text))).toBe(text);
  });
});
