import { CorruptStoreRecord } from "../../../errors/index.js";

type RecordType = CorruptStoreRecord["recordType"];

/**
 * Reads one result row column by column, checking each value's type, so adapters turn `unknown` rows into typed
 * records at the boundary. Any mismatch is a {@link CorruptStoreRecord} naming the record's key.
 */
export class RowReader {
  private constructor(
    private readonly row: Readonly<Record<string, unknown>>,
    private readonly recordType: RecordType,
    private readonly key: string,
  ) {}

  /** `describeKey` builds the record's key (question UUID, SRUID) for error messages from the raw row. */
  static of(row: unknown, recordType: RecordType, describeKey: (row: Readonly<Record<string, unknown>>) => string) {
    if (typeof row !== "object" || row === null) {
      throw new CorruptStoreRecord(recordType, "(unknown)", "the row is not an object");
    }
    const columns = row as Readonly<Record<string, unknown>>;
    return new RowReader(columns, recordType, describeKey(columns));
  }

  text(column: string): string {
    const value = this.row[column];
    if (typeof value !== "string") this.fail(`column ${column} is not text`);
    return value;
  }

  optionalText(column: string): string | undefined {
    return this.row[column] === null ? undefined : this.text(column);
  }

  number(column: string): number {
    const value = this.row[column];
    if (typeof value !== "number") this.fail(`column ${column} is not a number`);
    return value;
  }

  optionalNumber(column: string): number | undefined {
    return this.row[column] === null ? undefined : this.number(column);
  }

  bytes(column: string): Buffer {
    const value = this.row[column];
    if (!Buffer.isBuffer(value)) this.fail(`column ${column} is not a blob`);
    return value;
  }

  json(column: string): unknown {
    const text = this.text(column);
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return this.fail(`column ${column} is not valid JSON`);
    }
  }

  optionalJson(column: string): unknown {
    return this.row[column] === null ? undefined : this.json(column);
  }

  /** Parses a JSON column and checks it with `guard`, naming `what` it should be if it is not. */
  checked<T>(column: string, guard: (value: unknown) => value is T, what: string): T {
    const value = this.json(column);
    if (!guard(value)) this.fail(`column ${column} is not ${what}`);
    return value;
  }

  optionalChecked<T>(column: string, guard: (value: unknown) => value is T, what: string): T | undefined {
    return this.row[column] === null ? undefined : this.checked(column, guard, what);
  }

  fail(detail: string): never {
    throw new CorruptStoreRecord(this.recordType, this.key, detail);
  }
}

/** The column as text for error keys, or a placeholder; never throws, because it runs before validation. */
export function columnText(row: Readonly<Record<string, unknown>>, column: string): string {
  const value = row[column];
  return typeof value === "string" ? value : `(no ${column})`;
}
