import { createHash } from "node:crypto";

/**
 * The longest job id we create. Cloud Run job ids are DNS labels (at most 63 characters), and Cloud Run names each
 * execution `<job>-<5 characters>` and its tasks `<execution>-task<n>`; keeping ids to 49 characters, as Cloud Run
 * requires of service names for the same reason, leaves those derived names room within 63.
 */
export const MAX_JOB_ID_LENGTH = 49;
/** Label values are at most 63 lowercase letters, digits, `_` and `-`. */
const MAX_LABEL_VALUE_LENGTH = 63;
const HASH_LENGTH = 8;

/**
 * The Cloud Run job id for a service revision: `twined-<namespace>-<name>-<tag>` in lowercase letters, digits and
 * hyphens, starting with a letter. When that changed the SRUID (it always does: SRUIDs contain `/` and `:`), was cut
 * to length, or a `variant` is given, a hash of the exact SRUID and variant is appended, so two revisions (or two
 * variants of one) that sanitize alike still get different jobs.
 *
 * @param variant what else distinguishes this revision's jobs from each other (image, resources…), if anything.
 */
export function cloudRunJobId(sruid: string, variant?: string): string {
  const wanted = `twined-${sruid}`;
  const readable = sanitizeName(wanted);
  if (readable === wanted && variant === undefined && readable.length <= MAX_JOB_ID_LENGTH) return readable;
  const suffix = shortHash(variant === undefined ? sruid : `${sruid}\n${variant}`);
  const prefix = readable.slice(0, MAX_JOB_ID_LENGTH - suffix.length - 1).replace(/-+$/, "");
  return `${prefix}-${suffix}`;
}

/** A label value naming `text` (a SRUID): sanitized, and hashed when cut, so it still tells values apart. */
export function labelValue(text: string): string {
  const sanitized = text.toLowerCase().replace(/[^a-z0-9_-]+/g, "-");
  if (sanitized.length <= MAX_LABEL_VALUE_LENGTH) return sanitized;
  const suffix = shortHash(text);
  return `${sanitized.slice(0, MAX_LABEL_VALUE_LENGTH - suffix.length - 1)}-${suffix}`;
}

/** Lowercase letters, digits and single hyphens, starting with a letter and not ending with a hyphen. */
function sanitizeName(text: string): string {
  const name = text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+$/, "");
  return name === "" ? "twined" : name;
}

function shortHash(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, HASH_LENGTH);
}
