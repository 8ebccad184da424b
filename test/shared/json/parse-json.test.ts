import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DuplicateKeyError, JsonSyntaxError } from "../../../shared/errors/index.js";
import { parseJson } from "../../../shared/json/index.js";
import { errorOf } from "../../support/error-of.js";

describe("parseJson", () => {
  it("parses strict JSON to the same value as JSON.parse", () => {
    const text = '{"a": [1, 2.5, -3e2, true, false, null], "b": {"c": "\\u00e9\\n"}, "": 0}';
    expect(parseJson(text)).toStrictEqual(JSON.parse(text));
  });

  it("parses scalars at the top level, including a JSON string", () => {
    expect(parseJson('"hello"')).toBe("hello");
    expect(parseJson(" 0 ")).toBe(0);
    expect(parseJson("false")).toBe(false);
    expect(parseJson("null")).toBeNull();
  });

  it("agrees with JSON.parse on arbitrary JSON documents", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value, null, 1);
        expect(parseJson(text)).toStrictEqual(JSON.parse(text));
      }),
      { numRuns: 200 },
    );
  });

  describe("duplicate keys", () => {
    it("reports a top-level duplicate with Octue's message, its pointer and position", () => {
      const error = errorOf(() => parseJson('{"children": [], "children": []}'));
      expect(error).toBeInstanceOf(DuplicateKeyError);
      const duplicate = error as DuplicateKeyError;
      expect(duplicate.message).toBe("Duplicate key detected: 'children'.");
      expect(duplicate.key).toBe("children");
      expect(duplicate.pointer).toBe("/children");
      expect(duplicate.location).toStrictEqual({ line: 1, column: 18 });
    });

    it("finds duplicates nested in arrays and objects, with an escaped pointer and the file name", () => {
      const text = ['{"a": [', '  {"ok": 1},', '  {"x/y": {"k~": 1, "k~": 2}}', "]}"].join("\n");
      const error = errorOf(() => parseJson(text, { origin: "data.json" })) as DuplicateKeyError;
      expect(error).toBeInstanceOf(DuplicateKeyError);
      expect(error.pointer).toBe("/a/1/x~1y/k~0");
      expect(error.location).toStrictEqual({ file: "data.json", line: 3, column: 21 });
    });

    it("compares keys after unescaping, so an escaped spelling of the same key is a duplicate", () => {
      const error = errorOf(() => parseJson('{"ab": 1, "a\\u0062": 2}')) as DuplicateKeyError;
      expect(error).toBeInstanceOf(DuplicateKeyError);
      expect(error.key).toBe("ab");
    });

    it("allows the same key in sibling objects and in parent and child", () => {
      expect(parseJson('[{"a": 1}, {"a": 2, "b": {"a": 3}}]')).toStrictEqual([{ a: 1 }, { a: 2, b: { a: 3 } }]);
    });

    it("uses Python repr quoting for a key holding a single quote", () => {
      const error = errorOf(() => parseJson('{"it\'s": 1, "it\'s": 2}')) as DuplicateKeyError;
      expect(error.message).toBe(`Duplicate key detected: "it's".`);
    });
  });

  describe("syntax errors", () => {
    const cases: [string, string, number, number][] = [
      ["empty text", "", 1, 1],
      ["whitespace only", "  \n ", 2, 2],
      ["a line comment", '{\n  // no\n  "a": 1\n}', 2, 3],
      ["a block comment", '{"a": /* no */ 1}', 1, 7],
      ["a trailing comma in an object", '{"a": 1,\n}', 2, 1],
      ["a trailing comma in an array", "[1, 2, ]", 1, 8],
      ["single quotes", "{'a': 1}", 1, 2],
      ["NaN", "[NaN]", 1, 2],
      ["a second top-level value", "1 2", 1, 3],
      ["a leading zero", "01", 1, 2],
      ["an unterminated string", '"abc', 1, 1],
      ["a raw control character in a string", '"a\tb"', 1, 3],
      ["a byte order mark", "\ufeff{}", 1, 1],
    ];
    for (const [name, text, line, column] of cases) {
      it(`rejects ${name} with a 1-based line and column`, () => {
        const error = errorOf(() => parseJson(text, { origin: "in.json" }));
        expect(error).toBeInstanceOf(JsonSyntaxError);
        const syntax = error as JsonSyntaxError;
        expect(syntax.location).toStrictEqual({ file: "in.json", line, column });
        expect(syntax.message).toContain(`in.json at line ${line} column ${column}`);
        expect(syntax.reason.length).toBeGreaterThan(0);
      });
    }

    it("explains comments and trailing commas in words", () => {
      expect((errorOf(() => parseJson("// x\n1")) as JsonSyntaxError).reason).toMatch(/comments are not allowed/);
      expect((errorOf(() => parseJson("[1,]")) as JsonSyntaxError).reason).toMatch(/trailing commas/);
    });

    it("counts CRLF line breaks once", () => {
      const error = errorOf(() => parseJson('{\r\n"a": 1,\r\n}')) as JsonSyntaxError;
      expect(error.location).toStrictEqual({ line: 3, column: 1 });
    });
  });

  describe("big input", () => {
    const rows = 50_000;
    const big = `[\n${Array.from({ length: rows }, (_, index) => `{"id": ${index}, "name": "row ${index}", "tags": {"n": ${index}}}`).join(",\n")}\n]`;

    it("parses a multi-megabyte document", () => {
      const value = parseJson(big) as { id: number }[];
      expect(big.length).toBeGreaterThan(2_000_000);
      expect(value).toHaveLength(rows);
      expect(value[rows - 1]?.id).toBe(rows - 1);
    });

    it("finds a duplicate near the end of a big document", () => {
      const withDuplicate = big.replace(/\{"id": 49999, /, '{"id": 49999, "id": 1, ');
      const error = errorOf(() => parseJson(withDuplicate)) as DuplicateKeyError;
      expect(error).toBeInstanceOf(DuplicateKeyError);
      expect(error.pointer).toBe("/49999/id");
      expect(error.location?.line).toBe(rows + 1);
    });
  });
});
