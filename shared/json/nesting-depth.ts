const OPEN_ARRAY = 0x5b;
const OPEN_OBJECT = 0x7b;
const CLOSE_ARRAY = 0x5d;
const CLOSE_OBJECT = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Where a JSON text's arrays and objects first nest deeper than `limit` (the offset of the bracket that does), or
 * undefined when they never do. Brackets inside strings do not count. Text or UTF-8 bytes: the characters that matter
 * are ASCII either way. Deep nesting is refused before parsing, because parsers and validators recurse once a level.
 */
export function jsonNestingOverflow(text: string | Uint8Array, limit: number): number | undefined {
  const codeAt = typeof text === "string" ? (index: number) => text.charCodeAt(index) : (index: number) => text[index];
  let depth = 0;
  let inString = false;
  for (let index = 0; index < text.length; index++) {
    const code = codeAt(index);
    if (inString) {
      if (code === BACKSLASH) index++;
      else if (code === QUOTE) inString = false;
    } else if (code === QUOTE) inString = true;
    else if (code === OPEN_ARRAY || code === OPEN_OBJECT) {
      depth++;
      if (depth > limit) return index;
    } else if (code === CLOSE_ARRAY || code === CLOSE_OBJECT) depth--;
  }
  return undefined;
}
