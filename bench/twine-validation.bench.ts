/**
 * Throughput of our compiled twine validators against Python `jsonschema` (what Octue uses) on the same schemas and
 * data, run side by side in one process tree so both see the same machine. Reported as ratios.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { Bench } from "tinybench";
import { JsonSource, loadTwine, type StrandName } from "../shared/twine/index.js";

interface Case {
  readonly name: string;
  readonly twine: Record<string, unknown>;
  readonly strand: StrandName;
  /** The JSON Schema the Python side validates with (the strand itself, or the bundled registry schema). */
  readonly schema: unknown;
  readonly data: unknown;
}

const fractalTwine = JSON.parse(readFileSync(new URL("../examples/fractal/twine.json", import.meta.url), "utf8")) as {
  configuration_values_schema: unknown;
  output_values_schema: unknown;
};
const manifestSchema = JSON.parse(
  readFileSync(new URL("../shared/twine/schemas/manifest-0.1.0.schema.json", import.meta.url), "utf8"),
) as unknown;

function grid(size: number, value: (row: number, column: number) => number): number[][] {
  return Array.from({ length: size }, (_, row) => Array.from({ length: size }, (_, column) => value(row, column)));
}

function cases(): Case[] {
  const smallTwine = {
    input_values_schema: {
      type: "object",
      properties: { height: { type: "integer", minimum: 2 } },
      required: ["height"],
    },
  };
  const manifestTwine = { input_manifest: { datasets: { met_mast_data: {}, scada_data: {} } } };
  const dataset = (name: string) => ({
    id: "7ead7669-8162-4f64-8cd5-4abe92509e19",
    name,
    tags: {},
    labels: ["met", "mast", "wind"],
    files: Array.from({ length: 20 }, (_, index) => ({
      id: "7ead7669-8162-4f64-8cd5-4abe92509e18",
      path: `input/datasets/${name}/file_${index}.csv`,
      timestamp: 0,
      tags: { manufacturer: "vestas", height: 500 },
      labels: [],
    })),
  });
  return [
    {
      name: "small input_values (1 property)",
      twine: smallTwine,
      strand: "input_values",
      schema: smallTwine.input_values_schema,
      data: { height: 40 },
    },
    {
      name: "fractal configuration_values (6 properties)",
      twine: fractalTwine,
      strand: "configuration_values",
      schema: fractalTwine.configuration_values_schema,
      data: {
        width: 600,
        height: 600,
        n_iterations: 64,
        color_scale: "YlGnBu",
        x_range: [-1.5, 0.6],
        y_range: [-1.26, 1.26],
      },
    },
    {
      name: "fractal output_values (three 50×50 grids)",
      twine: fractalTwine,
      strand: "output_values",
      schema: fractalTwine.output_values_schema,
      data: {
        data: {
          x: grid(50, (_, c) => c / 50),
          y: grid(50, (r) => r / 50),
          z: grid(50, () => 3),
          colorscale: "YlGnBu",
          type: "surface",
        },
        layout: { title: "Mandelbrot set with 64 iterations", width: 50, height: 50 },
      },
    },
    {
      name: "input_manifest (2 datasets × 20 files)",
      twine: manifestTwine,
      strand: "input_manifest",
      schema: manifestSchema,
      data: {
        id: "8ead7669-8162-4f64-8cd5-4abe92509e17",
        datasets: { met_mast_data: dataset("met_mast_data"), scada_data: dataset("scada_data") },
      },
    },
  ];
}

export async function benchTwineValidation(): Promise<Record<string, unknown>> {
  const all = cases();
  const bench = new Bench({ time: 500 });
  for (const each of all) {
    const twine = loadTwine(JsonSource.value(each.twine));
    twine.validate(each.strand, each.data); // compile outside the timed loop, as a long-running service would
    bench.add(each.name, () => {
      twine.validate(each.strand, each.data);
    });
  }
  await bench.run();

  const python = spawnSync("python3", [new URL("./python/validate_throughput.py", import.meta.url).pathname], {
    input: JSON.stringify({ seconds: 0.5, cases: all.map(({ name, schema, data }) => ({ name, schema, data })) }),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  if (python.status !== 0) {
    return { error: `python3 with jsonschema is needed for the baseline: ${python.stderr.trim()}` };
  }
  const baseline = JSON.parse(python.stdout) as {
    jsonschema: string;
    results: { name: string; octue_style_per_second: number; prebuilt_validator_per_second: number }[];
  };

  const rows = bench.tasks.map((task) => {
    const result = task.result;
    const ours = result !== undefined && "throughput" in result ? result.throughput.mean : Number.NaN;
    const python = baseline.results.find((row) => row.name === task.name);
    return {
      case: task.name,
      twinedPerSecond: Math.round(ours),
      jsonschemaOctueStylePerSecond: Math.round(python?.octue_style_per_second ?? Number.NaN),
      jsonschemaPrebuiltPerSecond: Math.round(python?.prebuilt_validator_per_second ?? Number.NaN),
      ratioVsOctueStyle: round(ours / (python?.octue_style_per_second ?? Number.NaN)),
      ratioVsPrebuilt: round(ours / (python?.prebuilt_validator_per_second ?? Number.NaN)),
    };
  });
  return { jsonschemaVersion: baseline.jsonschema, note: "ratio = Twined validations per second ÷ jsonschema's", rows };
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
