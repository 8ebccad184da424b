import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { JsonSource, loadTwine, type StrandName, type Twine } from "../../../shared/twine/index.js";

interface Vector {
  readonly id: string;
  readonly kind: "twine" | "values" | "monitor" | "manifest" | "children" | "credentials" | "validate" | "file_tags";
  readonly twine?: unknown;
  readonly twine_raw?: string;
  readonly strand?: StrandName;
  readonly data?: unknown;
  readonly data_raw?: string;
  readonly data_none?: boolean;
  readonly sources?: Record<string, unknown>;
  readonly env?: Record<string, string>;
  readonly template?: unknown;
  readonly tags?: unknown;
  readonly expect: string;
  readonly message?: string;
}

const fixture = new URL("../../fixtures/twine-spec-vectors.json", import.meta.url);
const vectors = (JSON.parse(readFileSync(fixture, "utf8")) as { vectors: Vector[] }).vectors;

// Vectors name relative paths such as "not_a_file.json": run them from an empty folder so none can exist.
let workDir = "";
let previousCwd = "";
beforeAll(() => {
  previousCwd = process.cwd();
  workDir = mkdtempSync(path.join(tmpdir(), "twine-vectors-"));
  process.chdir(workDir);
});
afterAll(() => {
  process.chdir(previousCwd);
  rmSync(workDir, { recursive: true, force: true });
});

const warnings: string[] = [];
const load = (source: unknown): Twine => loadTwine(source, { onWarning: (message) => warnings.push(message) });

function dataOf(vector: Vector): unknown {
  if (vector.data_none === true) return null;
  if (vector.data_raw !== undefined) return JsonSource.fromOctueSource(vector.data_raw);
  return vector.data;
}

/** Runs one vector and returns what the call returned. */
function run(vector: Vector): unknown {
  switch (vector.kind) {
    case "twine":
      return load(vector.twine_raw ?? vector.twine);
    case "values":
    case "manifest":
      return load(vector.twine).validate(vector.strand ?? "input_values", dataOf(vector));
    case "monitor":
      return load(vector.twine).validate("monitor_message", dataOf(vector));
    case "children":
      return load(vector.twine).validate("children", dataOf(vector));
    case "credentials":
      return load(vector.twine).checkCredentials(vector.env ?? {}, {
        dotenvPath: path.join(workDir, "no-such-dir", ".env"),
      }).values;
    case "validate":
      return load(vector.twine).validate(vector.sources ?? {});
    case "file_tags": {
      const twine = load({ input_manifest: { datasets: { met_mast_data: { file_tags_template: vector.template } } } });
      const manifest = {
        id: "8ead7669-8162-4f64-8cd5-4abe92509e17",
        datasets: {
          met_mast_data: {
            id: "7ead7669-8162-4f64-8cd5-4abe92509e17",
            name: "met_mast_data",
            tags: {},
            labels: [],
            files: [
              {
                id: "abff07bc-7c19-4ed5-be6d-a6546eae8e86",
                path: "gs://my-bucket/met_mast_data/my_file_0.txt",
                timestamp: 0,
                tags: vector.tags,
                labels: [],
              },
            ],
          },
        },
      };
      twine.validate("input_manifest", manifest);
      twine.validateFileTags("input_manifest", manifest);
      return manifest;
    }
  }
}

function expectedClassName(expected: string): string {
  return expected === "DuplicateKey" ? "DuplicateKeyError" : expected;
}

describe("twine spec vectors", () => {
  it("has all 111 vectors", () => {
    expect(vectors).toHaveLength(111);
  });

  it("runs with a working directory where relative vector paths do not exist", () => {
    expect(process.cwd()).toBe(workDir);
    expect(existsSync("not_a_file.json")).toBe(false);
  });

  for (const vector of vectors) {
    it(`${vector.id} (${vector.kind}) → ${vector.expect}`, () => {
      if (vector.expect === "ok") {
        const result = run(vector);
        expect(result).toBeDefined();
        if (vector.kind === "values" || vector.kind === "manifest" || vector.kind === "monitor") {
          // Valid data comes back unchanged (defaults are never filled in).
          const given = vector.data_raw === undefined ? vector.data : JSON.parse(vector.data_raw);
          expect(result).toStrictEqual(given);
        }
        return;
      }
      let thrown: unknown;
      try {
        run(vector);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, "expected an error").toBeInstanceOf(Error);
      const error = thrown as Error;
      expect(error.constructor.name).toBe(expectedClassName(vector.expect));
      expect(error.name).toBe(expectedClassName(vector.expect));
      if (vector.message !== undefined) expect(error.message).toBe(vector.message);
    });
  }
});
