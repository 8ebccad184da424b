import { PNG } from "pngjs";

/** Dark navy for points that escape at once, through blues and greens, to pale yellow for the slowest to escape. */
const GRADIENT: readonly (readonly [number, number, number])[] = [
  [8, 29, 88],
  [37, 52, 148],
  [34, 94, 168],
  [29, 145, 192],
  [65, 182, 196],
  [127, 205, 187],
  [199, 233, 180],
  [237, 248, 217],
  [255, 255, 217],
];

/**
 * Draws a Mandelbrot escape-count grid (`z[row][column]`, row 0 at the bottom, as the fractal service's surface has
 * it) as a PNG. Points that never escaped (the highest count) are black; the rest are coloured on a log scale.
 */
export function surfaceToPng(z: readonly (readonly number[])[]): Buffer {
  const height = z.length;
  const width = z[0]?.length ?? 0;
  if (height === 0 || width === 0) throw new Error("the surface has no points to draw");
  let highest = 1;
  for (const row of z) for (const count of row) highest = Math.max(highest, count);
  const png = new PNG({ width, height });
  for (let row = 0; row < height; row++) {
    const counts = z[row] ?? [];
    const imageRow = height - 1 - row;
    for (let column = 0; column < width; column++) {
      const count = counts[column] ?? 0;
      const [red, green, blue] = count >= highest ? [0, 0, 0] : colour(Math.log1p(count) / Math.log1p(highest));
      const offset = (imageRow * width + column) * 4;
      png.data[offset] = red;
      png.data[offset + 1] = green;
      png.data[offset + 2] = blue;
      png.data[offset + 3] = 255;
    }
  }
  return PNG.sync.write(png);
}

function colour(fraction: number): readonly [number, number, number] {
  const position = Math.min(Math.max(fraction, 0), 1) * (GRADIENT.length - 1);
  const index = Math.min(Math.floor(position), GRADIENT.length - 2);
  const mix = position - index;
  const from = GRADIENT[index] ?? [0, 0, 0];
  const to = GRADIENT[index + 1] ?? from;
  const blend = (a: number, b: number) => Math.round(a * (1 - mix) + b * mix);
  return [blend(from[0], to[0]), blend(from[1], to[1]), blend(from[2], to[2])];
}
