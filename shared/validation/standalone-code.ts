import { createRequire } from "node:module";
import type { ValidateFunction } from "ajv";
import type { AjvInstance } from "./fixed-validators.js";

const requireHere = createRequire(import.meta.url);

type StandaloneCode = (ajv: AjvInstance, refsOrFunction: Record<string, string> | ValidateFunction) => string;

/**
 * ajv's standalone code (a CommonJS module) of validators compiled by an instance made with `code: {source: true}`:
 * of several by reference, each an export, or of one function, the default export. Required only when code is made.
 */
export function standaloneCode(ajv: AjvInstance, refsOrFunction: Record<string, string> | ValidateFunction): string {
  const module = requireHere("ajv/dist/standalone/index.js") as { default: StandaloneCode };
  return module.default(ajv, refsOrFunction);
}

/**
 * The same code with each `require("ajv/…")` made absolute: a module kept outside this package (the validator cache)
 * cannot find ajv from where it lies.
 */
export function withAbsoluteRequires(code: string): string {
  return code.replace(/require\("(ajv\/[^"]+)"\)/g, (_whole, request: string) => {
    return `require(${JSON.stringify(requireHere.resolve(request))})`;
  });
}

/** Where this process loads ajv from: part of a cached module's key, since the module names files there. */
export function ajvLocation(): string {
  return requireHere.resolve("ajv");
}
