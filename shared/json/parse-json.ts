import { type JSONVisitor, type ParseErrorCode, visit } from "jsonc-parser";
import { JsonSyntaxError } from "../errors/index.js";
import { DuplicateKeyError } from "../errors/twine-errors.js";
import { jsonPointer } from "./json-pointer.js";
import { jsonNestingOverflow } from "./nesting-depth.js";
import { locationOfOffset } from "./text-position.js";

export interface ParseJsonOptions {
  /** Names the text's source (usually a file path) in error locations and messages. */
  readonly origin?: string;
}

/** Deeper than any real twine, manifest or set of values, and far from where the parser's recursion overflows. */
const MAX_NESTING = 512;

const STRICT_JSON = { disallowComments: true, allowTrailingComma: false, allowEmptyContent: false } as const;

/**
 * Parses strict JSON, refusing what `JSON.parse` lets through quietly: an object with the same key twice, at any
 * depth. Errors carry a 1-based line and column, and duplicates also the JSON pointer of the repeated key.
 *
 * @throws JsonSyntaxError for anything that is not strict JSON (comments, trailing commas, empty text, …).
 * @throws DuplicateKeyError for a repeated key.
 */
export function parseJson(text: string, options: ParseJsonOptions = {}): unknown {
  // The structural pass recurses once a level: refuse what would overflow it, where the nesting goes too deep.
  const tooDeep = jsonNestingOverflow(text, MAX_NESTING);
  if (tooDeep !== undefined) {
    throw new JsonSyntaxError(
      `arrays and objects are nested more than ${MAX_NESTING} deep`,
      tooDeep,
      locationOfOffset(text, tooDeep, options.origin),
    );
  }
  assertStrictJsonWithoutDuplicateKeys(text, options.origin);
  try {
    return JSON.parse(text);
  } catch (error) {
    // The structural pass accepts a few things JSON.parse does not (exotic whitespace such as a BOM).
    const offset = offsetFromNativeMessage(error) ?? 0;
    throw new JsonSyntaxError(nativeReason(error), offset, locationOfOffset(text, offset, options.origin), {
      cause: error,
    });
  }
}

/** Runs only the structural check of {@link parseJson}; for callers that parse the value some other way. */
export function assertStrictJsonWithoutDuplicateKeys(text: string, origin?: string): void {
  // One key set per open object, innermost last; arrays push nothing because they cannot repeat keys.
  const openObjects: Set<string>[] = [];
  // Where each open '[' or '{' is, innermost last: an error about a missing closer is reported there. At the end of
  // the text the parser closes what is open before it reports the error, so the innermost of those is kept aside.
  const openers: number[] = [];
  let closedByEnd: number | undefined;
  const close = (offset: number, closer: string) => {
    const opener = openers.pop();
    if (text.charAt(offset) !== closer) closedByEnd ??= opener;
  };
  const visitor: JSONVisitor = {
    onObjectBegin: (offset) => {
      openObjects.push(new Set());
      openers.push(offset);
    },
    onObjectEnd: (offset) => {
      openObjects.pop();
      close(offset, "}");
    },
    onArrayBegin: (offset) => {
      openers.push(offset);
    },
    onArrayEnd: (offset) => {
      close(offset, "]");
    },
    onObjectProperty: (key, offset, _length, _line, _column, pathSupplier) => {
      const keys = openObjects[openObjects.length - 1];
      if (keys === undefined) return;
      if (keys.has(key)) {
        throw new DuplicateKeyError(key, {
          pointer: jsonPointer([...pathSupplier(), key]),
          location: locationOfOffset(text, offset, origin),
        });
      }
      keys.add(key);
    },
    onError: (code, offset) => {
      const unclosed = unclosedOpener(text, offset, closedByEnd ?? openers.at(-1));
      if (unclosed !== undefined) {
        throw new JsonSyntaxError(unclosed.reason, unclosed.at, locationOfOffset(text, unclosed.at, origin));
      }
      // The parser reports a bad string at its opening quote; point at the offending character instead.
      const at = code === INVALID_CHARACTER ? firstControlCharacter(text, offset) : offset;
      throw new JsonSyntaxError(describeParseError(code, text, at), at, locationOfOffset(text, at, origin));
    },
  };
  visit(text, visitor, STRICT_JSON);
}

// jsonc-parser's ParseErrorCode values; it is an ambient const enum, which isolated modules cannot read.
const PARSE_ERROR_REASONS: Readonly<Record<number, string>> = {
  1: "unexpected character", // InvalidSymbol
  2: "malformed number", // InvalidNumberFormat
  3: "expected a property name in double quotes (trailing commas are not allowed)", // PropertyNameExpected
  4: "expected a value (trailing commas are not allowed)", // ValueExpected
  5: "expected ':'", // ColonExpected
  6: "expected ','", // CommaExpected
  7: "expected ',' or '}'", // CloseBraceExpected
  8: "expected ',' or ']'", // CloseBracketExpected
  9: "unexpected text after the JSON value", // EndOfFileExpected
  10: "comments are not allowed in JSON", // InvalidCommentToken
  11: "comments are not allowed in JSON", // UnexpectedEndOfComment
  12: "unterminated string", // UnexpectedEndOfString
  13: "incomplete number", // UnexpectedEndOfNumber
  14: "invalid \\u escape", // InvalidUnicode
  15: "invalid escape sequence", // InvalidEscapeCharacter
  16: "control character inside a string", // InvalidCharacter
};
const INVALID_SYMBOL = 1;
const UNEXPECTED_END_OF_STRING = 12;
const INVALID_CHARACTER = 16;

/**
 * An error at the end of the text, or at a closing bracket of the wrong kind, while a '[' or '{' is open is that
 * bracket's: the parser only notices where it gives up, which can be far below it.
 */
function unclosedOpener(
  text: string,
  offset: number,
  opener: number | undefined,
): { at: number; reason: string } | undefined {
  if (opener === undefined) return undefined;
  const open = text.charAt(opener);
  const close = open === "[" ? "]" : "}";
  const found = text.charAt(offset);
  if (offset >= text.trimEnd().length) {
    return {
      at: opener,
      reason: `'${open}' is never closed (add '${close}' after its last ${open === "[" ? "element" : "member"})`,
    };
  }
  if ((found === "]" || found === "}") && found !== close) {
    const { line, column } = locationOfOffset(text, offset);
    return {
      at: opener,
      reason: `'${open}' is closed by '${found}' at line ${line} column ${column} (close it with '${close}')`,
    };
  }
  return undefined;
}

function firstControlCharacter(text: string, from: number): number {
  for (let index = from; index < text.length; index++) {
    if (text.charCodeAt(index) < 0x20) return index;
  }
  return from;
}

function describeParseError(code: ParseErrorCode, text: string, offset: number): string {
  if (offset >= text.length && code !== UNEXPECTED_END_OF_STRING) {
    return text.trim() === "" ? "no JSON value (the text is empty)" : "unexpected end of text";
  }
  const reason = PARSE_ERROR_REASONS[code] ?? "invalid JSON";
  return code === INVALID_SYMBOL ? `${reason} ${JSON.stringify(text.charAt(offset))}` : reason;
}

function nativeReason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Node 20 says "at position N"; newer engines may add "(line L column C)" instead. */
function offsetFromNativeMessage(error: unknown): number | undefined {
  const match = /position (\d+)/.exec(nativeReason(error));
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
