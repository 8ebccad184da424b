import { arrayAt, isRecord, type JsonObject, nowIso } from "./json.js";

export interface ConditionInput {
  readonly type: string;
  readonly status: "True" | "False" | "Unknown";
  readonly reason: string;
  readonly message: string;
}

export function findCondition(object: unknown, type: string, path: "status" = "status"): JsonObject | undefined {
  return arrayAt(object, path, "conditions").find(
    (condition): condition is JsonObject => isRecord(condition) && condition.type === type,
  );
}

export function conditionIs(object: unknown, type: string, status: "True" | "False" = "True"): boolean {
  return findCondition(object, type)?.status === status;
}

/**
 * Sets a condition in `status.conditions`, as controllers do: `lastTransitionTime` moves only when the status
 * changes, and setting what is already there changes nothing (so no needless update or watch event).
 * `style` picks the shape: `meta` (metav1.Condition, Kueue) or `job` (JobCondition, with lastProbeTime).
 */
export function setCondition(object: JsonObject, input: ConditionInput, style: "meta" | "job" = "meta"): void {
  const status = isRecord(object.status) ? object.status : {};
  object.status = status;
  const conditions = Array.isArray(status.conditions) ? [...status.conditions] : [];
  const index = conditions.findIndex((condition) => isRecord(condition) && condition.type === input.type);
  const existing = index === -1 ? undefined : conditions[index];
  const now = nowIso();
  const transition =
    isRecord(existing) && existing.status === input.status && typeof existing.lastTransitionTime === "string"
      ? existing.lastTransitionTime
      : now;
  const generation = isRecord(object.metadata) ? object.metadata.generation : undefined;
  const next: JsonObject =
    style === "meta"
      ? {
          type: input.type,
          status: input.status,
          ...(typeof generation === "number" ? { observedGeneration: generation } : {}),
          lastTransitionTime: transition,
          reason: input.reason,
          message: input.message,
        }
      : {
          type: input.type,
          status: input.status,
          lastProbeTime: isRecord(existing) && existing.status === input.status ? existing.lastProbeTime : now,
          lastTransitionTime: transition,
          reason: input.reason,
          message: input.message,
        };
  if (index === -1) conditions.push(next);
  else conditions[index] = next;
  status.conditions = conditions;
}

export function removeCondition(object: JsonObject, type: string): void {
  if (!isRecord(object.status) || !Array.isArray(object.status.conditions)) return;
  object.status.conditions = object.status.conditions.filter(
    (condition) => !(isRecord(condition) && condition.type === type),
  );
}
