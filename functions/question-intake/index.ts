import express from "express";
import { jsonErrors } from "../../shared/control-plane/http/json-errors.js";
import { eventRoutes, questionRoutes } from "../../shared/control-plane/question-intake/http-routes.js";
import { publishEvent } from "../../shared/ports/index.js";
import { TWINED_VERSION } from "../../shared/version.js";
import { registerHttpFunction, registerSubscriptionFunction } from "../register-function.js";

// The questions API over HTTP…
registerHttpFunction("question-intake", (network) => {
  const app = express();
  app.disable("x-powered-by");
  app.use(express.json({ limit: "10mb" }));
  app.get("/healthz", (_request, response) => {
    response.json({ status: "ok", version: TWINED_VERSION });
  });
  // Another instance may record the events: live streams poll the store. Jobs that reach the network over HTTP post
  // their events, which go to the services topic like those a job publishes itself.
  app.use(
    "/questions",
    questionRoutes(network.handlers.intake, network.stores.questions, {
      pollIntervalMs: 250,
      publishEvent: (envelope) => publishEvent(network.bus, network.topics.services, envelope),
    }),
  );
  app.use("/events", eventRoutes(network.stores.questions));
  app.use(jsonErrors());
  return app;
});

// …and Octue-format questions and cancellations published on the services topic.
registerSubscriptionFunction("question-intake-events");
