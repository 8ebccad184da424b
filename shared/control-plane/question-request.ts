import type { ErrorObject } from "ajv";
import { InvalidQuestionRequest } from "../errors/index.js";
import { type FixedSchemaSet, fixedValidators } from "../validation/fixed-validators.js";

/** What an asker sends to `POST /questions`. Only `recipient` is required. */
export interface QuestionRequest {
  /** `namespace/name` (its default revision answers) or `namespace/name:tag`. */
  readonly recipient: string;
  readonly input_values?: unknown;
  readonly input_manifest?: Record<string, unknown>;
  readonly children?: readonly Record<string, unknown>[];
  /** Reusing a UUID asks the same question again: the existing question is returned, not run twice. */
  readonly question_uuid?: string;
  readonly parent_question_uuid?: string;
  readonly originator_question_uuid?: string;
  /** The asker's SRUID; defaults to `local/local:local`, as Octue's scripts use. */
  readonly sender?: string;
  /** The SRUID of whoever asked the tree's first question; defaults to the sender. */
  readonly originator?: string;
  /** How many times this question has been asked before (an asker's retries). */
  readonly retry_count?: number;
  /** Where every event of the question is POSTed as it happens. */
  readonly push_endpoint?: string;
  readonly timeout_seconds?: number;
  readonly priority?: number;
  readonly cpus?: number;
  readonly memory?: string;
  readonly ephemeral_storage?: string;
  readonly forward_logs?: boolean;
}

const UUID = "^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$";
// Kubernetes resource quantities, e.g. 512Mi, 2Gi, 1.5G.
const QUANTITY = "^[0-9]+(\\.[0-9]+)?(Ki|Mi|Gi|Ti|Pi|Ei|k|M|G|T|P|E)?$";

const requestSchema = {
  type: "object",
  required: ["recipient"],
  additionalProperties: false,
  properties: {
    recipient: { type: "string", minLength: 1 },
    input_values: {},
    input_manifest: { type: "object" },
    children: { type: "array", items: { type: "object" } },
    question_uuid: { type: "string", pattern: UUID },
    parent_question_uuid: { type: "string", pattern: UUID },
    originator_question_uuid: { type: "string", pattern: UUID },
    sender: { type: "string", minLength: 1 },
    originator: { type: "string", minLength: 1 },
    retry_count: { type: "integer", minimum: 0 },
    push_endpoint: { type: "string", pattern: "^https?://\\S+$" },
    timeout_seconds: { type: "number", exclusiveMinimum: 0 },
    priority: { type: "integer" },
    cpus: { type: "integer", minimum: 1 },
    memory: { type: "string", pattern: QUANTITY },
    ephemeral_storage: { type: "string", pattern: QUANTITY },
    forward_logs: { type: "boolean" },
  },
} as const;

const FIELDS = Object.keys(requestSchema.properties);

const HINTS: Readonly<Record<string, string>> = {
  question_uuid: "a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6",
  parent_question_uuid: "a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6",
  originator_question_uuid: "a UUID such as 3fa85f64-5717-4562-b3fc-2c963f66afa6",
  push_endpoint: "an http(s) URL",
  memory: "a Kubernetes quantity such as 512Mi or 2Gi",
  ephemeral_storage: "a Kubernetes quantity such as 512Mi or 2Gi",
};

/** The request's schema is ours: strict, and not checked against its meta-schema at run time. */
export const QUESTION_REQUEST_SCHEMA_SET: FixedSchemaSet<"request"> = {
  id: "question-request",
  draft: "draft-07",
  options: { strict: true, allErrors: false, validateSchema: false },
  schemas: [{ schema: requestSchema, key: "twined:question-request" }],
  exports: { request: "twined:question-request" },
};

/** Checks a `POST /questions` body. @throws InvalidQuestionRequest for the first problem, with its JSON pointer. */
export function parseQuestionRequest(body: unknown): QuestionRequest {
  const validate = fixedValidators(QUESTION_REQUEST_SCHEMA_SET).request;
  if (validate(body)) return body as unknown as QuestionRequest;
  const error = validate.errors?.[0];
  throw new InvalidQuestionRequest(describe(error), { pointer: pointerOf(error) });
}

function pointerOf(error: ErrorObject | undefined): string {
  if (error === undefined) return "";
  if (error.keyword === "additionalProperties") return `/${String(error.params.additionalProperty)}`;
  return error.instancePath;
}

function describe(error: ErrorObject | undefined): string {
  if (error === undefined) return "the question request is invalid";
  const field = error.instancePath.slice(1).split("/")[0] ?? "";
  switch (error.keyword) {
    case "type":
      return error.instancePath === ""
        ? 'the request body must be a JSON object, e.g. {"recipient": "my-org/my-service", "input_values": {…}}'
        : `'${field}' must be ${article(String(error.params.type))}`;
    case "required":
      return "'recipient' is required: the service to ask, as namespace/name or namespace/name:tag";
    case "additionalProperties": {
      const unknown = String(error.params.additionalProperty);
      const suggestion = closest(unknown, FIELDS);
      return `unknown field '${unknown}'${suggestion === undefined ? "" : ` (did you mean '${suggestion}'?)`}; the fields are ${FIELDS.join(", ")}`;
    }
    case "pattern":
      return `'${field}' must be ${HINTS[field] ?? `of the form ${String(error.params.pattern)}`}`;
    case "minimum":
    case "exclusiveMinimum":
      return `'${field}' ${error.message ?? "is too small"}`;
    default:
      return `'${field}' ${error.message ?? "is invalid"}`;
  }
}

function article(type: string): string {
  return type === "object"
    ? "a JSON object"
    : type === "array"
      ? "a list"
      : type === "integer"
        ? "an integer"
        : `a ${type}`;
}

/** The known field nearest to a misspelt one, if it is close enough to be the likely intent. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (best === undefined || distance < best.distance) best = { candidate, distance };
  }
  return best !== undefined && best.distance <= Math.max(2, Math.floor(word.length / 4)) ? best.candidate : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}
