import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { canTransition, isTerminal, QUESTION_STATUSES, type QuestionStatus } from "../../../shared/questions/index.js";

describe("the question state machine", () => {
  it("follows the happy path", () => {
    const path: QuestionStatus[] = ["received", "validated", "dispatched", "queued", "running", "succeeded"];
    for (let index = 1; index < path.length; index++) {
      expect(canTransition(path[index - 1] as QuestionStatus, path[index] as QuestionStatus)).toBe(true);
    }
  });

  it("rejects only from received", () => {
    expect(canTransition("received", "rejected")).toBe(true);
    for (const status of QUESTION_STATUSES.filter((each) => each !== "received")) {
      expect(canTransition(status, "rejected")).toBe(false);
    }
  });

  it("never leaves a terminal state", () => {
    for (const from of QUESTION_STATUSES.filter(isTerminal)) {
      for (const to of QUESTION_STATUSES) expect(canTransition(from, to)).toBe(false);
    }
  });

  it("never goes backwards, so reordered updates cannot undo progress", () => {
    expect(canTransition("running", "queued")).toBe(false);
    expect(canTransition("queued", "dispatched")).toBe(false);
    expect(canTransition("dispatched", "validated")).toBe(false);
  });

  it("ends in a terminal state whatever order the updates arrive in, applying each only if allowed", () => {
    const updates = fc.array(fc.constantFrom(...QUESTION_STATUSES), { maxLength: 20 });
    fc.assert(
      fc.property(updates, (sequence) => {
        let status: QuestionStatus = "received";
        let terminalReached: QuestionStatus | undefined;
        for (const next of sequence) {
          if (canTransition(status, next)) status = next;
          if (isTerminal(status)) terminalReached ??= status;
        }
        if (terminalReached !== undefined) expect(status).toBe(terminalReached);
      }),
    );
  });
});
