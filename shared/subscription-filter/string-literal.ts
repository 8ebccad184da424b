const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: "\u0007",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
  "\\": "\\",
  '"': '"',
  "'": "'",
  "`": "`",
  "?": "?",
};

const WRITTEN_ESCAPES: Readonly<Record<string, string>> = {
  "\u0007": "\\a",
  "\b": "\\b",
  "\f": "\\f",
  "\n": "\\n",
  "\r": "\\r",
  "\t": "\\t",
  "\v": "\\v",
  "\\": "\\\\",
  '"': '\\"',
};

/** Characters a filter may not hold raw inside a string: Pub/Sub wants non-printing characters escaped. */
export function isRawForbidden(character: string): boolean {
  const code = character.charCodeAt(0);
  return code < 0x20 || code === 0x7f;
}

/** Writes `text` as a double-quoted filter string literal that reads back as exactly `text`. */
export function quoteFilterString(text: string): string {
  let quoted = '"';
  for (const character of text) {
    const code = character.codePointAt(0) ?? 0;
    const written = WRITTEN_ESCAPES[character];
    if (written !== undefined) quoted += written;
    else if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) quoted += `\\u${code.toString(16).padStart(4, "0")}`;
    else quoted += character;
  }
  return `${quoted}"`;
}

/** The outcome of reading one escape sequence: the text it stands for and how many characters it used. */
export type EscapeReading = { readonly text: string; readonly length: number } | { readonly error: string };

/**
 * Reads the escape sequence starting at `source[start]` (the character after the backslash). Supports the C-style
 * escapes, `\xHH`, `\uHHHH`, `\UHHHHHHHH` and three-digit octal `\ooo`, as Pub/Sub's filter language does.
 */
export function readEscape(source: string, start: number): EscapeReading {
  const letter = source[start];
  if (letter === undefined) return { error: "the string ends in the middle of an escape sequence" };
  const simple = SIMPLE_ESCAPES[letter];
  if (simple !== undefined) return { text: simple, length: 1 };
  if (letter === "x") return hexEscape(source, start, 2);
  if (letter === "u") return hexEscape(source, start, 4);
  if (letter === "U") return hexEscape(source, start, 8);
  if (letter >= "0" && letter <= "7") {
    const digits = source.slice(start, start + 3);
    if (/^[0-3][0-7]{2}$/.test(digits)) return { text: String.fromCharCode(Number.parseInt(digits, 8)), length: 3 };
    return { error: `an octal escape needs exactly three digits 000-377, got \\${digits}` };
  }
  return {
    error: `unknown escape \\${letter}; use \\\\ for a backslash, \\" for a quote, or \\n, \\t, \\xHH, \\uHHHH`,
  };
}

function hexEscape(source: string, start: number, digitCount: number): EscapeReading {
  const letter = source[start] ?? "";
  const digits = source.slice(start + 1, start + 1 + digitCount);
  if (digits.length !== digitCount || !/^[0-9a-fA-F]+$/.test(digits)) {
    return { error: `\\${letter} must be followed by exactly ${digitCount} hexadecimal digits` };
  }
  const codePoint = Number.parseInt(digits, 16);
  if (codePoint > 0x10ffff) return { error: `\\${letter}${digits} is beyond the last Unicode code point` };
  return { text: String.fromCodePoint(codePoint), length: 1 + digitCount };
}
