import { describe, expect, it } from "vitest";
import { MINIMUM_TOTAL_INPUTS, SURFACES } from "./support/fuzz-run.js";

describe("the fuzz suite's bounds", () => {
  it("sees at least 10,000 inputs in all from the surfaces' minimums alone, whatever the time budget", () => {
    const minimums = Object.values(SURFACES).reduce((total, surface) => total + surface.minRuns, 0);
    expect(minimums).toBeGreaterThanOrEqual(MINIMUM_TOTAL_INPUTS);
  });

  it("shares out no more than the whole time budget", () => {
    const shares = Object.values(SURFACES).reduce((total, surface) => total + surface.share, 0);
    expect(shares).toBeLessThanOrEqual(1.0001);
  });
});
