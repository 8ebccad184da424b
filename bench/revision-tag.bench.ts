/**
 * How fast an invalid revision tag is rejected: our linear check against Octue's nested-quantifier regex (run in this
 * same process, so both see the same machine), on the pathological input `a/b:` + n × `a` + `!`.
 */
import { performance } from "node:perf_hooks";
import { Bench } from "tinybench";
import { isServiceRevisionId } from "../shared/identity/index.js";

const OCTUE_TAG_PATTERN = /^([A-z0-9_])+([-.]*([A-z0-9_])+)*$/;

function pathological(length: number): string {
  return `${"a".repeat(length)}!`;
}

export async function benchRevisionTag(): Promise<Record<string, unknown>> {
  const bench = new Bench({ time: 300 });
  bench.add("ours: §10 performance vector (24 × a + !)", () => {
    isServiceRevisionId(`a/b:${pathological(24)}`);
  });
  bench.add("ours: 127 × a + ! (longest tag under the cap)", () => {
    isServiceRevisionId(`a/b:${pathological(127)}`);
  });
  await bench.run();

  const ours = bench.tasks.map((task) => {
    const result = task.result;
    const meanMs = result !== undefined && "latency" in result ? result.latency.mean : Number.NaN;
    return { task: task.name, meanMicroseconds: meanMs * 1000 };
  });

  // Octue's regex is exponential: time single runs at growing lengths and show the ratio to our check at that length.
  const octue: { length: number; octueMs: number; oursMicroseconds: number; ratio: number }[] = [];
  for (const length of [14, 16, 18, 20, 22]) {
    const tag = pathological(length);
    const start = performance.now();
    OCTUE_TAG_PATTERN.test(tag);
    const octueMs = performance.now() - start;
    const oursStart = performance.now();
    const repeats = 10_000;
    for (let i = 0; i < repeats; i++) isServiceRevisionId(`a/b:${tag}`);
    const oursMs = (performance.now() - oursStart) / repeats;
    octue.push({ length, octueMs, oursMicroseconds: oursMs * 1000, ratio: octueMs / oursMs });
  }
  return { ours, octueRegexComparison: octue };
}
