import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import * as errors from "../../../shared/errors/index.js";
import { TwinedError } from "../../../shared/errors/index.js";
import { packageRoot } from "../../../shared/package-root.js";

const ROOT = packageRoot();
const SOURCE_FOLDERS = ["cli", "functions", "dev", "tools", "platform", "runtime", "shared"];

function sourceFiles(folder: string): string[] {
  return readdirSync(path.join(ROOT, folder), { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts"))
    .map((file) => path.join(folder, file));
}

const errorClasses = Object.entries(errors as Record<string, unknown>).filter(
  (entry): entry is [string, abstract new (...args: never[]) => Error] =>
    typeof entry[1] === "function" && entry[1].prototype instanceof Error,
);

describe("the one home of error classes (CONTRIBUTING.md, Errors)", () => {
  it("declares no error class outside shared/errors/", () => {
    const bases = new Set(["Error", "TypeError", "RangeError", ...errorClasses.map(([name]) => name)]);
    const strays: string[] = [];
    for (const file of SOURCE_FOLDERS.flatMap(sourceFiles)) {
      if (file.startsWith(path.join("shared", "errors") + path.sep)) continue;
      const text = readFileSync(path.join(ROOT, file), "utf8");
      for (const match of text.matchAll(/\bclass\s+(\w+)\s+extends\s+(\w+)/g)) {
        if (bases.has(match[2] ?? "")) strays.push(`${file}: ${match[1]} extends ${match[2]}`);
      }
    }
    expect(strays, "move these classes into shared/errors/<area>-errors.ts").toEqual([]);
  });

  it("makes every error class of shared/errors/ a TwinedError", () => {
    expect(errorClasses.length).toBeGreaterThan(80);
    for (const [name, value] of errorClasses) {
      expect(value === TwinedError || value.prototype instanceof TwinedError, name).toBe(true);
    }
  });
});
