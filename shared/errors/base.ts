/** A place in a file. Lines and columns are 1-based, as editors show them. */
export interface SourceLocation {
  readonly file?: string;
  readonly line?: number;
  readonly column?: number;
}

export interface TwinedErrorOptions {
  readonly cause?: unknown;
  /** JSON pointer (RFC 6901) into the data or document the error is about. */
  readonly pointer?: string;
  readonly location?: SourceLocation;
}

/**
 * The root of every error Twined raises on purpose. Each subclass carries the domain key it is about (a strand, a
 * SRUID, a question UUID, a JSON pointer or a file position) so callers can act on it without parsing messages.
 */
export class TwinedError extends Error {
  readonly pointer: string | undefined;
  readonly location: SourceLocation | undefined;

  constructor(message: string, options: TwinedErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.pointer = options.pointer;
    this.location = options.location;
  }

  /** Where the problem is, e.g. `octue.yaml:3:7` or `/input_values/height`, if known. */
  where(): string | undefined {
    const parts: string[] = [];
    const location = this.location;
    if (location?.file !== undefined || location?.line !== undefined) {
      let text = location.file ?? "<input>";
      if (location.line !== undefined) text += `:${location.line}`;
      if (location.line !== undefined && location.column !== undefined) text += `:${location.column}`;
      parts.push(text);
    }
    if (this.pointer !== undefined) parts.push(this.pointer === "" ? "(document root)" : this.pointer);
    return parts.length > 0 ? parts.join(" at ") : undefined;
  }
}

/** Marks an error that retrying cannot fix (bad input, unknown revision): deliver it, never redeliver the message. */
export class NonRetryableError extends TwinedError {}
