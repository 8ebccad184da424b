import { Timestamp } from "@google-cloud/firestore";
import { CorruptStoreRecord } from "../../../errors/index.js";
import { isPlainObject } from "../../../json/index.js";

type RecordType = CorruptStoreRecord["recordType"];

/**
 * Reads one document's fields, checking each value's type, so the adapters turn Firestore's untyped data into typed
 * records at the boundary. Any mismatch is a {@link CorruptStoreRecord} naming the record's key. Optional fields are
 * written as `null`; a missing field reads the same, so documents edited by hand in the console stay readable.
 */
export class FieldReader {
  private constructor(
    private readonly fields: Readonly<Record<string, unknown>>,
    private readonly recordType: RecordType,
    private readonly key: string,
  ) {}

  static of(data: unknown, recordType: RecordType, key: string): FieldReader {
    if (!isPlainObject(data)) throw new CorruptStoreRecord(recordType, key, "the document has no fields");
    return new FieldReader(data, recordType, key);
  }

  text(field: string): string {
    const value = this.fields[field];
    if (typeof value !== "string") this.fail(`field ${field} is not a string`);
    return value;
  }

  optionalText(field: string): string | undefined {
    return this.isAbsent(field) ? undefined : this.text(field);
  }

  number(field: string): number {
    const value = this.fields[field];
    if (typeof value !== "number") this.fail(`field ${field} is not a number`);
    return value;
  }

  optionalNumber(field: string): number | undefined {
    return this.isAbsent(field) ? undefined : this.number(field);
  }

  timestamp(field: string): Timestamp {
    const value = this.fields[field];
    if (!(value instanceof Timestamp)) this.fail(`field ${field} is not a timestamp`);
    return value;
  }

  optionalTimestamp(field: string): Timestamp | undefined {
    return this.isAbsent(field) ? undefined : this.timestamp(field);
  }

  /** A timestamp as the ports give times: ISO-8601 UTC with milliseconds, as the SQLite adapter writes them. */
  time(field: string): string {
    return isoTime(this.timestamp(field));
  }

  /** A native map or value, checked with `guard`, naming `what` it should be if it is not. */
  value<T>(field: string, guard: (value: unknown) => value is T, what: string): T {
    const value = this.fields[field];
    if (!guard(value)) this.fail(`field ${field} is not ${what}`);
    return value;
  }

  optionalValue<T>(field: string, guard: (value: unknown) => value is T, what: string): T | undefined {
    return this.isAbsent(field) ? undefined : this.value(field, guard, what);
  }

  /** A JSON text field, parsed and checked with `guard`. */
  json<T>(field: string, guard: (value: unknown) => value is T, what: string): T {
    let value: unknown;
    try {
      value = JSON.parse(this.text(field)) as unknown;
    } catch (error) {
      if (error instanceof CorruptStoreRecord) throw error;
      this.fail(`field ${field} is not valid JSON`);
    }
    if (!guard(value)) this.fail(`field ${field} is not ${what}`);
    return value;
  }

  optionalJson<T>(field: string, guard: (value: unknown) => value is T, what: string): T | undefined {
    return this.isAbsent(field) ? undefined : this.json(field, guard, what);
  }

  fail(detail: string): never {
    throw new CorruptStoreRecord(this.recordType, this.key, detail);
  }

  private isAbsent(field: string): boolean {
    const value = this.fields[field];
    return value === undefined || value === null;
  }
}

export function isoTime(timestamp: Timestamp): string {
  return timestamp.toDate().toISOString();
}
