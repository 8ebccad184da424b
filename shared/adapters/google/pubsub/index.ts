export { PubSubEventBus, type PubSubEventBusOptions } from "./pubsub-event-bus.js";
export type { PubSubSubscriptionOptions } from "./subscription-request.js";
