/** `T` with its properties that may be undefined made optional instead, and never undefined. */
export type DefinedProperties<T> = {
  [K in keyof T as undefined extends T[K] ? never : K]: T[K];
} & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/**
 * The properties of `record` whose value is not `undefined`. Spread it where a property should be absent rather than
 * present and undefined: `{ ...definedProperties({ memory, cpuQuota: options.cpus }) }`. Firestore refuses undefined
 * field values, strict equality tells the two apart, and an options object passed on should not override a default
 * with `undefined`.
 */
export function definedProperties<T extends object>(record: T): DefinedProperties<T> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined)) as DefinedProperties<T>;
}
