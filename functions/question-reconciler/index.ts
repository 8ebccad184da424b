import express from "express";
import { jsonErrors } from "../../shared/control-plane/http/json-errors.js";
import { registerHttpFunction } from "../register-function.js";

// Cloud Scheduler calls it (POST, every minute, with an OIDC token); each call is one pass over the active questions.
registerHttpFunction("question-reconciler", (network) => {
  const app = express();
  app.disable("x-powered-by");
  app.post("/", async (_request, response) => {
    const report = await network.handlers.reconciler.reconcile();
    response.json(report);
  });
  app.use(jsonErrors());
  return app;
});
