/** Where a revision's code is: a local service folder (embedded network) or a container image (cloud). */
export type RevisionSource =
  | { readonly kind: "directory"; readonly path: string }
  | { readonly kind: "image"; readonly image: string };

export interface RevisionRecord {
  readonly namespace: string;
  readonly name: string;
  readonly revisionTag: string;
  /** `namespace/name:revisionTag`. */
  readonly sruid: string;
  /** The revision's twine, so questions can be validated without its code. */
  readonly twine: Readonly<Record<string, unknown>>;
  readonly source: RevisionSource;
  readonly isDefault: boolean;
  readonly registeredAt: string;
}

export interface NewRevision {
  readonly namespace: string;
  readonly name: string;
  readonly revisionTag: string;
  readonly twine: Readonly<Record<string, unknown>>;
  readonly source: RevisionSource;
}

/**
 * Service revisions and each service's default revision. Adapters: SQLite (embedded) and Firestore
 * (`namespaces/{ns}/services/{name}/revisions/{tag}`).
 */
export interface RevisionStore {
  /** Registers (or re-registers, replacing) a revision; with `makeDefault` it becomes its service's default. */
  register(revision: NewRevision, options?: { readonly makeDefault?: boolean }): Promise<RevisionRecord>;
  get(namespace: string, name: string, revisionTag: string): Promise<RevisionRecord | undefined>;
  getDefault(namespace: string, name: string): Promise<RevisionRecord | undefined>;
  /** Every revision, or one service's, newest first. */
  list(filter?: { readonly namespace?: string; readonly name?: string }): Promise<RevisionRecord[]>;
  /** @throws RevisionNotFound if the revision is not registered. */
  setDefault(namespace: string, name: string, revisionTag: string): Promise<RevisionRecord>;
  close(): Promise<void>;
}
