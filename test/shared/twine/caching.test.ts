import { Ajv2020 } from "ajv/dist/2020.js";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { SchemaError } from "../../../shared/errors/index.js";
import { loadTwine } from "../../../shared/twine/index.js";
import { registryValidators } from "../../../shared/twine/registry-schemas.js";
import { errorOf } from "../../support/error-of.js";

// The process-wide validators compile on first use; do that before any spy starts counting.
beforeAll(() => {
  registryValidators();
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("compiled validator caching", () => {
  it("compiles each strand schema once per twine, lazily", () => {
    const compile = vi.spyOn(Ajv2020.prototype, "compile");
    const twine = loadTwine(
      { input_values_schema: { type: "object" }, output_values_schema: { type: "array" } },
      { onWarning: () => {} },
    );
    expect(compile).not.toHaveBeenCalled();
    twine.validate("input_values", {});
    twine.validate("input_values", { a: 1 });
    twine.validate("input_values", { b: 2 });
    expect(compile).toHaveBeenCalledTimes(1);
    twine.validate("output_values", []);
    expect(compile).toHaveBeenCalledTimes(2);
  });

  it("keeps separate caches for separate twines", () => {
    const compile = vi.spyOn(Ajv2020.prototype, "compile");
    const source = { input_values_schema: { type: "object" } };
    loadTwine(source, { onWarning: () => {} }).validate("input_values", {});
    loadTwine(source, { onWarning: () => {} }).validate("input_values", {});
    expect(compile).toHaveBeenCalledTimes(2);
  });

  it("remembers a schema that failed to compile instead of retrying", () => {
    const twine = loadTwine({ input_values_schema: { type: 3 } }, { onWarning: () => {} });
    const first = errorOf(() => twine.validate("input_values", {}));
    expect(first).toBeInstanceOf(SchemaError);
    expect(errorOf(() => twine.validate("input_values", {}))).toBe(first);
  });

  it("compiles the meta-schema and registry schemas once per process", () => {
    loadTwine({}, { onWarning: () => {} });
    const first = registryValidators();
    const compile = vi.spyOn(Ajv2020.prototype, "compile");
    loadTwine({ input_manifest: { datasets: {} } }, { onWarning: () => {} }).validate("input_manifest", {
      id: "x",
      datasets: {},
    });
    expect(registryValidators()).toBe(first);
    expect(compile).not.toHaveBeenCalled();
  });
});
