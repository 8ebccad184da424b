import { type DocumentReference, type DocumentSnapshot, type Firestore, Timestamp } from "@google-cloud/firestore";
import { RevisionNotFound, StoreClosed } from "../../../errors/index.js";
import { formatServiceId } from "../../../identity/index.js";
import { isPlainObject } from "../../../json/index.js";
import { definedProperties } from "../../../objects/index.js";
import type { NewRevision, RevisionRecord, RevisionSource, RevisionStore } from "../../../ports/index.js";
import { type FirestoreStoreOptions, firestoreClient } from "./client.js";
import { FieldReader } from "./field-reader.js";
import { FirestoreLayout, isDocumentId } from "./layout.js";
import { revisionListShape, shapedQuery } from "./query-shapes.js";

/**
 * The cloud {@link RevisionStore}: `namespaces/{ns}/services/{name}/revisions/{tag}`, with each service's default
 * recorded once, as `defaultRevisionTag` on `namespaces/{ns}/services/{name}`, so there is never more than one and
 * moving it is a single write. Registration needs no transaction: it replaces the revision and touches the service
 * in one batch.
 */
export class FirestoreRevisionStore implements RevisionStore {
  private readonly db: Firestore;
  private readonly ownsClient: boolean;
  private readonly layout: FirestoreLayout;
  private readonly now: () => Date;
  private closed = false;

  constructor(options: FirestoreStoreOptions = {}) {
    const { firestore, owned } = firestoreClient(options);
    this.db = firestore;
    this.ownsClient = owned;
    this.layout = new FirestoreLayout(firestore, options.collectionPrefix);
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Registers the revision, replacing the twine and source of an earlier registration of the same tag (which then
   * counts as the newest). Without `makeDefault` a revision keeps whatever default status it had.
   *
   * @throws InvalidServiceID if the namespace, name or tag break the naming rules.
   */
  async register(revision: NewRevision, options: { makeDefault?: boolean } = {}): Promise<RevisionRecord> {
    this.assertOpen();
    // Validates before anything is written, so no unaddressable revision is ever stored.
    const sruid = formatServiceId(revision);
    const { namespace, name, revisionTag } = revision;
    const makeDefault = options.makeDefault === true;
    const document = revisionDocument(revision, Timestamp.fromDate(this.now()));
    const serviceRef = this.layout.service(namespace, name);
    await this.db
      .batch()
      .set(this.layout.revision(namespace, name, revisionTag), document)
      // The service document exists for every registered service, so the console can browse to its revisions.
      .set(
        serviceRef,
        { namespace, name, ...(makeDefault ? { defaultRevisionTag: revisionTag } : {}) },
        { merge: true },
      )
      .commit();
    const isDefault = makeDefault || (await this.defaultTag(serviceRef)) === revisionTag;
    return revisionFromDocument(document, sruid, isDefault);
  }

  async get(namespace: string, name: string, revisionTag: string): Promise<RevisionRecord | undefined> {
    this.assertOpen();
    if (![namespace, name, revisionTag].every(isDocumentId)) return undefined;
    const [revision, service] = await this.db.getAll(
      this.layout.revision(namespace, name, revisionTag),
      this.layout.service(namespace, name),
    );
    if (revision === undefined || !revision.exists) return undefined;
    return revisionFromSnapshot(revision, defaultTagOf(service) === revisionTag);
  }

  async getDefault(namespace: string, name: string): Promise<RevisionRecord | undefined> {
    this.assertOpen();
    if (![namespace, name].every(isDocumentId)) return undefined;
    const revisionTag = await this.defaultTag(this.layout.service(namespace, name));
    if (revisionTag === undefined) return undefined;
    const revision = await this.layout.revision(namespace, name, revisionTag).get();
    return revision.exists ? revisionFromSnapshot(revision, true) : undefined;
  }

  async list(filter: { namespace?: string; name?: string } = {}): Promise<RevisionRecord[]> {
    this.assertOpen();
    const { namespace, name } = filter;
    if (![namespace, name].every((key) => key === undefined || isDocumentId(key))) return [];
    const shape = revisionListShape({ namespace: namespace !== undefined, name: name !== undefined });
    const source =
      namespace !== undefined && name !== undefined
        ? this.layout.revisions(namespace, name)
        : this.layout.group("revisions");
    const values: Record<string, string> = {};
    if (shape.equalities.includes("namespace") && namespace !== undefined) values.namespace = namespace;
    if (shape.equalities.includes("name") && name !== undefined) values.name = name;
    const { docs } = await shapedQuery(source, shape, values).get();
    const defaults = await this.defaultTags(docs.map((revision) => revision.ref));
    return docs.map((revision) =>
      revisionFromSnapshot(revision, defaults.get(serviceOf(revision.ref).path) === revision.id),
    );
  }

  /** @throws RevisionNotFound if the revision is not registered. */
  async setDefault(namespace: string, name: string, revisionTag: string): Promise<RevisionRecord> {
    this.assertOpen();
    const sruid = `${namespace}/${name}:${revisionTag}`;
    if (![namespace, name, revisionTag].every(isDocumentId)) throw new RevisionNotFound(sruid);
    const revisionRef = this.layout.revision(namespace, name, revisionTag);
    // Reads only the revision: the default is one field, so the move needs no knowledge of the old default.
    return this.db.runTransaction(async (transaction) => {
      const revision = await transaction.get(revisionRef);
      if (!revision.exists) throw new RevisionNotFound(sruid);
      transaction.set(
        this.layout.service(namespace, name),
        { namespace, name, defaultRevisionTag: revisionTag },
        { merge: true },
      );
      return revisionFromSnapshot(revision, true);
    });
  }

  /** Terminates the client if this store created it; a given client stays open for its owner. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.ownsClient) await this.db.terminate();
  }

  private async defaultTag(serviceRef: DocumentReference): Promise<string | undefined> {
    return defaultTagOf(await serviceRef.get());
  }

  /** Each listed revision's service default, by service document path, in one read. */
  private async defaultTags(revisions: readonly DocumentReference[]): Promise<Map<string, string | undefined>> {
    const services = new Map(revisions.map((revision) => [serviceOf(revision).path, serviceOf(revision)]));
    if (services.size === 0) return new Map();
    const snapshots = await this.db.getAll(...services.values());
    return new Map(snapshots.map((service) => [service.ref.path, defaultTagOf(service)]));
  }

  private assertOpen(): void {
    if (this.closed) throw new StoreClosed("Firestore revision store");
  }
}

function revisionDocument(revision: NewRevision, registeredAt: Timestamp) {
  return {
    namespace: revision.namespace,
    name: revision.name,
    revisionTag: revision.revisionTag,
    sruid: `${revision.namespace}/${revision.name}:${revision.revisionTag}`,
    // JSON text, as twines are JSON Schema, whose nested arrays (tuples, enums of lists) Firestore maps cannot hold.
    twine: JSON.stringify(revision.twine),
    source: definedProperties({ ...revision.source }),
    registeredAt,
  };
}

function revisionFromSnapshot(revision: DocumentSnapshot, isDefault: boolean): RevisionRecord {
  const service = serviceOf(revision.ref);
  const namespace = service.parent.parent?.id ?? "(no namespace)";
  return revisionFromDocument(revision.data(), `${namespace}/${service.id}:${revision.id}`, isDefault);
}

/** `key` is the SRUID the document's path gives, so a damaged document is still reported by where it is. */
function revisionFromDocument(data: unknown, key: string, isDefault: boolean): RevisionRecord {
  const read: FieldReader = FieldReader.of(data, "revision", key);
  const ids = { namespace: read.text("namespace"), name: read.text("name"), revisionTag: read.text("revisionTag") };
  return {
    ...ids,
    sruid: `${ids.namespace}/${ids.name}:${ids.revisionTag}`,
    twine: read.json("twine", isPlainObject, "a twine object"),
    source: read.value("source", isRevisionSource, "a directory or image source"),
    isDefault,
    registeredAt: read.time("registeredAt"),
  };
}

/** The revision's service document: revisions/{tag} sits under services/{name}. */
function serviceOf(revision: DocumentReference): DocumentReference {
  const service = revision.parent.parent;
  if (service === null) throw new Error(`${revision.path} is not a revision document`);
  return service;
}

function defaultTagOf(service: DocumentSnapshot | undefined): string | undefined {
  if (service === undefined || !service.exists) return undefined;
  const key = `${service.ref.parent.parent?.id ?? "(no namespace)"}/${service.id}`;
  return FieldReader.of(service.data(), "revision", key).optionalText("defaultRevisionTag");
}

function isRevisionSource(value: unknown): value is RevisionSource {
  if (!isPlainObject(value)) return false;
  return (
    (value.kind === "directory" && typeof value.path === "string") ||
    (value.kind === "image" && typeof value.image === "string")
  );
}
