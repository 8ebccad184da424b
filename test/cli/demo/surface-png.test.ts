import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { surfaceToPng } from "../../../cli/demo/surface-png.js";

function pixel(image: PNG, x: number, y: number): number[] {
  const offset = (y * image.width + x) * 4;
  return [...image.data.subarray(offset, offset + 4)];
}

describe("surfaceToPng", () => {
  it("draws row 0 of the surface at the bottom, the never-escaping points black and quick escapes dark", () => {
    const image = PNG.sync.read(
      surfaceToPng([
        [1, 65, 30],
        [65, 65, 2],
      ]),
    );
    expect([image.width, image.height]).toEqual([3, 2]);
    expect(pixel(image, 1, 1)).toEqual([0, 0, 0, 255]);
    expect(pixel(image, 0, 0)).toEqual([0, 0, 0, 255]);
    const quick = pixel(image, 0, 1);
    const slow = pixel(image, 2, 1);
    const brightness = (rgba: number[]) => (rgba[0] ?? 0) + (rgba[1] ?? 0) + (rgba[2] ?? 0);
    expect(brightness(slow)).toBeGreaterThan(brightness(quick));
  });

  it("refuses an empty surface", () => {
    expect(() => surfaceToPng([])).toThrow(/no points/);
  });
});
