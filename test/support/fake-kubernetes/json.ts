/** Small helpers for the untyped JSON objects the fake stores: every Kubernetes object here is a plain record. */

export type JsonObject = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A deep copy, so that callers never hold a reference into the store. */
export function clone<T>(value: T): T {
  return structuredClone(value);
}

/** Freezes a value and everything in it, so that a reader that changes a stored object fails at once. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** The record at `key`, created when missing (or replaced when it is not a record). */
export function child(parent: JsonObject, key: string): JsonObject {
  const existing = parent[key];
  if (isRecord(existing)) return existing;
  const created: JsonObject = {};
  parent[key] = created;
  return created;
}

/** The value at a path of keys, or undefined when any step is missing or not a record. */
export function at(value: unknown, ...path: readonly (string | number)[]): unknown {
  let current = value;
  for (const key of path) {
    if (Array.isArray(current)) {
      // JSON pointers name array items with digit strings.
      const index = typeof key === "number" ? key : /^\d+$/.test(key) ? Number(key) : Number.NaN;
      if (Number.isNaN(index)) return undefined;
      current = current[index];
    } else if (typeof key === "number") {
      return undefined;
    } else {
      if (!isRecord(current)) return undefined;
      current = current[key];
    }
  }
  return current;
}

export function stringAt(value: unknown, ...path: readonly (string | number)[]): string | undefined {
  const found = at(value, ...path);
  return typeof found === "string" ? found : undefined;
}

export function numberAt(value: unknown, ...path: readonly (string | number)[]): number | undefined {
  const found = at(value, ...path);
  return typeof found === "number" ? found : undefined;
}

export function recordAt(value: unknown, ...path: readonly (string | number)[]): JsonObject | undefined {
  const found = at(value, ...path);
  return isRecord(found) ? found : undefined;
}

export function arrayAt(value: unknown, ...path: readonly (string | number)[]): readonly unknown[] {
  const found = at(value, ...path);
  return Array.isArray(found) ? found : [];
}

/** String-valued entries of a record (labels, annotations, node selectors). */
export function stringMapAt(value: unknown, ...path: readonly (string | number)[]): Record<string, string> {
  const found = recordAt(value, ...path);
  const result: Record<string, string> = {};
  if (found === undefined) return result;
  for (const [key, entry] of Object.entries(found)) if (typeof entry === "string") result[key] = entry;
  return result;
}

/** RFC 7386 JSON merge patch: records merge key by key, `null` removes a key, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isRecord(patch)) return clone(patch);
  const result: JsonObject = isRecord(target) ? clone(target) : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** Structural equality of JSON values (key order ignored). */
export function jsonEqual(left: unknown, right: unknown): boolean {
  if (left === right) return true;
  if (Array.isArray(left)) {
    if (!Array.isArray(right) || left.length !== right.length) return false;
    return left.every((item, index) => jsonEqual(item, right[index]));
  }
  if (isRecord(left)) {
    if (!isRecord(right)) return false;
    const leftKeys = Object.keys(left).filter((key) => left[key] !== undefined);
    const rightKeys = Object.keys(right).filter((key) => right[key] !== undefined);
    if (leftKeys.length !== rightKeys.length) return false;
    return leftKeys.every((key) => jsonEqual(left[key], right[key]));
  }
  return false;
}

/** `/spec/template/spec/containers/0/image` (a JSON pointer) as Kubernetes writes field paths: `spec.template.spec.containers[0].image`. */
export function fieldPath(pointer: string): string {
  let result = "";
  for (const raw of pointer.split("/").slice(1)) {
    const part = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (/^\d+$/.test(part)) result += `[${part}]`;
    else result += result === "" ? part : `.${part}`;
  }
  return result;
}

export function nowIso(): string {
  // Kubernetes timestamps have whole seconds (metav1.Time); MicroTime is not used by the objects served here.
  return `${new Date().toISOString().slice(0, 19)}Z`;
}
