import { registerSubscriptionFunction } from "../function-network.js";

registerSubscriptionFunction("answer-forwarder");
