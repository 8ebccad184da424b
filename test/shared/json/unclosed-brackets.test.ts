import { describe, expect, it } from "vitest";
import { JsonSyntaxError } from "../../../shared/errors/index.js";
import { parseJson } from "../../../shared/json/index.js";
import { JsonSource, loadTwine } from "../../../shared/twine/index.js";

function syntaxErrorOf(text: string): JsonSyntaxError {
  try {
    parseJson(text, { origin: "twine.json" });
  } catch (error) {
    expect(error).toBeInstanceOf(JsonSyntaxError);
    return error as JsonSyntaxError;
  }
  throw new Error("expected the text to be rejected");
}

describe("unclosed brackets in JSON", () => {
  it("puts a '[' left open at the end of the text at the bracket, not at the end", () => {
    const error = syntaxErrorOf('{\n  "input_values_schema": {\n    "required": ["n",\n\n\n');
    expect(error.location).toStrictEqual({ file: "twine.json", line: 3, column: 17 });
    expect(error.reason).toBe("'[' is never closed (add ']' after its last element)");
  });

  it("puts a '{' left open at the end of the text at the brace", () => {
    const error = syntaxErrorOf('{\n  "a": 1,\n  "b": 2\n');
    expect(error.location).toStrictEqual({ file: "twine.json", line: 1, column: 1 });
    expect(error.reason).toBe("'{' is never closed (add '}' after its last member)");
  });

  it("puts a '[' closed by '}' at the '[', naming where the '}' is", () => {
    const error = syntaxErrorOf('{"a": [1,\n  2}\n}');
    expect(error.location).toStrictEqual({ file: "twine.json", line: 1, column: 7 });
    expect(error.reason).toBe("'[' is closed by '}' at line 2 column 4 (close it with ']')");
  });

  it("reports a twine with an unclosed '[' at the bracket", () => {
    const twine = '{\n  "input_values_schema": {"type": "object", "required": ["n"\n  }\n}\n';
    expect(() => loadTwine(JsonSource.text(twine))).toThrow(
      /line 2 column 57: '\[' is closed by '\}' at line 3 column 3/,
    );
  });
});
