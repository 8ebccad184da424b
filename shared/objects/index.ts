export { type DefinedProperties, definedProperties } from "./defined-properties.js";
