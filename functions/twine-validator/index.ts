import { registerSubscriptionFunction } from "../register-function.js";

registerSubscriptionFunction("twine-validator");
