import express, { type Express, type Router } from "express";
import {
  DIAGNOSTICS_URL_SECONDS,
  type DiagnosticsDocument,
  describeDiagnostics,
  signManifestDatasets,
} from "../../datasets/index.js";
import { NoAnswerYet, QuestionDiagnosticsNotFound, QuestionNotFound } from "../../errors/index.js";
import type { ChildEventEnvelope, SerialisedManifest } from "../../events/index.js";
import { isPlainObject } from "../../json/index.js";
import { definedProperties } from "../../objects/index.js";
import type { DatasetStore, QuestionChanges, QuestionStore, SignedObjectReader } from "../../ports/index.js";
import { joinStorageUri } from "../../storage/index.js";
import { traceHttpRequests } from "../../tracing/index.js";
import { TWINED_VERSION } from "../../version.js";
import type { DeadLetterKeeper } from "../dead-letters/handler.js";
import { deadLetterRoutes } from "../dead-letters/http-routes.js";
import type { QuestionIntake } from "../question-intake/handler.js";
import { eventRoutes, questionRoutes } from "../question-intake/http-routes.js";
import type { OutputValuesReader } from "../question-intake/output-values.js";
import type { QuestionReconciler } from "../question-reconciler/handler.js";
import type { RevisionRegistry } from "../revision-registry/handler.js";
import { revisionRegistryRoutes } from "../revision-registry/http-routes.js";
import { allowOnlyHosts } from "./allowed-hosts.js";
import { dashboardFiles } from "./dashboard-files.js";
import { jsonErrors } from "./json-errors.js";
import { requireNetworkToken } from "./network-token.js";
import { limitConcurrentStreams, limitUrls, REQUEST_LIMITS, refuseDeepJson } from "./request-limits.js";
import { signedStorageRoutes } from "./signed-storage-routes.js";

/** A UUID, so a diagnostics path never leaves the question's own folder. */
const QUESTION_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface QuestionsApiOptions {
  readonly intake: QuestionIntake;
  readonly questions: QuestionStore;
  /** Publishes a response event a job posts (`POST /questions/{uuid}/events`) on the services topic. */
  readonly publishEvent: (envelope: ChildEventEnvelope) => Promise<void>;
  /** Wakes live event streams at once when the store is in this process; without it they poll. */
  readonly changes?: QuestionChanges;
  /** How often a live event stream polls the store. */
  readonly pollIntervalMs?: number;
  /** Also serves the registry under `/registry`, as a network behind one address does. */
  readonly registry?: RevisionRegistry;
  /** Serves the signed URLs of an embedded network's storage under `/storage`. */
  readonly signedStorage?: SignedObjectReader;
  /** The network's datasets, as askers see them: where to upload local ones, and signed outputs. */
  readonly datasets?: NetworkDatasets;
  /** Serves the network's dead letters under `/dead-letters`, to list and replay them. */
  readonly deadLetters?: DeadLetterKeeper;
  /** Answers only requests addressed to these `host:port`s, and pages from them (see `allowOnlyHosts`). */
  readonly allowedHosts?: () => ReadonlySet<string> | undefined;
  /** Answers only requests that carry this bearer token (a network reachable beyond loopback; see `requireNetworkToken`). */
  readonly token?: string;
  /**
   * The folder of the question dashboard's static files, served at `/` (`twined dev`). They hold no data, so they are
   * served without the token (a browser cannot send it when it opens a page); the API they call still needs it.
   */
  readonly dashboard?: string;
}

export interface NetworkDatasets {
  /** Whether questions may name paths on the network's machine (its jobs run there). */
  readonly readsLocalFiles: boolean;
  /** Where askers upload their local datasets (`gs://…`), when the network has such a place. */
  readonly uploadsLocation?: string | undefined;
  /** The network's storage, which signs answers' output datasets for askers without access to its buckets. */
  readonly store?: DatasetStore | undefined;
  /** Where the network keeps failed questions' diagnostics (`gs://…`), served signed by `/questions/{uuid}/diagnostics`. */
  readonly diagnosticsLocation?: string | undefined;
}

/**
 * The questions API (`/questions`, `/events`, `/healthz`, and `/registry` and `/dead-letters` when given them), JSON
 * errors throughout: the question-intake function in the cloud, and `twined dev`'s whole API.
 */
export function questionsApi(options: QuestionsApiOptions): Express {
  const app = jsonApp(
    definedProperties({ allowedHosts: options.allowedHosts, token: options.token, dashboard: options.dashboard }),
  );
  app.use(limitConcurrentStreams());
  app.get("/healthz", (_request, response) => {
    response.json({ status: "ok", version: TWINED_VERSION });
  });
  const datasets = options.datasets ?? { readsLocalFiles: false };
  // What an asker needs before asking about datasets on its own disk.
  app.get("/datasets", (_request, response) => {
    response.json({ reads_local_files: datasets.readsLocalFiles, uploads_location: datasets.uploadsLocation ?? null });
  });
  app.get("/questions/:questionUuid/output-manifest", async (request, response) => {
    response.json(await signedOutputManifest(options.questions, datasets, request.params.questionUuid));
  });
  app.get("/questions/:questionUuid/diagnostics", async (request, response) => {
    response.json(await signedDiagnostics(options.questions, datasets, request.params.questionUuid));
  });
  app.use(
    "/questions",
    questionRoutes(options.intake, options.questions, {
      publishEvent: options.publishEvent,
      ...definedProperties({
        outputValues: valuesReader(datasets.store),
        changes: options.changes,
        pollIntervalMs: options.pollIntervalMs,
      }),
    }),
  );
  app.use("/events", eventRoutes(options.questions, valuesReader(datasets.store)));
  if (options.registry !== undefined) app.use("/registry", revisionRegistryRoutes(options.registry));
  if (options.deadLetters !== undefined) app.use("/dead-letters", deadLetterRoutes(options.deadLetters));
  if (options.signedStorage !== undefined) app.use("/storage", signedStorageRoutes(options.signedStorage));
  return finish(app);
}

/**
 * The revision registry on its own (the revision-registry function): Octue's contract at the root, and the same
 * routes under `/registry`, where Twined's client looks (`twined revision register --network <this URL>`).
 */
export function revisionRegistryApi(registry: RevisionRegistry): Express {
  const app = jsonApp();
  const routes: Router = revisionRegistryRoutes(registry);
  app.use("/registry", routes);
  app.use("/", routes);
  return finish(app);
}

/** The reconciler over HTTP: each `POST /` (Cloud Scheduler's call) is one pass over the active questions. */
export function reconcilerApi(reconciler: QuestionReconciler): Express {
  const app = jsonApp();
  app.post("/", async (_request, response) => {
    response.json(await reconciler.reconcile());
  });
  return finish(app);
}

/**
 * A question's output manifest with each dataset in storage signed, so an asker downloads it without access to the
 * network's buckets. @throws QuestionNotFound; NoAnswerYet (409) before the question has succeeded.
 */
async function signedOutputManifest(
  questions: QuestionStore,
  datasets: NetworkDatasets,
  questionUuid: string,
): Promise<unknown> {
  const question = await questions.get(questionUuid);
  if (question === undefined) throw new QuestionNotFound(questionUuid);
  if (question.status !== "succeeded") throw new NoAnswerYet(questionUuid, question.status);
  const manifest = question.answer?.output_manifest;
  if (!isPlainObject(manifest) || !isPlainObject(manifest.datasets)) return manifest ?? null;
  if (datasets.store === undefined) return manifest;
  return signManifestDatasets(manifest as SerialisedManifest, { store: datasets.store });
}

/**
 * A question's crash diagnostics, each file and dataset signed for an asker without access to the network's buckets.
 * @throws QuestionDiagnosticsNotFound (404), saying why there are none; QuestionNotFound when the question is unknown too.
 */
async function signedDiagnostics(
  questions: QuestionStore,
  datasets: NetworkDatasets,
  questionUuid: string,
): Promise<DiagnosticsDocument> {
  if (datasets.store === undefined || datasets.diagnosticsLocation === undefined) {
    throw new QuestionDiagnosticsNotFound(
      questionUuid,
      "this network keeps no diagnostics (it has no diagnostics location)",
    );
  }
  if (!QUESTION_UUID.test(questionUuid)) {
    throw new QuestionDiagnosticsNotFound(questionUuid, "that is not a question UUID");
  }
  const root = joinStorageUri(datasets.diagnosticsLocation, questionUuid);
  const document = await describeDiagnostics(datasets.store, root, { signFor: DIAGNOSTICS_URL_SECONDS });
  if (document !== undefined) return document;
  const question = await questions.get(questionUuid);
  if (question === undefined) throw new QuestionNotFound(questionUuid);
  throw new QuestionDiagnosticsNotFound(
    questionUuid,
    `none are saved at ${root}. A question keeps them when it fails (save_diagnostics SAVE_DIAGNOSTICS_ON_CRASH, the default) or always (SAVE_DIAGNOSTICS_ON); this one is ${question.status}. A service with its own diagnostics_cloud_path keeps them there: twined question diagnostics gs://<that path>/${questionUuid}`,
  );
}

/** Reads output values kept in storage as JSON, when the network has storage. */
function valuesReader(store: DatasetStore | undefined): OutputValuesReader | undefined {
  if (store === undefined) return undefined;
  return async (reference) => JSON.parse((await store.read(reference)).toString("utf8")) as unknown;
}

interface Gatekeeping {
  readonly allowedHosts?: () => ReadonlySet<string> | undefined;
  readonly token?: string;
  readonly dashboard?: string;
}

function jsonApp(gates: Gatekeeping = {}): Express {
  const app = express();
  app.disable("x-powered-by");
  // First: a caller's `traceparent` makes what its request starts (a question, above all) part of the caller's trace.
  app.use(traceHttpRequests());
  // Before anything reads the body: a request from a stranger gets nothing but its refusal.
  if (gates.allowedHosts !== undefined) app.use(allowOnlyHosts(gates.allowedHosts));
  // Behind the host and origin checks, before the token's: see `QuestionsApiOptions.dashboard`.
  if (gates.dashboard !== undefined) app.use(dashboardFiles(gates.dashboard));
  if (gates.token !== undefined) app.use(requireNetworkToken(gates.token));
  app.use(limitUrls());
  app.use(express.json({ limit: REQUEST_LIMITS.request_body_bytes, verify: refuseDeepJson }));
  return app;
}

/** Unknown routes and every error as `{error: {type, message, details}}`. */
function finish(app: Express): Express {
  app.use((request, response) => {
    response.status(404).json({
      error: { type: "NotFound", message: `no route for ${request.method} ${request.path}`, details: {} },
    });
  });
  app.use(jsonErrors());
  return app;
}
