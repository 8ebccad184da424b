/**
 * Every Cloud Function of a Twined network, registered with the Functions Framework. Deploy this module (the
 * package's functions entry) and pick one with `--entry-point`: question-intake, question-intake-events,
 * twine-validator, kueue-launcher, answer-forwarder, revision-registry, question-reconciler.
 */
import "./question-intake/index.js";
import "./twine-validator/index.js";
import "./kueue-launcher/index.js";
import "./answer-forwarder/index.js";
import "./revision-registry/index.js";
import "./question-reconciler/index.js";
