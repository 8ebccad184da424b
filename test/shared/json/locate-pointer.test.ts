import { describe, expect, it } from "vitest";
import { jsonPointer, locatePointer, pointerTokens } from "../../../shared/json/index.js";

describe("JSON pointers", () => {
  it("round-trips tokens that need escaping", () => {
    const pointer = jsonPointer(["a/b", "c~d", 0, ""]);
    expect(pointer).toBe("/a~1b/c~0d/0/");
    expect(pointerTokens(pointer)).toStrictEqual(["a/b", "c~d", "0", ""]);
    expect(jsonPointer([])).toBe("");
  });

  it("refuses a pointer without a leading slash", () => {
    expect(() => pointerTokens("a/b")).toThrow(/not a JSON pointer/);
  });
});

describe("locatePointer", () => {
  const text = '{\n  "a": [\n    10,\n    {"b/c": true}\n  ]\n}';

  it("finds values in objects and arrays", () => {
    expect(locatePointer(text, "")).toStrictEqual({ line: 1, column: 1 });
    expect(locatePointer(text, "/a/0", "f.json")).toStrictEqual({ file: "f.json", line: 3, column: 5 });
    expect(locatePointer(text, "/a/1/b~1c")).toStrictEqual({ line: 4, column: 13 });
  });

  it("falls back to the deepest node found for a pointer that leads nowhere", () => {
    expect(locatePointer(text, "/a/7")).toStrictEqual({ line: 2, column: 8 });
    expect(locatePointer("not json", "/x", "f.json")).toMatchObject({ file: "f.json" });
  });
});
