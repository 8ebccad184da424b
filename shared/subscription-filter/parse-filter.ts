import { InvalidSubscriptionFilter } from "../errors/event-errors.js";
import type { FilterCondition, FilterExpression, FilterNode } from "./filter-ast.js";
import { MAX_FILTER_BYTES } from "./filter-limits.js";
import { isRawForbidden, readEscape } from "./string-literal.js";

export interface ParseFilterOptions {
  /** Defaults to Pub/Sub's 256 bytes; pass `Infinity` to parse longer text (e.g. in tests). */
  readonly maxBytes?: number;
}

/**
 * Parses a Pub/Sub subscription filter into its syntax tree, refusing what Pub/Sub refuses: text over 256 bytes,
 * lowercase operators, AND mixed with OR without parentheses, negations stacked without parentheses, unquoted keys
 * with special characters, unknown escapes, and anything other than `attributes` tests and `hasPrefix`.
 * Empty (or all-whitespace) text is the match-everything filter.
 *
 * @throws InvalidSubscriptionFilter with the 0-based character position of the problem.
 */
export function parseSubscriptionFilter(text: string, options: ParseFilterOptions = {}): FilterExpression {
  assertWithinByteLimit(text, options.maxBytes ?? MAX_FILTER_BYTES);
  return new FilterParser(text).parseWhole();
}

const WORD_CHARACTER = /[A-Za-z0-9_]/;
const KEY_CHARACTER = /[A-Za-z0-9_-]/;
// Only ASCII whitespace separates tokens; anything else (a no-break space, say) is reported where it stands.
const WHITESPACE = /[ \t\n\r\f\v]/;

function isOperatorInWrongCase(word: string): boolean {
  const upper = word.toUpperCase();
  return word !== upper && (upper === "AND" || upper === "OR" || upper === "NOT");
}

class FilterParser {
  private position = 0;

  constructor(private readonly source: string) {}

  parseWhole(): FilterExpression {
    this.skipWhitespace();
    if (this.atEnd()) return { kind: "matchAll" };
    const expression = this.parseExpression();
    this.skipWhitespace();
    if (!this.atEnd()) {
      if (this.peek() === ")") this.fail('unbalanced ")": there is no "(" for it to close');
      this.fail(`expected AND, OR or the end of the filter, got ${this.describeHere()}`);
    }
    return expression;
  }

  private parseExpression(): FilterNode {
    const first = this.parseUnary();
    const operands: FilterNode[] = [first];
    let operator: "AND" | "OR" | undefined;
    for (;;) {
      this.skipWhitespace();
      const start = this.position;
      const word = this.peekWord();
      if (word === "AND" || word === "OR") {
        if (operator !== undefined && operator !== word) {
          this.fail("AND and OR cannot be mixed without parentheses; group them, e.g. (a AND b) OR c", start);
        }
        operator = word;
        this.position += word.length;
        this.requireSeparationAfterKeyword(word);
        operands.push(this.parseUnary());
        continue;
      }
      if (word === "NOT") this.fail("expected AND or OR before NOT", start);
      if (isOperatorInWrongCase(word)) {
        this.fail(`operators must be uppercase: write ${word.toUpperCase()}, not ${word}`, start);
      }
      break;
    }
    if (operator === undefined) return first;
    return { kind: operator === "AND" ? "and" : "or", operands };
  }

  private parseUnary(): FilterNode {
    this.skipWhitespace();
    if (this.startsNegation()) {
      this.consumeNegation();
      this.skipWhitespace();
      if (this.startsNegation()) {
        this.fail("a negation cannot directly follow another; put the inner one in parentheses: NOT (NOT …)");
      }
      return { kind: "not", operand: this.parsePrimary() };
    }
    return this.parsePrimary();
  }

  private startsNegation(): boolean {
    return this.peek() === "-" || this.peekWord() === "NOT";
  }

  private consumeNegation(): void {
    if (this.peek() === "-") {
      this.position += 1;
      if (this.atEnd() || WHITESPACE.test(this.peek())) {
        this.fail('"-" must be followed directly by what it negates, e.g. -attributes:key');
      }
      return;
    }
    this.position += "NOT".length;
    this.requireSeparationAfterKeyword("NOT");
  }

  private parsePrimary(): FilterNode {
    this.skipWhitespace();
    const start = this.position;
    if (this.peek() === "(") {
      this.position += 1;
      this.skipWhitespace();
      if (this.peek() === ")") this.fail("empty parentheses: put a condition inside");
      const inner = this.parseExpression();
      this.skipWhitespace();
      if (this.peek() !== ")") {
        this.fail(`expected ")" to close the "(" at character ${start + 1}, got ${this.describeHere()}`);
      }
      this.position += 1;
      return inner;
    }
    if (this.atEnd()) this.fail("expected a condition, got the end of the filter");
    const word = this.peekWord();
    if (word === "attributes") {
      this.position += word.length;
      return this.parseAttributeTest();
    }
    if (word === "hasPrefix") {
      this.position += word.length;
      return this.parseHasPrefix();
    }
    if (word === "") this.fail(`expected a condition, got ${this.describeHere()}`);
    if (word === "AND" || word === "OR") this.fail(`expected a condition before ${word}`);
    if (isOperatorInWrongCase(word)) this.fail(`operators must be uppercase: write ${word.toUpperCase()}, not ${word}`);
    this.fail(
      `unknown name ${JSON.stringify(word)}: a filter can only test attributes (attributes.key = "v", attributes:key) or call hasPrefix`,
    );
  }

  private parseAttributeTest(): FilterCondition {
    const separator = this.peek();
    if (separator === ":") {
      this.position += 1;
      return { kind: "hasAttribute", key: this.parseKey("attributes:") };
    }
    if (separator !== ".") this.fail('expected "." or ":" directly after attributes, e.g. attributes.key = "v"');
    this.position += 1;
    const key = this.parseKey("attributes.");
    this.skipWhitespace();
    const operatorStart = this.position;
    let kind: "equals" | "notEquals";
    if (this.source.startsWith("!=", this.position)) {
      kind = "notEquals";
      this.position += 2;
    } else if (this.peek() === "=") {
      kind = "equals";
      this.position += 1;
      if (this.peek() === "=") this.fail('use a single "=" to compare, not "=="', operatorStart);
    } else {
      this.fail(`expected "=" or "!=" after attributes.${key}, got ${this.describeHere()}`);
    }
    this.skipWhitespace();
    const value = this.parseString(`the value compared with attributes.${key}`);
    return { kind, key, value };
  }

  private parseHasPrefix(): FilterCondition {
    if (this.peek() !== "(") this.fail('expected "(" directly after hasPrefix');
    this.position += 1;
    this.skipWhitespace();
    if (this.peekWord() !== "attributes" || this.source[this.position + "attributes".length] !== ".") {
      this.fail('the first argument of hasPrefix must be an attribute, e.g. hasPrefix(attributes.key, "p")');
    }
    this.position += "attributes.".length;
    const key = this.parseKey("attributes.");
    this.skipWhitespace();
    if (this.peek() !== ",") this.fail(`expected "," after attributes.${key} in hasPrefix, got ${this.describeHere()}`);
    this.position += 1;
    this.skipWhitespace();
    const prefix = this.parseString("the prefix in hasPrefix");
    this.skipWhitespace();
    if (this.peek() !== ")") this.fail(`expected ")" to end hasPrefix, got ${this.describeHere()}`);
    this.position += 1;
    return { kind: "hasPrefix", key, prefix };
  }

  private parseKey(after: string): string {
    const start = this.position;
    if (this.peek() === '"') {
      const key = this.parseString(`the attribute name after ${after}`);
      if (key === "") this.fail("an attribute name cannot be empty", start);
      return key;
    }
    while (!this.atEnd() && KEY_CHARACTER.test(this.peek())) this.position += 1;
    if (this.position === start) {
      this.fail(`expected an attribute name after ${after}, got ${this.describeHere()}`);
    }
    const next = this.peek();
    if (!this.atEnd() && !WHITESPACE.test(next) && !"=!)(,".includes(next)) {
      this.fail(
        `attribute names with characters other than letters, digits, "_" and "-" must be quoted, e.g. ${after}"iana.org/language"`,
      );
    }
    return this.source.slice(start, this.position);
  }

  private parseString(what: string): string {
    const start = this.position;
    const quote = this.peek();
    if (quote === "'") this.fail(`${what} must be in double quotes, not single quotes`);
    if (quote !== '"') this.fail(`expected ${what} as a double-quoted string, got ${this.describeHere()}`);
    this.position += 1;
    let text = "";
    for (;;) {
      if (this.atEnd()) this.fail(`unterminated string: the quote at character ${start + 1} is never closed`, start);
      const character = this.peek();
      if (character === '"') {
        this.position += 1;
        return text;
      }
      if (character === "\\") {
        const reading = readEscape(this.source, this.position + 1);
        if ("error" in reading) this.fail(reading.error);
        text += reading.text;
        this.position += 1 + reading.length;
        continue;
      }
      if (isRawForbidden(character)) {
        this.fail(
          `control character U+${character.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")} must be escaped inside a string (e.g. \\n or \\x01)`,
        );
      }
      text += character;
      this.position += 1;
    }
  }

  /** Keywords are whole words: `ANDattributes` is a name, not `AND attributes`. */
  private requireSeparationAfterKeyword(keyword: string): void {
    const next = this.peek();
    if (this.atEnd()) this.fail(`expected a condition after ${keyword}, got the end of the filter`);
    if (next === "-") return;
    if (!WHITESPACE.test(next) && next !== "(") this.fail(`expected a space after ${keyword}`);
  }

  private peekWord(): string {
    let end = this.position;
    while (end < this.source.length && WORD_CHARACTER.test(this.source[end] ?? "")) end += 1;
    return this.source.slice(this.position, end);
  }

  private peek(): string {
    return this.source[this.position] ?? "";
  }

  private atEnd(): boolean {
    return this.position >= this.source.length;
  }

  private skipWhitespace(): void {
    while (!this.atEnd() && WHITESPACE.test(this.peek())) this.position += 1;
  }

  private describeHere(): string {
    if (this.atEnd()) return "the end of the filter";
    const word = this.peekWord();
    return word === "" ? JSON.stringify(this.peek()) : JSON.stringify(word);
  }

  private fail(message: string, position: number = this.position): never {
    throw new InvalidSubscriptionFilter(message, this.source, position);
  }
}

function assertWithinByteLimit(text: string, maxBytes: number): void {
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes <= maxBytes) return;
  let used = 0;
  let position = 0;
  for (const character of text) {
    used += Buffer.byteLength(character, "utf8");
    if (used > maxBytes) break;
    position += character.length;
  }
  throw new InvalidSubscriptionFilter(`filter is ${bytes} bytes; Pub/Sub allows at most ${maxBytes}`, text, position);
}
