import type { ErrorObject } from "ajv";

/** The error to report out of ajv's list, and a readable message for it. */
export interface DescribedSchemaFailure {
  readonly message: string;
  /** JSON pointer into the validated data. */
  readonly pointer: string;
}

/** Anything with ajv's `errorsText`; every ajv class has it. */
export interface ErrorsTextProvider {
  errorsText(errors: ErrorObject[], options: { dataVar: string }): string;
}

/** ajv's own `errorsText`, which reads nothing of the instance: so errors of a precompiled validator need no ajv. */
export const ajvErrorsText: ErrorsTextProvider = {
  errorsText: (errors, { dataVar }) =>
    errors.length === 0
      ? "No errors"
      : errors.map((error) => `${dataVar}${error.instancePath} ${error.message}`).join(", "),
};

const COMBINATORS = new Set(["oneOf", "anyOf"]);

/**
 * Summarises ajv's errors as one message, naming the data by `dataVar` (e.g. `input_values/height must be integer`).
 * With `allErrors: false` ajv stops at the first failure, so the last error is the outermost one that failed; when
 * that is a `oneOf`/`anyOf`, the most specific failure of an alternative is added as a hint.
 */
export function describeSchemaFailure(
  ajv: ErrorsTextProvider,
  errors: readonly ErrorObject[] | null | undefined,
  dataVar: string,
): DescribedSchemaFailure {
  const primary = errors?.[errors.length - 1];
  if (primary === undefined) return { message: `${dataVar} is invalid`, pointer: "" };
  let message = textOf(ajv, primary, dataVar);
  if (COMBINATORS.has(primary.keyword)) {
    const hint = closestAlternativeFailure(errors ?? [], primary);
    if (hint !== undefined) message += ` (closest alternative: ${textOf(ajv, hint, dataVar)})`;
  }
  return { message, pointer: primary.instancePath };
}

function textOf(ajv: ErrorsTextProvider, error: ErrorObject, dataVar: string): string {
  const text = ajv.errorsText([error], { dataVar });
  const params: Record<string, unknown> = error.params;
  const extra = params.additionalProperty ?? params.unevaluatedProperty;
  return typeof extra === "string" ? `${text} ('${extra}' was unexpected)` : text;
}

/** The deepest failure inside the combinator's alternatives; later alternatives win ties (they are often the "real" shape). */
function closestAlternativeFailure(errors: readonly ErrorObject[], primary: ErrorObject): ErrorObject | undefined {
  let best: ErrorObject | undefined;
  for (const error of errors) {
    // Errors a `$ref` leads to carry the referenced schema's path, so alternatives are recognised by data location:
    // with `allErrors: false` ajv discards the errors of branches that passed, so what is left belongs to this failure.
    if (error === primary || !isWithin(error.instancePath, primary.instancePath)) continue;
    if (best === undefined || depth(error.instancePath) >= depth(best.instancePath)) best = error;
  }
  return best;
}

function isWithin(pointer: string, parent: string): boolean {
  return pointer === parent || pointer.startsWith(`${parent}/`);
}

function depth(pointer: string): number {
  return pointer === "" ? 0 : pointer.split("/").length - 1;
}
