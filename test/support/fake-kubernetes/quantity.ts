/**
 * Kubernetes resource quantities ("500m", "2", "1.5Gi", "1e3"), parsed to plain numbers in the resource's base unit
 * (cores, bytes). Floating point is precise enough for the sums a test cluster makes; comparisons allow a tiny error.
 */

const SUFFIXES: Readonly<Record<string, number>> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  "": 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

// The grammar of k8s.io/apimachinery/pkg/api/resource: a signed decimal, then a binary or decimal SI suffix or a
// decimal exponent.
const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(?:(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)|[eE]([+-]?\d+))?$/;

/** The quantity's value, or undefined when it is not a valid quantity. */
export function parseQuantity(value: unknown): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  if (typeof value !== "string") return undefined;
  const match = QUANTITY.exec(value.trim());
  if (match === null || match[1] === undefined) return undefined;
  const number = Number(match[1]);
  if (match[3] !== undefined) return number * 10 ** Number(match[3]);
  return number * (SUFFIXES[match[2] ?? ""] ?? 1);
}

export function isQuantity(value: unknown): boolean {
  return parseQuantity(value) !== undefined;
}

/** A canonical-enough rendering: whole numbers plainly, fractions in milli-units ("1500m"), as Kubernetes does. */
export function formatQuantity(value: number): string {
  if (Math.abs(value - Math.round(value)) < 1e-9) return String(Math.round(value));
  return `${Math.round(value * 1000)}m`;
}

/** a <= b, with room for floating point error. */
export function quantityAtMost(a: number, b: number): boolean {
  return a <= b + Math.max(1e-9, Math.abs(b) * 1e-12);
}
