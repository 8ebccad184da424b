/**
 * What the fuzzing found and is not fixed: a bug not fixed yet, or (the one entry today) a behaviour accepted as it is,
 * outside our code. Each has a focused test in test/fuzz/findings.test.ts that asserts the behaviour we hold to. The fuzz properties recognise each one by what was
 * sent and what came back, and count it instead of stopping there, so that a frequent known bug does not hide new
 * ones behind it. `TWINED_FUZZ_STRICT=1` makes them fail the fuzzing too. When a bug is fixed, delete its entry
 * here and its matcher in the surface's file: the fuzzing then holds the fix.
 */
export const KNOWN_FINDINGS = {
  "push-body-refused-by-framework":
    "a push whose body the Functions Framework's own parsers cannot read (not JSON but labelled application/json; an unwrapped push, urlencoded by default, whose data has over 1000 '&'; a charset other than UTF-8) is answered 400/413/415 by the framework, with an HTML page showing a stack trace unless NODE_ENV=production, before pubsubTrigger runs: neither handled nor dead-lettered with a reason",
} as const;

export type KnownFindingId = keyof typeof KNOWN_FINDINGS;

/** A property violation: what went wrong, for the failure message. */
export class PropertyViolation extends Error {
  override readonly name = "PropertyViolation";
}

const STRICT = process.env.TWINED_FUZZ_STRICT === "1";

/** Counts the known findings one surface's fuzzing ran into, and how its inputs fared (for the report line). */
export class FindingTally {
  private readonly counts = new Map<string, number>();
  private readonly outcomes = new Map<string, number>();

  constructor(readonly surface: string) {}

  /** Counts a violation that is the known finding `id`; under TWINED_FUZZ_STRICT=1 it fails like any other. */
  known(id: KnownFindingId, problem: string): void {
    if (STRICT) throw new PropertyViolation(`${problem} [known finding ${id}: ${KNOWN_FINDINGS[id]}]`);
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
  }

  /** Counts one input's outcome (`2xx`, `dead-lettered`, `InvalidTwineContents`…): shows what the inputs reached. */
  outcome(label: string): void {
    this.outcomes.set(label, (this.outcomes.get(label) ?? 0) + 1);
  }

  summary(): Readonly<Record<string, number>> {
    return Object.fromEntries(this.counts);
  }

  outcomeSummary(): Readonly<Record<string, number>> {
    return Object.fromEntries([...this.outcomes].sort(([, a], [, b]) => b - a));
  }
}

/** Fails the input with `problem`. */
export function violation(problem: string): never {
  throw new PropertyViolation(problem);
}
