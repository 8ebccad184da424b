import { InvalidServiceID } from "../errors/index.js";
import { formatServiceId, parseServiceId } from "./service-id.js";

/**
 * Octue's Pub/Sub form of a service ID: `/` becomes `.`, and a tag is appended after a `.` with its own dots turned
 * into hyphens (`octue/my-service:0.1.7` → `octue.my-service.0-1-7`). Like Octue, this is a plain text transform: it
 * accepts `name:tag` without a namespace.
 */
export function toPubSubForm(serviceId: string): string {
  const colon = serviceId.lastIndexOf(":");
  const base = (colon === -1 ? serviceId : serviceId.slice(0, colon)).replaceAll("/", ".");
  return colon === -1 ? base : `${base}.${serviceId.slice(colon + 1).replaceAll(".", "-")}`;
}

/**
 * The inverse of `toPubSubForm` as Octue defines it. It is lossy: every `-` in the tag becomes `.`, so
 * `0-12-4-prod` comes back as `0.12.4.prod`. Never use it to recover an SRUID that matters.
 */
export function serviceIdFromPubSubForm(resourceName: string): string {
  const parts = resourceName.split(".");
  const [namespace, name, tag, ...extra] = parts;
  if (namespace === undefined || name === undefined || extra.length > 0) {
    throw new InvalidServiceID(
      resourceName,
      "a Pub/Sub-form service ID has two or three dot-separated parts: 'namespace.name' or 'namespace.name.tag'",
    );
  }
  return formatServiceId(
    tag === undefined ? { namespace, name } : { namespace, name, revisionTag: tag.replaceAll("-", ".") },
  );
}

/** The name of the subscription a parent pulls a question's answer from: `<pubsub form of parent>.answers.<uuid>`. */
export function answerSubscriptionName(parentSruid: string, questionUuid: string): string {
  parseServiceId(parentSruid, { requireRevisionTag: true });
  return `${toPubSubForm(parentSruid)}.answers.${questionUuid}`;
}

/**
 * Why `name` cannot be a Pub/Sub topic or subscription ID, or undefined if it can. Google's rules: 3–255 characters
 * from `A-Z a-z 0-9 - _ . ~ + %`, starting with a letter, not starting with `goog`. A valid SRUID whose namespace
 * starts with a digit (`1org/2svc:3`) still fails here, so callers must check before creating a resource.
 */
export function pubSubResourceNameProblem(name: string): string | undefined {
  if (name.length < 3 || name.length > 255) {
    return `'${name}' is ${name.length} characters long; Pub/Sub names must be 3 to 255 characters`;
  }
  if (!/^[A-Za-z]/.test(name)) return `'${name}' must start with a letter to be a Pub/Sub name`;
  if (name.toLowerCase().startsWith("goog")) return `'${name}' must not start with 'goog' to be a Pub/Sub name`;
  const bad = /[^A-Za-z0-9\-_.~+%]/.exec(name);
  if (bad !== null) return `'${name}' contains ${JSON.stringify(bad[0])}, which Pub/Sub names do not allow`;
  return undefined;
}
