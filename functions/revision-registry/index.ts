import express from "express";
import { jsonErrors } from "../../shared/http/error-response.js";
import { registerHttpFunction } from "../function-network.js";
import { RevisionRegistry } from "./handler.js";
import { revisionRegistryRoutes } from "./http.js";

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
