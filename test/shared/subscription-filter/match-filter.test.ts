import { describe, expect, it } from "vitest";
import { InvalidSubscriptionFilter } from "../../../shared/errors/index.js";
import {
  answersToQuestionFilter,
  attributeEquals,
  filterAnd,
  filterNot,
  formatSubscriptionFilter,
  matchesFilter,
  parseSubscriptionFilter,
  questionsForServiceFilter,
  subscriptionFilterText,
} from "../../../shared/subscription-filter/index.js";

const NONE = {};
const X = { k: "x" };
const XY = { k: "xy" };
const Y = { k: "y" };
const EMPTY_VALUE = { k: "" };
const OTHER = { other: "x" };

/** [filter, attributes, expected] */
const TRUTH_TABLE: [string, Record<string, string>, boolean][] = [
  ["", NONE, true],
  ["", X, true],
  ["attributes:k", X, true],
  ["attributes:k", EMPTY_VALUE, true],
  ["attributes:k", NONE, false],
  ["attributes:k", OTHER, false],
  ['attributes.k = "x"', X, true],
  ['attributes.k = "x"', XY, false],
  ['attributes.k = "x"', NONE, false],
  ['attributes.k = ""', EMPTY_VALUE, true],
  ['attributes.k = ""', NONE, false],
  ['attributes.k != "x"', X, false],
  ['attributes.k != "x"', Y, true],
  ['attributes.k != "x"', NONE, true],
  ['hasPrefix(attributes.k, "x")', X, true],
  ['hasPrefix(attributes.k, "x")', XY, true],
  ['hasPrefix(attributes.k, "x")', Y, false],
  ['hasPrefix(attributes.k, "x")', NONE, false],
  ['hasPrefix(attributes.k, "")', EMPTY_VALUE, true],
  ['hasPrefix(attributes.k, "")', NONE, false],
  ["-attributes:k", NONE, true],
  ["NOT attributes:k", X, false],
  ['attributes:k AND attributes.k = "x"', X, true],
  ['attributes:k AND attributes.k = "x"', Y, false],
  ['attributes.k = "x" OR attributes.k = "y"', Y, true],
  ['attributes.k = "x" OR attributes.k = "y"', XY, false],
  ['NOT (attributes.k = "x" OR attributes:other)', Y, true],
  ['NOT (attributes.k = "x" OR attributes:other)', OTHER, false],
  ['(attributes:k OR attributes:other) AND -hasPrefix(attributes.k, "xy")', XY, false],
  ['(attributes:k OR attributes:other) AND -hasPrefix(attributes.k, "xy")', OTHER, true],
  ['attributes.K = "x"', X, false],
  ['attributes.k = "X"', X, false],
  ["attributes:constructor", NONE, false],
  ['attributes.toString != "x"', NONE, true],
];

describe("matchesFilter", () => {
  it.each(TRUTH_TABLE)("%s on %j is %s", (filter, attributes, expected) => {
    expect(matchesFilter(filter, attributes)).toBe(expected);
    expect(matchesFilter(parseSubscriptionFilter(filter), attributes)).toBe(expected);
  });

  it("throws InvalidSubscriptionFilter for text that does not parse", () => {
    expect(() => matchesFilter("attributes.k == 'x'", X)).toThrow(InvalidSubscriptionFilter);
  });
});

describe("building filters", () => {
  it("quotes and escapes values so a backslash or quote cannot break the filter", () => {
    const tricky = 'a\\b"c\nd\u0000e';
    const text = formatSubscriptionFilter(attributeEquals("recipient", tricky));
    expect(text).toBe('attributes.recipient = "a\\\\b\\"c\\nd\\u0000e"');
    expect(matchesFilter(text, { recipient: tricky })).toBe(true);
    expect(matchesFilter(text, { recipient: "a\\b" })).toBe(false);
  });

  it("quotes keys that need it", () => {
    expect(formatSubscriptionFilter(filterNot(attributeEquals("iana.org/lang", "en")))).toBe(
      'NOT attributes."iana.org/lang" = "en"',
    );
  });

  it("builds the child's question-subscription filter exactly as Octue writes it", () => {
    const filter = questionsForServiceFilter("octue/svc:1.0.0");
    expect(filter).toBe('attributes.recipient = "octue/svc:1.0.0" AND attributes.sender_type = "PARENT"');
    expect(matchesFilter(filter, { recipient: "octue/svc:1.0.0", sender_type: "PARENT" })).toBe(true);
    expect(matchesFilter(filter, { recipient: "octue/svc:1.0.0", sender_type: "CHILD" })).toBe(false);
  });

  it("builds the parent's answer-subscription filter exactly as Octue writes it", () => {
    const uuid = "ca534cdd-24cb-4ed2-af57-e36757192acb";
    const filter = answersToQuestionFilter("local/local:local", uuid);
    expect(filter).toBe(
      `attributes.recipient = "local/local:local" AND attributes.question_uuid = "${uuid}" AND attributes.sender_type = "CHILD"`,
    );
    expect(matchesFilter(filter, { recipient: "local/local:local", question_uuid: uuid, sender_type: "CHILD" })).toBe(
      true,
    );
    expect(
      matchesFilter(filter, { recipient: "local/local:local", question_uuid: "other", sender_type: "CHILD" }),
    ).toBe(false);
  });

  it("refuses to produce a filter over 256 bytes", () => {
    expect(() => questionsForServiceFilter(`octue/svc:${"t".repeat(200)}`)).toThrow(
      /bytes; Pub\/Sub allows at most 256/,
    );
    expect(() => subscriptionFilterText(filterAnd(attributeEquals("a", "x".repeat(250))))).toThrow(
      InvalidSubscriptionFilter,
    );
  });

  it("formats the empty filter as empty text", () => {
    expect(formatSubscriptionFilter({ kind: "matchAll" })).toBe("");
  });
});
