import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import * as twined from "../index.js";
import { packageRoot } from "../shared/package-root.js";

const ROOT = packageRoot();
/** The public API's report: every name the package root exports, and whether it is a value or only a type. */
const REPORT = path.join(ROOT, "test", "public-api.exports.txt");

/** What index.ts exports, as the TypeScript compiler sees it: `value Child`, `type AskOptions`, … sorted by name. */
function exportedNames(): string[] {
  const entry = path.join(ROOT, "index.ts");
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const module = source === undefined ? undefined : checker.getSymbolAtLocation(source);
  if (module === undefined) throw new Error(`cannot read the exports of ${entry}`);
  return checker
    .getExportsOfModule(module)
    .map((symbol) => {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      return `${target.flags & ts.SymbolFlags.Value ? "value" : "type"} ${symbol.name}`;
    })
    .sort((a, b) => byName(a, b));
}

/** Report lines by name, in code-unit order (the same on every machine, whatever its locale). */
function byName(a: string, b: string): number {
  const [nameA, nameB] = [a.split(" ")[1] ?? "", b.split(" ")[1] ?? ""];
  return nameA < nameB ? -1 : nameA > nameB ? 1 : 0;
}

describe("the package root", () => {
  it("exports exactly the names in test/public-api.exports.txt", () => {
    const names = exportedNames();
    // Changing the public API on purpose: TWINED_UPDATE_API_REPORT=1 npx vitest run test/public-api.test.ts
    if (process.env.TWINED_UPDATE_API_REPORT === "1") writeFileSync(REPORT, `${names.join("\n")}\n`);
    const report = readFileSync(REPORT, "utf8").trim().split("\n");
    expect(
      names,
      "index.ts exports names the report does not list, or no longer exports some it does: if that is intended, update the report (TWINED_UPDATE_API_REPORT=1 npx vitest run test/public-api.test.ts) and say why in the commit",
    ).toEqual(report);
  }, 60_000);

  it("exports values only where index.ts names them as values (the runtime agrees with the report)", () => {
    const values = readFileSync(REPORT, "utf8")
      .trim()
      .split("\n")
      .filter((line) => line.startsWith("value "))
      .map((line) => line.slice("value ".length))
      .sort();
    expect(Object.keys(twined).sort()).toEqual(values);
  });

  it.each([
    "parseServiceId",
    "formatServiceId",
    "loadServiceConfiguration",
    "loadTwine",
    "encodeEvent",
    "decodeEvent",
    "parseSubscriptionFilter",
    "matchesFilter",
    "TWINED_VERSION",
  ])("exports %s", (name) => {
    expect(twined).toHaveProperty(name);
  });

  it("exports every error class, each a TwinedError", () => {
    const errorClasses = Object.entries(twined as Record<string, unknown>).filter(
      (entry): entry is [string, abstract new (...args: never[]) => Error] =>
        typeof entry[1] === "function" && entry[1].prototype instanceof Error,
    );
    const names = errorClasses.map(([name]) => name);
    expect(names).toEqual(
      expect.arrayContaining([
        "TwinedError",
        "InvalidServiceID",
        "RevisionNotFound",
        "QuestionRejected",
        "NonRetryableError",
        "InvalidValuesContents",
        "InvalidManifestContents",
        "InvalidTwineContents",
        "StrandNotFound",
        "TwineValueException",
        "DuplicateKeyError",
        "SchemaError",
        "InvalidServiceConfiguration",
        "InvalidEvent",
        "InvalidSubscriptionFilter",
        "MessageLimitExceeded",
      ]),
    );
    for (const [name, value] of errorClasses) {
      expect(value.prototype instanceof twined.TwinedError || value === twined.TwinedError, name).toBe(true);
    }
  });

  it("validates with a twine loaded from the root export", () => {
    const twine = twined.loadTwine({ input_values_schema: { type: "object", required: ["n"] } });
    expect(() => twine.validate("input_values", {})).toThrow(twined.InvalidValuesContents);
    expect(twine.validate("input_values", { n: 0 })).toEqual({ n: 0 });
  });
});
