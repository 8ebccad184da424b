import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidSubscriptionFilter } from "../../../shared/errors/index.js";
import {
  type FilterNode,
  filterNot,
  formatSubscriptionFilter,
  matchesFilter,
  parseSubscriptionFilter,
} from "../../../shared/subscription-filter/index.js";

const UNLIMITED = { maxBytes: Number.POSITIVE_INFINITY };

// A small key pool makes generated attribute maps hit the generated conditions often.
const keyArbitrary = fc.oneof(
  fc.constantFrom("a", "b", "sender_type", "iana.org/x", "with space", 'q"uote', "back\\slash", "AND"),
  fc.string({ minLength: 1, maxLength: 6 }),
);
const valueArbitrary = fc.oneof(fc.constantFrom("", "x", "xy", "y", '"', "\\", "\n", "é"), fc.string({ maxLength: 6 }));

// Plain prototypes, so that trees compare strictly equal to what the parser builds.
const PLAIN = { noNullPrototype: true } as const;

const { node: nodeArbitrary } = fc.letrec<{ node: FilterNode }>((tie) => ({
  node: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.record({ kind: fc.constant("hasAttribute" as const), key: keyArbitrary }, PLAIN),
    fc.record({ kind: fc.constant("equals" as const), key: keyArbitrary, value: valueArbitrary }, PLAIN),
    fc.record({ kind: fc.constant("notEquals" as const), key: keyArbitrary, value: valueArbitrary }, PLAIN),
    fc.record({ kind: fc.constant("hasPrefix" as const), key: keyArbitrary, prefix: valueArbitrary }, PLAIN),
    fc.record({ kind: fc.constant("not" as const), operand: tie("node") }, PLAIN),
    fc.record(
      { kind: fc.constant("and" as const), operands: fc.array(tie("node"), { minLength: 2, maxLength: 3 }) },
      PLAIN,
    ),
    fc.record(
      { kind: fc.constant("or" as const), operands: fc.array(tie("node"), { minLength: 2, maxLength: 3 }) },
      PLAIN,
    ),
  ),
}));

const attributesArbitrary = fc.dictionary(keyArbitrary, valueArbitrary, { maxKeys: 5 });

/** The meaning of each construct, written independently of the implementation (De Morgan for AND/OR). */
function referenceMatch(node: FilterNode, attributes: Record<string, string>): boolean {
  const present = new Map(Object.entries(attributes));
  switch (node.kind) {
    case "hasAttribute":
      return present.has(node.key);
    case "equals":
      return present.has(node.key) && present.get(node.key) === node.value;
    case "notEquals":
      return !(present.has(node.key) && present.get(node.key) === node.value);
    case "hasPrefix": {
      const value = present.get(node.key);
      return value !== undefined && value.slice(0, node.prefix.length) === node.prefix;
    }
    case "not":
      return !referenceMatch(node.operand, attributes);
    case "and":
      return !node.operands.some((operand) => !referenceMatch(operand, attributes));
    case "or":
      return !node.operands.every((operand) => !referenceMatch(operand, attributes));
  }
}

describe("subscription filter properties", () => {
  it("parse(format(ast)) gives back the same tree", () => {
    fc.assert(
      fc.property(nodeArbitrary, (ast) => {
        expect(parseSubscriptionFilter(formatSubscriptionFilter(ast), UNLIMITED)).toStrictEqual(ast);
      }),
      { numRuns: 500 },
    );
  });

  it("the evaluator agrees with the reference model", () => {
    fc.assert(
      fc.property(nodeArbitrary, attributesArbitrary, (ast, attributes) => {
        expect(matchesFilter(ast, attributes)).toBe(referenceMatch(ast, attributes));
      }),
      { numRuns: 1000 },
    );
  });

  it("NOT x matches exactly when x does not, also through the text form", () => {
    fc.assert(
      fc.property(nodeArbitrary, attributesArbitrary, (ast, attributes) => {
        const negated = parseSubscriptionFilter(formatSubscriptionFilter(filterNot(ast)), UNLIMITED);
        expect(matchesFilter(negated, attributes)).toBe(!matchesFilter(ast, attributes));
      }),
      { numRuns: 500 },
    );
  });

  it("never throws anything but InvalidSubscriptionFilter, whatever the text", () => {
    const fragments = fc.constantFrom(
      "attributes",
      ".",
      ":",
      "k",
      " = ",
      " != ",
      '"v"',
      '"',
      "\\",
      "(",
      ")",
      " AND ",
      " OR ",
      "NOT ",
      "-",
      "hasPrefix(",
      ",",
      "\\u12",
      "é",
    );
    const text = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.array(fragments, { maxLength: 20 }).map((parts) => parts.join("")),
    );
    fc.assert(
      fc.property(text, (candidate) => {
        try {
          const parsed = parseSubscriptionFilter(candidate);
          expect(typeof parsed.kind).toBe("string");
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidSubscriptionFilter);
          const position = (error as InvalidSubscriptionFilter).position;
          expect(position).toBeGreaterThanOrEqual(0);
          expect(position).toBeLessThanOrEqual(candidate.length);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
