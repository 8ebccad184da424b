export { PubSubEventBus, type PubSubEventBusOptions } from "./pubsub-event-bus.js";
