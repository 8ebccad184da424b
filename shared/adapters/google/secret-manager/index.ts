export {
  type SecretManagerClientOptions,
  SecretManagerSource,
  type SecretManagerSourceOptions,
} from "./secret-manager-source.js";
