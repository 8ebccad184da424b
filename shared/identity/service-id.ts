import { InvalidServiceID } from "../errors/index.js";

/** Octue caps the revision tag at 128 characters, separately from the pattern. */
export const MAX_REVISION_TAG_LENGTH = 128;

/** A service (`namespace/name`) or, with a tag, a service revision (`namespace/name:tag`). */
export interface ServiceId {
  readonly namespace: string;
  readonly name: string;
  readonly revisionTag?: string | undefined;
}

/** A service revision: always has a tag. */
export interface ServiceRevisionId extends ServiceId {
  readonly revisionTag: string;
}

export interface ParseServiceIdOptions {
  /** Reject a bare `namespace/name` (an SUID) and accept only full SRUIDs. */
  readonly requireRevisionTag?: boolean;
}

/**
 * Why `part` is not a valid namespace or name, or undefined if it is valid. The rule is Octue's
 * `([a-z0-9])+(-([a-z0-9])+)*`: lowercase alphanumeric groups joined by single hyphens (a leading digit is fine).
 * Checked character by character so each failure gets its own explanation.
 */
export function namespaceOrNameProblem(part: string, label: "namespace" | "name"): string | undefined {
  if (part.length === 0) return `the ${label} is empty`;
  if (part.startsWith("-") || part.endsWith("-")) return `the ${label} '${part}' starts or ends with a hyphen`;
  if (part.includes("--")) return `the ${label} '${part}' contains consecutive hyphens`;
  for (const character of part) {
    if (!isLowercaseAlphanumeric(character) && character !== "-") {
      return `the ${label} '${part}' contains ${describeCharacter(character)}; use only lowercase letters a-z, digits and single hyphens (e.g. 'my-service')`;
    }
  }
  return undefined;
}

/**
 * Why `tag` is not a valid revision tag, or undefined if it is valid. Word characters (`A-Z a-z 0-9 _`) at both ends,
 * word characters, `-` and `.` in between, at most 128 characters.
 *
 * Octue checks this with a nested-quantifier regex (exponential on some failing inputs) whose `[A-z]` range also
 * admits `[ \ ] ^` and the backtick. We check in one linear pass and reject those five characters: they are invalid
 * in Docker tags and break Pub/Sub filter strings. See docs/compatibility.md.
 */
export function revisionTagProblem(tag: string): string | undefined {
  if (tag.length === 0) return "the revision tag is empty";
  if (tag.length > MAX_REVISION_TAG_LENGTH) {
    return `the revision tag is ${tag.length} characters long; the maximum is ${MAX_REVISION_TAG_LENGTH}`;
  }
  const last = tag.length - 1;
  for (let index = 0; index <= last; index++) {
    const code = tag.charCodeAt(index);
    if (isWordCode(code)) continue;
    const character = tag[index] ?? "";
    const isSeparator = character === "-" || character === ".";
    if (isSeparator && index !== 0 && index !== last) continue;
    if (isSeparator) {
      return `the revision tag '${tag}' ${index === 0 ? "starts" : "ends"} with '${character}'; it must start and end with a letter, digit or underscore`;
    }
    return `the revision tag '${tag}' contains ${describeCharacter(character)}; use only letters, digits, '_', and '-' or '.' between them (e.g. '1.2.0' or 'my_tag-2')`;
  }
  return undefined;
}

/** Parses `namespace/name` or `namespace/name:tag`, throwing `InvalidServiceID` with the rule that was broken. */
export function parseServiceId(text: string, options: { requireRevisionTag: true }): ServiceRevisionId;
export function parseServiceId(text: string, options?: ParseServiceIdOptions): ServiceId;
export function parseServiceId(text: string, options: ParseServiceIdOptions = {}): ServiceId {
  const outcome = splitServiceId(text, options);
  if (typeof outcome === "string") throw new InvalidServiceID(text, outcome);
  return outcome;
}

/** True when `text` is a valid SRUID (a tag is required). Never throws, and allocates no error on failure. */
export function isServiceRevisionId(text: string): boolean {
  return typeof splitServiceId(text, { requireRevisionTag: true }) !== "string";
}

/** The parsed ID, or the reason it is invalid: the one implementation behind `parseServiceId` and the predicates. */
function splitServiceId(text: string, options: ParseServiceIdOptions): ServiceId | string {
  const slashes = countOccurrences(text, "/");
  if (slashes !== 1) {
    return slashes === 0
      ? "expected 'namespace/name' or 'namespace/name:revision_tag' but there is no '/'"
      : `expected exactly one '/' between namespace and name but found ${slashes}`;
  }
  const slash = text.indexOf("/");
  const namespace = text.slice(0, slash);
  const rest = text.slice(slash + 1);
  const colons = countOccurrences(rest, ":");
  if (colons > 1) return `expected at most one ':' (before the revision tag) but found ${colons}`;
  const colon = rest.indexOf(":");
  const name = colon === -1 ? rest : rest.slice(0, colon);
  const revisionTag = colon === -1 ? undefined : rest.slice(colon + 1);

  const problem =
    namespaceOrNameProblem(namespace, "namespace") ??
    namespaceOrNameProblem(name, "name") ??
    (revisionTag === undefined ? undefined : revisionTagProblem(revisionTag));
  if (problem !== undefined) return problem;

  if (revisionTag === undefined) {
    return options.requireRevisionTag === true
      ? "a revision tag is required here: use 'namespace/name:revision_tag' (e.g. 'octue/my-service:1.0.0')"
      : { namespace, name };
  }
  return { namespace, name, revisionTag };
}

/** Formats parts as an SUID or SRUID, validating them first so that no invalid ID is ever produced. */
export function formatServiceId(id: ServiceId): string {
  const text = unvalidatedServiceId(id);
  const problem =
    namespaceOrNameProblem(id.namespace, "namespace") ??
    namespaceOrNameProblem(id.name, "name") ??
    (id.revisionTag === undefined ? undefined : revisionTagProblem(id.revisionTag));
  if (problem !== undefined) throw new InvalidServiceID(text, problem);
  return text;
}

function unvalidatedServiceId(id: ServiceId): string {
  const base = `${id.namespace}/${id.name}`;
  return id.revisionTag === undefined ? base : `${base}:${id.revisionTag}`;
}

function isLowercaseAlphanumeric(character: string): boolean {
  return (character >= "a" && character <= "z") || (character >= "0" && character <= "9");
}

function isWordCode(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) || // 0-9
    (code >= 0x41 && code <= 0x5a) || // A-Z
    (code >= 0x61 && code <= 0x7a) || // a-z
    code === 0x5f // _
  );
}

function describeCharacter(character: string): string {
  if (character === " ") return "a space";
  if (/^[A-Z]$/.test(character)) return `the uppercase letter '${character}'`;
  return `the character ${JSON.stringify(character)}`;
}

function countOccurrences(text: string, character: string): number {
  let count = 0;
  for (const each of text) if (each === character) count++;
  return count;
}
