import { describe, expect, expectTypeOf, it } from "vitest";
import { definedProperties } from "../../../shared/objects/index.js";

describe("definedProperties", () => {
  it("keeps the properties whose value is defined, falsy ones included, and drops the undefined ones", () => {
    const kept = definedProperties({ a: 1, b: undefined, c: 0, d: "", e: null, f: false });
    expect(kept).toStrictEqual({ a: 1, c: 0, d: "", e: null, f: false });
    expect(Object.hasOwn(kept, "b")).toBe(false);
  });

  it("spreads into an object literal without writing undefined over what is there", () => {
    const defaults = { cpus: 2, memory: "512Mi" };
    const memory: string | undefined = undefined;
    expect({ ...defaults, ...definedProperties({ memory }) }).toStrictEqual({ cpus: 2, memory: "512Mi" });
    expect({ ...defaults, ...definedProperties({ memory: "2Gi" }) }).toStrictEqual({ cpus: 2, memory: "2Gi" });
  });

  it("types a property that may be undefined as optional, and leaves the others required", () => {
    const value = definedProperties({ always: 1, sometimes: undefined as string | undefined });
    expectTypeOf(value).toEqualTypeOf<{ always: number } & { sometimes?: string }>();
  });
});
