import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { useEmulators } from "../support/emulators.js";
import { describeReadmeCommands } from "./readme-commands.js";

/** Octue's escape count, computed independently of the example: iterations of z ← z² + c from 0, counting from 1. */
function escapeCount(cReal: number, cImag: number, maximum: number): number {
  let [zReal, zImag, count] = [0, 0, 1];
  while (count <= maximum && zReal * zReal + zImag * zImag < 4) {
    [zReal, zImag] = [zReal * zReal - zImag * zImag + cReal, 2 * zReal * zImag + cImag];
    count += 1;
  }
  return count;
}

interface Surface {
  data: { x: number[][]; y: number[][]; z: number[][]; colorscale: string; type: string };
  layout: { title: string; width: number; height: number };
}

const configuration = JSON.parse(
  readFileSync("examples/fractal/data/configuration/configuration_values.json", "utf8"),
) as { width: number; height: number; n_iterations: number; color_scale: string };

/** The picture the shipped configuration asks for, every pixel checked. */
function expectDefaultPicture(outputValues: unknown): void {
  const surface = outputValues as Surface;
  const { width, height, n_iterations: iterations } = configuration;
  expect(surface.layout).toEqual({ title: `Mandelbrot set with ${iterations} iterations`, width, height });
  expect(surface.data.type).toBe("surface");
  expect(surface.data.colorscale).toBe(configuration.color_scale);
  const { x, y, z } = surface.data;
  expect([z.length, z[0]?.length]).toEqual([height, width]);
  let mismatches = 0;
  for (let row = 0; row < height; row++) {
    for (let column = 0; column < width; column++) {
      const expected = escapeCount(x[row]?.[column] ?? Number.NaN, y[row]?.[column] ?? Number.NaN, iterations);
      if (z[row]?.[column] !== expected) mismatches += 1;
    }
  }
  expect(mismatches).toBe(0);
  expect(new Set(z.flat()).size).toBeGreaterThan(10);
  // Well within the 10 MB a Pub/Sub message carries, so it is answered the same on every kind of network.
  expect(JSON.stringify(outputValues).length).toBeLessThan(5_000_000);
}

describeReadmeCommands("fractal", {
  example: "examples/fractal",
  readmes: ["README.md"],
  answers: [{ command: /twined question ask(-local)?\b/, check: expectDefaultPicture }],
  emulators: useEmulators(),
});

describe("the fractal's defaults", () => {
  it("are the shipped configuration's picture, whose answer fits well within a 10 MB message", () => {
    const twine = JSON.parse(readFileSync("examples/fractal/twine.json", "utf8")) as {
      configuration_values_schema: { properties: Record<string, { default?: unknown }> };
    };
    const defaults = Object.fromEntries(
      Object.entries(twine.configuration_values_schema.properties).map(([key, property]) => [key, property.default]),
    );
    expect(defaults).toEqual(configuration);
    // The app falls back to the same values for a key the configuration leaves out.
    const app = readFileSync("examples/fractal/app.py", "utf8");
    expect(app).toContain(`"width": ${configuration.width},`);
    expect(app).toContain(`"height": ${configuration.height},`);
  });
});
