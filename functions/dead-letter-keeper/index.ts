import { registerSubscriptionFunction } from "../register-function.js";

// Every message of the dead-letters topic, kept in Firestore until it is replayed (`twined dead-letters`).
registerSubscriptionFunction("dead-letter-keeper");
