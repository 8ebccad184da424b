import { InvalidRegistration } from "../../errors/index.js";
import { formatServiceId } from "../../identity/index.js";
import { definedProperties } from "../../objects/index.js";
import type { RevisionRecord, RevisionSource, RevisionStore } from "../../ports/index.js";
import { JsonSource, loadTwine } from "../../twine/index.js";

export interface Registration {
  readonly twine: Record<string, unknown>;
  readonly source: RevisionSource;
  readonly default?: boolean;
}

/**
 * The revision registry: Octue's GET contract (does a revision exist; which is a service's default) plus registering
 * revisions and choosing defaults. A revision whose twine is invalid is refused.
 */
export class RevisionRegistry {
  constructor(private readonly revisions: RevisionStore) {}

  /** Octue's `GET /{ns}/{name}?revision_tag=T`: the revision, or undefined (404). */
  async find(namespace: string, name: string, revisionTag: string): Promise<RevisionRecord | undefined> {
    return this.revisions.get(namespace, name, revisionTag);
  }

  /** Octue's `GET /{ns}/{name}`: `{revision_tag}` of the default revision, or undefined (404). */
  async defaultTag(namespace: string, name: string): Promise<{ revision_tag: string } | undefined> {
    const revision = await this.revisions.getDefault(namespace, name);
    return revision === undefined ? undefined : { revision_tag: revision.revisionTag };
  }

  async list(namespace?: string, name?: string): Promise<RevisionRecord[]> {
    return this.revisions.list({
      ...definedProperties({ namespace, name }),
    });
  }

  /** @throws InvalidServiceID, InvalidRegistration, or the twine's own error when it is invalid. */
  async register(namespace: string, name: string, revisionTag: string, body: unknown): Promise<RevisionRecord> {
    formatServiceId({ namespace, name, revisionTag });
    const registration = parseRegistration(body);
    loadTwine(JsonSource.value(registration.twine), { onWarning: () => {} });
    return this.revisions.register(
      { namespace, name, revisionTag, twine: registration.twine, source: registration.source },
      { makeDefault: registration.default === true },
    );
  }

  async setDefault(namespace: string, name: string, body: unknown): Promise<RevisionRecord> {
    const tag = typeof body === "object" && body !== null ? (body as Record<string, unknown>).revision_tag : undefined;
    if (typeof tag !== "string" || tag === "") {
      throw new InvalidRegistration('the body must be {"revision_tag": "<tag>"} naming a registered revision', {
        pointer: "/revision_tag",
      });
    }
    return this.revisions.setDefault(namespace, name, tag);
  }
}

function parseRegistration(body: unknown): Registration {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new InvalidRegistration(
      'the body must be a JSON object: {"twine": {…}, "source": {"kind": "image", "image": "…"} or {"kind": "directory", "path": "…"}, "default": true|false}',
      { pointer: "" },
    );
  }
  const { twine, source, default: isDefault } = body as Record<string, unknown>;
  if (typeof twine !== "object" || twine === null || Array.isArray(twine)) {
    throw new InvalidRegistration("'twine' must be the service's twine.json, as a JSON object", { pointer: "/twine" });
  }
  if (isDefault !== undefined && typeof isDefault !== "boolean") {
    throw new InvalidRegistration("'default' must be true or false", { pointer: "/default" });
  }
  return {
    twine: twine as Record<string, unknown>,
    source: parseSource(source),
    ...definedProperties({ default: isDefault }),
  };
}

function parseSource(source: unknown): RevisionSource {
  const value = typeof source === "object" && source !== null ? (source as Record<string, unknown>) : {};
  if (value.kind === "image" && typeof value.image === "string" && value.image !== "") {
    return { kind: "image", image: value.image };
  }
  if (value.kind === "directory" && typeof value.path === "string" && value.path !== "") {
    return { kind: "directory", path: value.path };
  }
  throw new InvalidRegistration(
    '\'source\' must be {"kind": "image", "image": "<registry>/<ns>/<name>:<tag>"} or {"kind": "directory", "path": "<service folder>"}',
    { pointer: "/source" },
  );
}
