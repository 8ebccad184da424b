import { isPlainObject } from "../../json/index.js";

/** Reads output values kept in storage (`output_values_reference`), as JSON. */
export type OutputValuesReader = (reference: string) => Promise<unknown>;

/**
 * An answer (or `result` event) with output values that were too large for a message fetched from storage in place
 * of their reference, so askers of the HTTP API never see the difference. Unchanged without a reference, or without
 * a reader (the reference is then left for the asker).
 */
export async function withOutputValues<T>(body: T, read: OutputValuesReader | undefined): Promise<T> {
  if (read === undefined || !isPlainObject(body) || typeof body.output_values_reference !== "string") return body;
  const { output_values_reference: reference, ...rest } = body;
  return { ...rest, output_values: await read(reference) } as T;
}
