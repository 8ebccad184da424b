import path from "node:path";
import type { Express } from "express";
import { questionsApi } from "../shared/control-plane/http/apps.js";
import { RevisionRegistry } from "../shared/control-plane/revision-registry/handler.js";
import { definedProperties } from "../shared/objects/index.js";
import { packageRoot } from "../shared/package-root.js";
import type { EmbeddedNetwork } from "./embedded-network.js";

/**
 * The HTTP API of an embedded network: `/questions`, `/events`, `/registry`, `/dead-letters` and `/healthz`, JSON errors
 * throughout.
 */
export interface HttpApiOptions {
  readonly pollIntervalMs?: number;
  /** Answers only requests addressed to these `host:port`s (a network on loopback), read per request. */
  readonly allowedHosts?: () => ReadonlySet<string> | undefined;
  /** Answers only requests with `Authorization: Bearer <token>` (a network reachable beyond loopback). */
  readonly token?: string;
  /** Serves the question dashboard at `/` (`twined dev`; see docs/dashboard.md). */
  readonly dashboard?: boolean;
}

export function createHttpApi(network: EmbeddedNetwork, options: HttpApiOptions = {}): Express {
  return questionsApi({
    intake: network.intake,
    questions: network.questions,
    changes: network.changes,
    publishEvent: (envelope) => network.events.emit(envelope),
    registry: new RevisionRegistry(network.revisions),
    deadLetters: network.deadLetters,
    datasets: {
      readsLocalFiles: network.readsLocalFiles,
      store: network.storage.store,
      uploadsLocation: network.jobsReachStorage ? network.storage.uploadsLocation : undefined,
      diagnosticsLocation: network.storage.diagnosticsLocation,
    },
    ...definedProperties({
      signedStorage: network.storage.signedObjects,
      pollIntervalMs: options.pollIntervalMs,
      allowedHosts: options.allowedHosts,
      token: options.token,
      dashboard: options.dashboard === true ? dashboardFolder() : undefined,
    }),
  });
}

/** The dashboard's static files, shipped in the package beside `dist/`. */
export function dashboardFolder(): string {
  return path.join(packageRoot(), "dashboard");
}
