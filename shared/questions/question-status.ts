/**
 * The life of a question (ARCHITECTURE.md §5):
 *
 *   received → validated → dispatched → queued → running → succeeded | failed | cancelled | timed_out
 *   received → rejected (invalid inputs, unknown revision)
 *
 * A question can also be cancelled or time out from any non-terminal state, and fail from any state once it has been
 * validated (its job could not be launched or start). Terminal states are never left.
 */
export const QUESTION_STATUSES = [
  "received",
  "validated",
  "dispatched",
  "queued",
  "running",
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
  "rejected",
] as const;

export type QuestionStatus = (typeof QUESTION_STATUSES)[number];

export const TERMINAL_STATUSES: ReadonlySet<QuestionStatus> = new Set([
  "succeeded",
  "failed",
  "cancelled",
  "timed_out",
  "rejected",
]);

const FORWARD: Readonly<Record<QuestionStatus, readonly QuestionStatus[]>> = {
  received: ["validated", "rejected", "cancelled", "timed_out"],
  validated: ["dispatched", "cancelled", "timed_out", "failed"],
  dispatched: ["queued", "running", "succeeded", "failed", "cancelled", "timed_out"],
  queued: ["running", "succeeded", "failed", "cancelled", "timed_out"],
  running: ["succeeded", "failed", "cancelled", "timed_out"],
  succeeded: [],
  failed: [],
  cancelled: [],
  timed_out: [],
  rejected: [],
};

export function isQuestionStatus(value: unknown): value is QuestionStatus {
  return typeof value === "string" && (QUESTION_STATUSES as readonly string[]).includes(value);
}

export function isTerminal(status: QuestionStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/**
 * Whether a question may move from `from` to `to`. Moves only go forward: a late or duplicated "running" after
 * "succeeded", or "queued" after "running", is refused, which is what makes reordered deliveries harmless. Skipping
 * ahead is allowed (an event can overtake the one announcing an earlier state).
 */
export function canTransition(from: QuestionStatus, to: QuestionStatus): boolean {
  return FORWARD[from].includes(to);
}
