import { randomInt, randomUUID } from "node:crypto";
import { clone, deepFreeze, isRecord, type JsonObject, jsonEqual, nowIso } from "./json.js";
import { type ResourceType, resourceKey } from "./resources.js";
import { alreadyExists, badRequest, conflict, notFound } from "./status.js";

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED";

export interface StoreEvent {
  readonly type: WatchEventType;
  readonly resource: ResourceType;
  /** The object as stored (apiVersion and kind included); for DELETED, its last state with the deletion's version. */
  readonly object: JsonObject;
  readonly resourceVersion: number;
}

/** The characters of apiserver-generated name suffixes (no vowels, so no words). */
const SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
/** Longest generateName prefix kept, as the apiserver's name generator does (63 - 5). */
const MAX_GENERATED_PREFIX = 58;
/** How many events are kept for watches that resume from a resourceVersion. */
const HISTORY = 10_000;

export function randomSuffix(length = 5): string {
  let suffix = "";
  for (let index = 0; index < length; index++) suffix += SUFFIX_ALPHABET[randomInt(SUFFIX_ALPHABET.length)];
  return suffix;
}

function metadataOf(object: JsonObject): JsonObject {
  if (!isRecord(object.metadata)) object.metadata = {};
  return object.metadata as JsonObject;
}

/** Everything but metadata and status: what `metadata.generation` counts changes of. */
function desiredState(object: JsonObject): JsonObject {
  const { metadata: _metadata, status: _status, ...rest } = object;
  return rest;
}

/**
 * The in-memory etcd: objects by resource, namespace and name, one global resourceVersion counter, and the event
 * stream watches and controllers follow. Stored objects are frozen and reads return them as they are: copying every
 * object on every read made the controllers' passes quadratic in the number of Jobs. Change one with `modify`.
 */
export class ObjectStore {
  private version = 0;
  private sequence = 0;
  private readonly objects = new Map<string, { readonly resource: ResourceType; readonly object: JsonObject }>();
  /** The same objects' keys by resource, so that listing one resource does not walk every other. */
  private readonly keysByResource = new Map<string, Set<string>>();
  private readonly order = new Map<string, number>();
  private readonly listeners = new Set<(event: StoreEvent) => void>();
  private readonly history: StoreEvent[] = [];
  /** Watches from a version below this get 410 Gone, as after an etcd compaction. */
  private compactedThrough = 0;
  private readonly pending: StoreEvent[] = [];
  private dispatching = false;

  get resourceVersion(): string {
    return String(this.version);
  }

  private key(resource: ResourceType, namespace: string | undefined, name: string): string {
    return `${resourceKey(resource)}/${resource.namespaced ? (namespace ?? "") : ""}/${name}`;
  }

  /**
   * Stores a new object: name (from generateName when needed), uid, resourceVersion, generation and
   * creationTimestamp are set here. `prepare` sees the object with those set, before it is stored (defaulting that
   * needs the uid, as the Job's selector does).
   */
  create(
    resource: ResourceType,
    namespace: string | undefined,
    body: JsonObject,
    prepare?: (object: JsonObject) => void,
  ): JsonObject {
    const object = clone(body);
    const metadata = metadataOf(object);
    let name = typeof metadata.name === "string" ? metadata.name : "";
    if (name === "") {
      const prefix = typeof metadata.generateName === "string" ? metadata.generateName : "";
      if (prefix === "") throw badRequest("name or generateName is required");
      do name = `${prefix.slice(0, MAX_GENERATED_PREFIX)}${randomSuffix()}`;
      while (this.objects.has(this.key(resource, namespace, name)));
    }
    const key = this.key(resource, namespace, name);
    if (this.objects.has(key)) throw alreadyExists(resource, name);
    this.version++;
    const uid = randomUUID();
    object.apiVersion = resource.apiVersion;
    object.kind = resource.kind;
    object.metadata = {
      ...metadata,
      name,
      ...(resource.namespaced ? { namespace } : {}),
      uid,
      resourceVersion: String(this.version),
      generation: 1,
      creationTimestamp: nowIso(),
    };
    if (!resource.namespaced) delete (object.metadata as JsonObject).namespace;
    prepare?.(object);
    deepFreeze(object);
    this.store(key, resource, object);
    this.order.set(uid, this.sequence++);
    this.emit({ type: "ADDED", resource, object, resourceVersion: this.version });
    return object;
  }

  get(resource: ResourceType, namespace: string | undefined, name: string): JsonObject | undefined {
    return this.objects.get(this.key(resource, namespace, name))?.object;
  }

  /** Objects of a resource, in one namespace or all, sorted by namespace then name as etcd returns them. */
  list(resource: ResourceType, namespace?: string): JsonObject[] {
    const prefix =
      resource.namespaced && namespace !== undefined
        ? `${resourceKey(resource)}/${namespace}/`
        : `${resourceKey(resource)}/`;
    const keys = [...(this.keysByResource.get(resourceKey(resource)) ?? [])].filter((key) => key.startsWith(prefix));
    return keys.sort().flatMap((key) => {
      const found = this.objects.get(key);
      return found === undefined ? [] : [found.object];
    });
  }

  private store(key: string, resource: ResourceType, object: JsonObject): void {
    this.objects.set(key, { resource, object });
    let keys = this.keysByResource.get(resourceKey(resource));
    if (keys === undefined) {
      keys = new Set();
      this.keysByResource.set(resourceKey(resource), keys);
    }
    keys.add(key);
  }

  /**
   * Replaces an object with `next` (a full object). Server-set metadata (uid, creationTimestamp, generation) is kept;
   * `metadata.resourceVersion` in `next`, when present, must be the stored one (optimistic concurrency).
   * An update that changes nothing is not stored and emits nothing, as the apiserver does.
   */
  update(resource: ResourceType, namespace: string | undefined, name: string, next: JsonObject): JsonObject {
    const key = this.key(resource, namespace, name);
    const current = this.objects.get(key)?.object;
    if (current === undefined) throw notFound(resource, name);
    const currentMetadata = metadataOf(current);
    const object = clone(next);
    const metadata = metadataOf(object);
    if (metadata.resourceVersion !== undefined && metadata.resourceVersion !== currentMetadata.resourceVersion) {
      throw conflict(resource, name);
    }
    object.apiVersion = resource.apiVersion;
    object.kind = resource.kind;
    object.metadata = {
      ...metadata,
      name,
      uid: currentMetadata.uid,
      creationTimestamp: currentMetadata.creationTimestamp,
      generation: currentMetadata.generation,
      resourceVersion: currentMetadata.resourceVersion,
      ...(resource.namespaced ? { namespace } : {}),
    };
    if (jsonEqual(object, current)) return current;
    this.version++;
    const updatedMetadata = object.metadata as JsonObject;
    updatedMetadata.resourceVersion = String(this.version);
    if (!jsonEqual(desiredState(object), desiredState(current))) {
      updatedMetadata.generation = Number(currentMetadata.generation ?? 0) + 1;
    }
    deepFreeze(object);
    this.store(key, resource, object);
    this.emit({ type: "MODIFIED", resource, object, resourceVersion: this.version });
    return object;
  }

  /** Reads, changes and stores an object; undefined when it does not exist. */
  modify(
    resource: ResourceType,
    namespace: string | undefined,
    name: string,
    change: (draft: JsonObject) => void,
  ): JsonObject | undefined {
    const stored = this.get(resource, namespace, name);
    if (stored === undefined) return undefined;
    const draft = clone(stored);
    change(draft);
    if (isRecord(draft.metadata)) delete draft.metadata.resourceVersion;
    return this.update(resource, namespace, name, draft);
  }

  delete(resource: ResourceType, namespace: string | undefined, name: string): JsonObject | undefined {
    const key = this.key(resource, namespace, name);
    const current = this.objects.get(key)?.object;
    if (current === undefined) return undefined;
    this.objects.delete(key);
    this.keysByResource.get(resourceKey(resource))?.delete(key);
    this.version++;
    const last = clone(current);
    metadataOf(last).resourceVersion = String(this.version);
    deepFreeze(last);
    this.emit({ type: "DELETED", resource, object: last, resourceVersion: this.version });
    return last;
  }

  /** Order of creation (FIFO queues need it: creationTimestamp has whole seconds). */
  creationOrder(uid: string): number {
    return this.order.get(uid) ?? Number.MAX_SAFE_INTEGER;
  }

  /** Every object of any resource, for the garbage collector. */
  everything(): { resource: ResourceType; object: JsonObject }[] {
    return [...this.objects.values()].map(({ resource, object }) => ({ resource, object }));
  }

  subscribe(listener: (event: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Events after `resourceVersion`, or undefined when they are no longer kept (a watch then gets 410 Gone). */
  eventsAfter(resourceVersion: number): StoreEvent[] | undefined {
    if (resourceVersion < this.compactedThrough) return undefined;
    const oldest = this.history[0];
    if (oldest !== undefined && resourceVersion < oldest.resourceVersion - 1) return undefined;
    return this.history.filter((event) => event.resourceVersion > resourceVersion);
  }

  /** Forgets the event history, as etcd's compaction does: only a watch from the current version can resume. */
  compact(): void {
    this.history.length = 0;
    this.compactedThrough = this.version;
  }

  // Events go out in the order they happened even when a listener changes the store while being told of one.
  private emit(event: StoreEvent): void {
    this.history.push(event);
    if (this.history.length > HISTORY) this.history.shift();
    this.pending.push(event);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let next = this.pending.shift(); next !== undefined; next = this.pending.shift()) {
        for (const listener of [...this.listeners]) listener(next);
      }
    } finally {
      this.dispatching = false;
    }
  }
}
