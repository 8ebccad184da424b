import path from "node:path";
import { loadServiceConfiguration } from "../../config/index.js";
import { InvalidRegistration, RegistrationForbidden, TwinedError } from "../../errors/index.js";
import { checkImageReference, formatServiceId } from "../../identity/index.js";
import { isPlainObject } from "../../json/index.js";
import { definedProperties } from "../../objects/index.js";
import type { RevisionRecord, RevisionSource, RevisionStore } from "../../ports/index.js";
import { JsonSource, loadTwine } from "../../twine/index.js";

export interface Registration {
  readonly twine: Record<string, unknown>;
  readonly source: RevisionSource;
  readonly default?: boolean;
}

/** Who registers: a service folder names a path on the network's machine, so only that machine may name one. */
export interface Registrant {
  /** Whether the request came from the machine the network runs on (a loopback address). */
  readonly fromThisMachine: boolean;
}

/**
 * The revision registry: Octue's GET contract (does a revision exist; which is a service's default) plus registering
 * revisions and choosing defaults. A registration is checked in full before anything is stored: its fields, its twine,
 * its image reference, or its service folder (an absolute path on the network's machine holding a valid `octue.yaml`,
 * registered from that machine only, since the network runs whatever code the folder holds).
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

  /**
   * @throws InvalidServiceID, InvalidRegistration, the twine's own error when it is invalid, or RegistrationForbidden
   *   for a service folder named from another machine.
   */
  async register(
    namespace: string,
    name: string,
    revisionTag: string,
    body: unknown,
    registrant: Registrant,
  ): Promise<RevisionRecord> {
    formatServiceId({ namespace, name, revisionTag });
    const registration = parseRegistration(body);
    // Its schemas too: a schema no data can be checked against would fail every question asked of the revision.
    loadTwine(JsonSource.value(registration.twine), { onWarning: () => {} }).compileSchemas();
    if (registration.source.kind === "directory") checkServiceFolder(registration.source.path, registrant);
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

const REGISTRATION_FIELDS = ["twine", "source", "default"];
const SOURCE_FIELDS: Readonly<Record<string, readonly string[]>> = {
  image: ["kind", "image"],
  directory: ["kind", "path"],
};

function parseRegistration(body: unknown): Registration {
  if (!isPlainObject(body)) {
    throw new InvalidRegistration(
      'the body must be a JSON object: {"twine": {…}, "source": {"kind": "image", "image": "…"} or {"kind": "directory", "path": "…"}, "default": true|false}',
      { pointer: "" },
    );
  }
  refuseUnknownFields(body, REGISTRATION_FIELDS, "");
  const { twine, source, default: isDefault } = body;
  if (!isPlainObject(twine)) {
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
  const value = isPlainObject(source) ? source : {};
  const fields = typeof value.kind === "string" ? SOURCE_FIELDS[value.kind] : undefined;
  if (fields !== undefined) refuseUnknownFields(value, fields, "/source");
  if (value.kind === "image" && typeof value.image === "string" && value.image !== "") {
    try {
      checkImageReference(value.image);
    } catch (error) {
      throw new InvalidRegistration((error as Error).message, { pointer: "/source/image", cause: error });
    }
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

function refuseUnknownFields(value: Record<string, unknown>, known: readonly string[], pointer: string): void {
  const unknown = Object.keys(value).find((key) => !known.includes(key));
  if (unknown !== undefined) {
    throw new InvalidRegistration(`unknown field '${unknown}'; the fields are ${known.join(", ")}`, {
      pointer: `${pointer}/${unknown.replaceAll("~", "~0").replaceAll("/", "~1")}`,
    });
  }
}

/**
 * A service folder is code the network will run from its own disk: named by someone on its machine, by an absolute
 * path, holding an `octue.yaml` that loads.
 */
function checkServiceFolder(folder: string, registrant: Registrant): void {
  if (!registrant.fromThisMachine) {
    throw new RegistrationForbidden(
      "a service folder can only be registered from the machine the network runs on (its jobs run the code there); from elsewhere, register an image ('twined revision register --image')",
      { pointer: "/source/path" },
    );
  }
  if (!path.isAbsolute(folder) || folder.includes("\0")) {
    throw new InvalidRegistration(
      `'${folder}' must be an absolute path to the service's folder on the network's machine`,
      {
        pointer: "/source/path",
      },
    );
  }
  try {
    loadServiceConfiguration(path.join(folder, "octue.yaml"));
  } catch (error) {
    if (!(error instanceof TwinedError)) throw error;
    throw new InvalidRegistration(`the service folder ${folder} cannot be run: ${error.message}`, {
      pointer: "/source/path",
      cause: error,
    });
  }
}
