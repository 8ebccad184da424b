/**
 * Every Cloud Function of a Twined network, registered with the Functions Framework. Deploy this module (the
 * staged package's main, `npm run functions:stage`) and pick one with `--entry-point`; `platform/function-catalog.ts` lists them with
 * who calls each.
 */
import "./question-intake/index.js";
import "./twine-validator/index.js";
import "./kueue-launcher/index.js";
import "./answer-forwarder/index.js";
import "./revision-registry/index.js";
import "./question-reconciler/index.js";
import "./dead-letter-keeper/index.js";
