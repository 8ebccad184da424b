import { registerSubscriptionFunction } from "../register-function.js";

registerSubscriptionFunction("answer-forwarder");
