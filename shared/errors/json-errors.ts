import { type SourceLocation, TwinedError } from "./base.js";

/** Text that is not strict JSON (RFC 8259): comments, trailing commas, empty input and the like. */
export class JsonSyntaxError extends TwinedError {
  /** 0-based offset, in UTF-16 code units, of the first offending character. */
  readonly offset: number;

  constructor(
    /** What is wrong, without the position (e.g. `expected ',' or '}'`). */
    readonly reason: string,
    offset: number,
    location: SourceLocation,
    options: { cause?: unknown } = {},
  ) {
    super(`Invalid JSON${describeLocation(location)}: ${reason}`, { ...options, location });
    this.offset = offset;
  }
}

function describeLocation(location: SourceLocation): string {
  const at = location.line === undefined ? "" : ` at line ${location.line} column ${location.column ?? 1}`;
  return location.file === undefined ? at : ` in ${location.file}${at}`;
}
