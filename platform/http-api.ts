import express, { type Express } from "express";
import { jsonErrors } from "../shared/control-plane/http/json-errors.js";
import { eventRoutes, questionRoutes } from "../shared/control-plane/question-intake/http-routes.js";
import { RevisionRegistry } from "../shared/control-plane/revision-registry/handler.js";
import { revisionRegistryRoutes } from "../shared/control-plane/revision-registry/http-routes.js";
import { TWINED_VERSION } from "../shared/version.js";
import type { EmbeddedNetwork } from "./embedded-network.js";

/** The HTTP API of an embedded network: `/questions`, `/registry` and `/healthz`, JSON errors throughout. */
export function createHttpApi(network: EmbeddedNetwork, options: { pollIntervalMs?: number } = {}): Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(express.json({ limit: "10mb" }));
  app.get("/healthz", (_request, response) => {
    response.json({ status: "ok", version: TWINED_VERSION });
  });
  app.use(
    "/questions",
    questionRoutes(network.intake, network.questions, {
      ...options,
      changes: network.changes,
      publishEvent: (envelope) => network.events.emit(envelope),
    }),
  );
  app.use("/events", eventRoutes(network.questions));
  app.use("/registry", revisionRegistryRoutes(new RevisionRegistry(network.revisions)));
  app.use((request, response) => {
    response.status(404).json({
      error: { type: "NotFound", message: `no route for ${request.method} ${request.path}`, details: {} },
    });
  });
  app.use(jsonErrors());
  return app;
}
