import { revisionRegistryApi } from "../../shared/control-plane/http/apps.js";
import { RevisionRegistry } from "../../shared/control-plane/revision-registry/handler.js";
import { registerHttpFunction } from "../register-function.js";

registerHttpFunction("revision-registry", (network) =>
  revisionRegistryApi(new RevisionRegistry(network.stores.revisions)),
);
