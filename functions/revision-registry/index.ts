import express from "express";
import { jsonErrors } from "../../shared/control-plane/http/json-errors.js";
import { RevisionRegistry } from "../../shared/control-plane/revision-registry/handler.js";
import { revisionRegistryRoutes } from "../../shared/control-plane/revision-registry/http-routes.js";
import { registerHttpFunction } from "../register-function.js";

registerHttpFunction("revision-registry", (network) => {
  const app = express();
  app.disable("x-powered-by");
  app.use(express.json({ limit: "10mb" }));
  const routes = revisionRegistryRoutes(new RevisionRegistry(network.stores.revisions));
  // Octue's registry contract is at the root; `/registry/…` is where Twined's client looks (`twined revision register
  // --network <this function's URL>`), as on a network behind one address.
  app.use("/registry", routes);
  app.use("/", routes);
  app.use(jsonErrors());
  return app;
});
