import { questionsApi } from "../../shared/control-plane/http/apps.js";
import { publishEvent } from "../../shared/ports/index.js";
import { registerHttpFunction, registerSubscriptionFunction } from "../register-function.js";

// The questions API over HTTP, with the network's dead letters. Another instance may record the events, so live streams
// poll the store; jobs that reach the network over HTTP post their events, which go to the services topic like those a
// job publishes itself…
registerHttpFunction("question-intake", (network) =>
  questionsApi({
    intake: network.handlers.intake,
    questions: network.stores.questions,
    pollIntervalMs: 250,
    publishEvent: (envelope) => publishEvent(network.bus, network.topics.services, envelope),
    datasets: {
      readsLocalFiles: network.settings.readsLocalFiles,
      uploadsLocation: network.settings.storage.uploadsLocation,
      diagnosticsLocation: network.settings.storage.diagnosticsLocation,
      store: network.datasets,
    },
    deadLetters: network.handlers.deadLetters,
  }),
);

// …and Octue-format questions and cancellations published on the services topic.
registerSubscriptionFunction("question-intake-events");
