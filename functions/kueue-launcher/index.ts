import { registerSubscriptionFunction } from "../register-function.js";

// Validated questions and cancellations both: the jobs a launcher started are the ones it can cancel.
registerSubscriptionFunction("kueue-launcher");
