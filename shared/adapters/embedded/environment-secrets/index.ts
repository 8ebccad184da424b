export { EnvironmentSecretSource } from "./environment-secret-source.js";
