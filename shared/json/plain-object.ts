/** A JSON object (or any non-null, non-array object): what parsed JSON must be before its properties are read. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
