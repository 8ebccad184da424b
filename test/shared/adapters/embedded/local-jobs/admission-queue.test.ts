import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { AdmissionQueue } from "../../../../../shared/adapters/embedded/local-jobs/index.js";

describe("AdmissionQueue", () => {
  it("admits by priority, then first come first served, within the quota", () => {
    const queue = new AdmissionQueue<string>(2);
    queue.enqueue("a", 1, 0, "a");
    queue.enqueue("b", 1, 5, "b");
    queue.enqueue("c", 1, 5, "c");
    queue.enqueue("d", 1, 0, "d");
    expect(queue.admit().map((each) => each.key)).toEqual(["b", "c"]);
    expect(queue.admit()).toEqual([]);
    queue.release(1);
    expect(queue.admit().map((each) => each.key)).toEqual(["a"]);
    queue.release(2);
    expect(queue.admit().map((each) => each.key)).toEqual(["d"]);
  });

  it("lets a smaller job past one that does not fit yet (BestEffortFIFO)", () => {
    const queue = new AdmissionQueue<string>(4);
    queue.enqueue("small-first", 3, 0, "");
    expect(queue.admit().map((each) => each.key)).toEqual(["small-first"]);
    queue.enqueue("big", 4, 9, "");
    queue.enqueue("tiny", 1, 0, "");
    expect(queue.admit().map((each) => each.key)).toEqual(["tiny"]);
    queue.release(4);
    expect(queue.admit().map((each) => each.key)).toEqual(["big"]);
  });

  it("refuses a job bigger than the whole quota, and a non-positive quota", () => {
    expect(() => new AdmissionQueue<string>(2).enqueue("x", 3, 0, "")).toThrow(/never run under a quota of 2/);
    expect(() => new AdmissionQueue<string>(0)).toThrow(RangeError);
  });

  it("removes a waiting job", () => {
    const queue = new AdmissionQueue<string>(1);
    queue.enqueue("a", 1, 0, "A");
    expect(queue.remove("a")).toBe("A");
    expect(queue.remove("a")).toBeUndefined();
    expect(queue.admit()).toEqual([]);
  });

  it("never exceeds the quota, loses no job, and admits each job once", () => {
    const job = fc.record({ cpus: fc.integer({ min: 1, max: 3 }), priority: fc.integer({ min: 0, max: 3 }) });
    fc.assert(
      fc.property(fc.array(job, { maxLength: 40 }), fc.array(fc.boolean(), { maxLength: 80 }), (jobs, steps) => {
        const queue = new AdmissionQueue<number>(3);
        for (const [index, each] of jobs.entries()) queue.enqueue(String(index), each.cpus, each.priority, index);
        const running: number[] = [];
        const admitted = new Set<number>();
        for (const finishOne of [...steps, ...jobs.map(() => true), ...jobs.map(() => true)]) {
          for (const { item } of queue.admit()) {
            expect(admitted.has(item)).toBe(false);
            admitted.add(item);
            running.push(item);
          }
          expect(running.reduce((sum, item) => sum + (jobs[item]?.cpus ?? 0), 0)).toBeLessThanOrEqual(3);
          if (finishOne && running.length > 0) queue.release(jobs[running.shift() ?? 0]?.cpus ?? 0);
        }
        expect(admitted.size).toBe(jobs.length);
      }),
    );
  });
});
