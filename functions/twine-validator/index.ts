import { registerSubscriptionFunction } from "../function-network.js";

registerSubscriptionFunction("twine-validator");
