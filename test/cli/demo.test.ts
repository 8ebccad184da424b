import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PNG } from "pngjs";
import { describe, expect, it } from "vitest";
import { runTwined } from "./run-cli.js";

describe("twined demo", () => {
  it("runs a network, asks the fractal, using-manifests and child-services parent through it, draws the fractal and downloads the cleaned dataset", async () => {
    const folder = mkdtempSync(path.join(tmpdir(), "twined-demo-test-"));
    const picture = path.join(folder, "mandelbrot.png");
    const outputs = path.join(folder, "outputs");
    const { code, stdout, stderr } = await runTwined([
      "demo",
      "--output",
      picture,
      "--outputs-dir",
      outputs,
      "--size",
      "48",
      "--data-dir",
      path.join(folder, "network"),
    ]);
    expect(stderr).toMatch(/Registered examples\/fractal:0\.1\.0/);
    expect(stderr).toMatch(/Drawing a 48 x 48 Mandelbrot set/);
    expect(stderr).toMatch(/\[examples\/elevation:0\.1\.0 \| [0-9a-f-]+\] Looking up the elevation/);
    expect(code).toBe(0);
    expect(stdout).toMatch(/examples\/fractal:0\.1\.0 +succeeded in [\d.]+ s +Mandelbrot set .*48×48 → /);
    expect(stdout).toMatch(/examples\/parent:0\.1\.0 +succeeded .*"wind_speeds":\[59,174\]/);
    expect(stdout).toMatch(/[├└] examples\/elevation:0\.1\.0 +succeeded/);
    expect(stdout).toMatch(/[├└] examples\/wind-speed:0\.1\.0 +succeeded/);

    // The cleaning's answer names its dataset in the network's outputs bucket, and the demo downloaded it from there.
    const cleaned = path.join(outputs, "cleaned_met_mast_data");
    expect(stderr).toMatch(/\[examples\/using-manifests:0\.1\.0 \| [0-9a-f]+\] INFO +app Read 20 rows from/);
    expect(stdout).toMatch(
      /examples\/using-manifests:0\.1\.0 +succeeded .*cleaned 40 rows → gs:\/\/twined-outputs\/[0-9a-f-]{36}\/cleaned_met_mast_data \(downloaded to /,
    );
    expect(stdout).toContain(`(downloaded to ${path.join(cleaned, "cleaned.csv")})`);
    const rows = readFileSync(path.join(cleaned, "cleaned.csv"), "utf8").trimEnd().split("\n");
    expect(rows[0]).toMatch(/^time_stamp,barometer_2,/);
    expect(rows.slice(1)).toHaveLength(40);
    expect(rows[1]).toMatch(/^2019-12-08T00:00:00\.400000\+00:00,/);
    expect(existsSync(path.join(cleaned, ".octue"))).toBe(true);
    const metadata = JSON.parse(readFileSync(path.join(cleaned, ".octue"), "utf8")) as {
      dataset: unknown;
      datafiles: Record<string, unknown>;
    };
    expect(metadata.dataset).toMatchObject({ name: "cleaned_met_mast_data", labels: ["cleaned", "mast", "met"] });
    expect(metadata.datafiles["cleaned.csv"]).toMatchObject({ labels: ["timeseries"] });

    const image = PNG.sync.read(readFileSync(picture));
    expect([image.width, image.height]).toEqual([48, 48]);
    const pixels = Array.from({ length: 48 * 48 }, (_, index) => image.data.readUInt32BE(index * 4));
    // Black inside the set, and a range of colours outside it.
    expect(pixels).toContain(0x000000ff);
    expect(new Set(pixels).size).toBeGreaterThan(10);
  }, 60_000);

  it("refuses a size it cannot draw", async () => {
    const { code, stderr } = await runTwined(["demo", "--size", "1"]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/whole number of pixels from 2 to 4000, got '1'/);
  });
});
