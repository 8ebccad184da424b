import type { SourceLocation } from "../errors/base.js";

/** Turns a 0-based character offset into a 1-based line and column, counting `\n`, `\r\n` and lone `\r` as breaks. */
export function locationOfOffset(text: string, offset: number, origin?: string): SourceLocation {
  const end = Math.max(0, Math.min(offset, text.length));
  let line = 1;
  let lineStart = 0;
  for (let index = 0; index < end; index++) {
    const char = text.charCodeAt(index);
    if (char === 10 /* \n */ || (char === 13 /* \r */ && text.charCodeAt(index + 1) !== 10)) {
      line++;
      lineStart = index + 1;
    }
  }
  const location = { line, column: end - lineStart + 1 };
  return origin === undefined ? location : { file: origin, ...location };
}
