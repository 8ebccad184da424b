import { TwinedError } from "./base.js";

/** A deployment setting (an environment variable) that is missing or malformed. */
export class InvalidDeploymentSetting extends TwinedError {
  constructor(
    readonly setting: string,
    message: string,
  ) {
    super(`${setting}: ${message}`);
  }
}

/** The functions' code has not been compiled: there is nothing to stage. */
export class FunctionsNotBuilt extends TwinedError {
  constructor(readonly entry: string) {
    super(`${entry} does not exist: run 'npm run build' before staging the functions`);
  }
}

/** An expression outside the subset the checks read, or one that cannot be evaluated. */
export class UnsupportedExpression extends TwinedError {
  constructor(
    readonly expression: string,
    reason: string,
  ) {
    super(`cannot evaluate \`${expression}\`: ${reason}`);
  }
}

/** The linter's own fault: the descriptor is missing or not shaped as expected. */
export class CloudBuildSchemaError extends TwinedError {}

/** A stack whose files cannot be parsed, or that lacks what a check looks for. */
export class TerraformStackProblem extends TwinedError {
  constructor(
    readonly place: string,
    message: string,
  ) {
    super(`${place}: ${message}`);
  }
}
