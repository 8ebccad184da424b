export * from "./check-service.js";
