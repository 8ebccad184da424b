import { execFileSync } from "node:child_process";

/** The Python harnesses (question processes, spares) that `parent` started and that are still running. */
export function harnessProcesses(parent: number = process.pid): number[] {
  try {
    return execFileSync("pgrep", ["-P", String(parent), "-f", "twined_harness"], { encoding: "utf8" })
      .split("\n")
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches.
  }
}
