import { describe, expect, it } from "vitest";
import * as twined from "../index.js";

describe("the package root", () => {
  it.each([
    "parseServiceId",
    "formatServiceId",
    "loadServiceConfiguration",
    "loadTwine",
    "encodeEvent",
    "decodeEvent",
    "parseSubscriptionFilter",
    "matchesFilter",
    "TWINED_VERSION",
  ])("exports %s", (name) => {
    expect(twined).toHaveProperty(name);
  });

  it("exports every error class, each a TwinedError", () => {
    const errorClasses = Object.entries(twined as Record<string, unknown>).filter(
      (entry): entry is [string, abstract new (...args: never[]) => Error] =>
        typeof entry[1] === "function" && entry[1].prototype instanceof Error,
    );
    const names = errorClasses.map(([name]) => name);
    expect(names).toEqual(
      expect.arrayContaining([
        "TwinedError",
        "InvalidServiceID",
        "RevisionNotFound",
        "QuestionRejected",
        "NonRetryableError",
        "InvalidValuesContents",
        "InvalidManifestContents",
        "InvalidTwineContents",
        "StrandNotFound",
        "TwineValueException",
        "DuplicateKeyError",
        "SchemaError",
        "InvalidServiceConfiguration",
        "InvalidEvent",
        "InvalidSubscriptionFilter",
        "MessageLimitExceeded",
      ]),
    );
    for (const [name, value] of errorClasses) {
      expect(value.prototype instanceof twined.TwinedError || value === twined.TwinedError, name).toBe(true);
    }
  });

  it("validates with a twine loaded from the root export", () => {
    const twine = twined.loadTwine({ input_values_schema: { type: "object", required: ["n"] } });
    expect(() => twine.validate("input_values", {})).toThrow(twined.InvalidValuesContents);
    expect(twine.validate("input_values", { n: 0 })).toEqual({ n: 0 });
  });
});
