import { readFileSync } from "node:fs";
import path from "node:path";

/** One vector of the twine specification's test data (test/fixtures/twine-spec-vectors.json). */
export interface TwineVector {
  readonly id: string;
  readonly kind: string;
  readonly twine?: unknown;
  readonly twine_raw?: string;
  readonly strand?: string;
  readonly data?: unknown;
  readonly data_raw?: string;
  readonly sources?: Record<string, unknown>;
  readonly template?: unknown;
  readonly tags?: unknown;
  readonly expect: string;
}

export const TWINE_VECTORS: readonly TwineVector[] = (
  JSON.parse(readFileSync(path.resolve("test/fixtures/twine-spec-vectors.json"), "utf8")) as {
    vectors: TwineVector[];
  }
).vectors;

/** The example services' twines: real ones, with every kind of strand between them. */
export const EXAMPLE_TWINES: readonly unknown[] = [
  "examples/fractal/twine.json",
  "examples/using-manifests/twine.json",
  "examples/child-services/parent/twine.json",
  "examples/child-services/elevation/twine.json",
  "examples/child-services/wind-speed/twine.json",
].map((file) => JSON.parse(readFileSync(path.resolve(file), "utf8")) as unknown);

/** Every twine the vectors and examples hold, valid or not (a vector's invalid twine is a good start too). */
export const SEED_TWINES: readonly unknown[] = [
  ...EXAMPLE_TWINES,
  ...TWINE_VECTORS.flatMap((vector) => (vector.twine === undefined ? [] : [vector.twine])),
];

/** Strand data from the vectors, for the strand it was written for. */
export function vectorData(kinds: readonly string[]): { readonly strand: string; readonly data: unknown }[] {
  return TWINE_VECTORS.filter((vector) => kinds.includes(vector.kind) && vector.data !== undefined).map((vector) => ({
    strand: vector.strand ?? (vector.kind === "monitor" ? "monitor_message" : vector.kind),
    data: vector.data,
  }));
}
