export { escapePointerToken, jsonPointer, pointerTokens } from "./json-pointer.js";
export { locatePointer } from "./locate-pointer.js";
export * from "./nesting-depth.js";
export { assertStrictJsonWithoutDuplicateKeys, type ParseJsonOptions, parseJson } from "./parse-json.js";
export { isPlainObject } from "./plain-object.js";
export { locationOfOffset } from "./text-position.js";
