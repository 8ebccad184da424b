import { randomUUID } from "node:crypto";
import { adjectives, animals, uniqueNamesGenerator } from "unique-names-generator";
import { formatServiceId } from "./service-id.js";

/** A memorable two-word revision tag such as `curious-capybara`, like the ones Octue generates. */
export function generateRevisionTag(): string {
  return uniqueNamesGenerator({ dictionaries: [adjectives, animals], separator: "-", style: "lowerCase", length: 2 });
}

/**
 * An SRUID with Octue's defaults for any missing part: namespace `default`, a random UUID as the name, and a
 * generated two-word tag. The result is validated.
 */
export function createServiceRevisionId(
  parts: { namespace?: string; name?: string; revisionTag?: string } = {},
): string {
  return formatServiceId({
    namespace: parts.namespace ?? "default",
    name: parts.name ?? randomUUID(),
    revisionTag: parts.revisionTag ?? generateRevisionTag(),
  });
}
