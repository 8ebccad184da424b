/**
 * Deletion with owner references, as the apiserver and garbage collector handle it: `Orphan` strips the owner
 * reference from dependents, `Foreground` marks the owner (deletionTimestamp) and deletes dependents first, and
 * `Background` deletes the owner now and leaves the dependents to the garbage collector (`collectGarbage`).
 */
import { arrayAt, isRecord, type JsonObject, nowIso, stringAt } from "./json.js";
import type { ObjectStore } from "./object-store.js";
import type { ResourceType } from "./resources.js";

export type Propagation = "Background" | "Foreground" | "Orphan";

function ownerUids(object: JsonObject): string[] {
  return arrayAt(object, "metadata", "ownerReferences").flatMap((reference) => {
    const uid = stringAt(reference, "uid");
    return uid === undefined ? [] : [uid];
  });
}

function dependentsOf(store: ObjectStore, uid: string): { resource: ResourceType; object: JsonObject }[] {
  return store.everything().filter(({ object }) => ownerUids(object).includes(uid));
}

export function deleteWithPropagation(
  store: ObjectStore,
  resource: ResourceType,
  namespace: string | undefined,
  name: string,
  propagation: Propagation,
): JsonObject | undefined {
  const current = store.get(resource, namespace, name);
  if (current === undefined) return undefined;
  const uid = stringAt(current, "metadata", "uid") ?? "";
  if (propagation === "Orphan") {
    for (const dependent of dependentsOf(store, uid)) {
      store.modify(
        dependent.resource,
        stringAt(dependent.object, "metadata", "namespace"),
        nameOf(dependent.object),
        (draft) => {
          const metadata = draft.metadata as JsonObject;
          metadata.ownerReferences = arrayAt(draft, "metadata", "ownerReferences").filter(
            (reference) => !(isRecord(reference) && reference.uid === uid),
          );
          if ((metadata.ownerReferences as unknown[]).length === 0) delete metadata.ownerReferences;
        },
      );
    }
  } else if (propagation === "Foreground") {
    store.modify(resource, namespace, name, (draft) => {
      (draft.metadata as JsonObject).deletionTimestamp = nowIso();
    });
    for (const dependent of dependentsOf(store, uid)) {
      deleteWithPropagation(
        store,
        dependent.resource,
        stringAt(dependent.object, "metadata", "namespace"),
        nameOf(dependent.object),
        "Foreground",
      );
    }
  }
  return store.delete(resource, namespace, name);
}

function nameOf(object: JsonObject): string {
  return stringAt(object, "metadata", "name") ?? "";
}

/** Deletes every object whose owners are all gone; returns whether it deleted anything. */
export function collectGarbage(store: ObjectStore): boolean {
  const everything = store.everything();
  const live = new Set(everything.map(({ object }) => stringAt(object, "metadata", "uid")));
  let deleted = false;
  for (const { resource, object } of everything) {
    const owners = ownerUids(object);
    if (owners.length > 0 && owners.every((uid) => !live.has(uid))) {
      deleted =
        store.delete(resource, stringAt(object, "metadata", "namespace"), nameOf(object)) !== undefined || deleted;
    }
  }
  return deleted;
}
