import express from "express";
import { jsonErrors } from "../../shared/http/error-response.js";
import { registerHttpFunction } from "../function-network.js";
import { RevisionRegistry } from "./handler.js";
import { revisionRegistryRoutes } from "./http.js";

registerHttpFunction("revision-registry", (network) => {
  const app = express();
  app.disable("x-powered-by");
  app.use(express.json({ limit: "10mb" }));
  app.use("/", revisionRegistryRoutes(new RevisionRegistry(network.stores.revisions)));
  app.use(jsonErrors());
  return app;
});
