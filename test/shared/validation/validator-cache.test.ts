import {
  chmodSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { Ajv } from "ajv";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { loadTwine, type StrandName } from "../../../shared/twine/index.js";

interface Vector {
  readonly id: string;
  readonly kind: string;
  readonly twine?: unknown;
  readonly strand?: StrandName;
  readonly data?: unknown;
}

const vectors = (
  JSON.parse(readFileSync(new URL("../../fixtures/twine-spec-vectors.json", import.meta.url), "utf8")) as {
    vectors: Vector[];
  }
).vectors.filter((vector) => vector.kind === "values" && vector.twine !== undefined);

/** What validating each values vector gives: the value, or the error's name and message. */
function outcomes(): unknown[] {
  return vectors.map((vector) => {
    try {
      const twine = loadTwine(vector.twine, { onWarning: () => {} });
      return { ok: twine.validate(vector.strand ?? "input_values", vector.data) };
    } catch (error) {
      return { error: (error as Error).name, message: (error as Error).message };
    }
  });
}

// Every ajv class (2020-12, 2019-09, draft-04) extends the core class whose `compile` this spies on.
const AjvClass = Object.getPrototypeOf(Ajv) as typeof Ajv;

let root = "";
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "twined-validator-cache-"));
  vi.stubEnv("TWINED_CACHE_DIR", root);
});
afterEach(() => {
  vi.unstubAllEnvs();
  vi.restoreAllMocks();
  rmSync(root, { recursive: true, force: true });
});

describe("the compiled-validator cache", () => {
  it("gives every values vector the same outcome from the cache as compiled, and compiles nothing the second time", () => {
    vi.stubEnv("TWINED_CACHE_DIR", "off");
    const uncached = outcomes();
    vi.stubEnv("TWINED_CACHE_DIR", root);
    expect(outcomes()).toEqual(uncached);
    const stored = readdirSync(path.join(root, "validators"));
    expect(stored.length).toBeGreaterThanOrEqual(5);
    expect(stored.every((name) => /^[0-9a-f]{64}\.cjs$/.test(name))).toBe(true);

    const compile = vi.spyOn(AjvClass.prototype, "compile");
    expect(outcomes()).toEqual(uncached);
    expect(compile).not.toHaveBeenCalled();
  });

  it("keeps its folder private: created owner-only, and tightened when a umask left it group-writable", () => {
    outcomes();
    const folder = path.join(root, "validators");
    expect(statSync(folder).mode & 0o077).toBe(0);
    chmodSync(folder, 0o775);
    outcomes();
    expect(statSync(folder).mode & 0o022).toBe(0);
  });

  it("never loads code from a folder owned by another user", () => {
    if (process.getuid?.() !== 0) {
      // Only root can give a folder away; the check itself is the uid comparison the other tests pass through.
      expect(process.getuid?.()).toBeDefined();
      return;
    }
    const folder = path.join(root, "validators");
    mkdirSync(folder);
    chownSync(folder, 1, 1);
    outcomes();
    // Not written to, and (a planted file) not read from.
    expect(readdirSync(folder)).toEqual([]);
    const compile = vi.spyOn(AjvClass.prototype, "compile");
    outcomes();
    expect(compile).toHaveBeenCalled();
  });

  it("compiles again, and rewrites, a cached file that cannot be loaded", () => {
    const first = outcomes();
    const folder = path.join(root, "validators");
    for (const name of readdirSync(folder)) writeFileSync(path.join(folder, name), "this is not JavaScript(");
    const compile = vi.spyOn(AjvClass.prototype, "compile");
    // A fresh process would read the broken files; this one has them in require's cache, so clear that first.
    const { cache } = createRequire(import.meta.url);
    for (const key of Object.keys(cache)) if (key.startsWith(folder)) delete cache[key];
    expect(outcomes()).toEqual(first);
    expect(compile).toHaveBeenCalled();
    expect(readFileSync(path.join(folder, readdirSync(folder)[0] ?? ""), "utf8")).toContain("function");
  });
});
