import { reconcilerApi } from "../../shared/control-plane/http/apps.js";
import { registerHttpFunction } from "../register-function.js";

// Cloud Scheduler calls it (POST, every minute, with an OIDC token); each call is one pass over the active questions.
registerHttpFunction("question-reconciler", (network) => reconcilerApi(network.handlers.reconciler));
