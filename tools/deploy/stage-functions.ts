import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { FUNCTION_ENVIRONMENT, readGoogleCloudSettings } from "../../platform/google-cloud-network.js";
import { FunctionsNotBuilt, InvalidDeploymentSetting } from "../../shared/errors/index.js";

/** Settings that come from Secret Manager at run time (`--set-secrets`), never from the build's environment. */
export const FUNCTION_SECRETS = ["TWINED_PUSH_SECRET"] as const;

type Env = Readonly<Record<string, string | undefined>>;

export interface StageOptions {
  /** The Twined checkout, with `dist/` built. */
  readonly root: string;
  /** Where the source that `gcloud functions deploy --source` uploads is written (emptied first). */
  readonly out: string;
  /** Where the `--env-vars-file` is written. */
  readonly environmentFile: string;
  /** The deployment's settings, as the build step's environment gives them. */
  readonly env: Env;
}

export interface StagedFunctions {
  /** The variables every function is deployed with (the secrets excepted). */
  readonly environment: Readonly<Record<string, string>>;
}

/**
 * The functions' runtime environment from the build's: every setting a function reads that the build names, checked
 * as the functions will check it, so that a malformed setting fails the build instead of every request.
 * @throws InvalidDeploymentSetting
 */
export function functionEnvironment(env: Env): Record<string, string> {
  for (const secret of FUNCTION_SECRETS) {
    if (env[secret] !== undefined) {
      throw new InvalidDeploymentSetting(
        secret,
        "is a secret: the functions read it from Secret Manager (--set-secrets); remove it from the build's environment",
      );
    }
  }
  const secretNames: readonly string[] = FUNCTION_SECRETS;
  const environment: Record<string, string> = {};
  for (const name of FUNCTION_ENVIRONMENT) {
    const value = env[name];
    if (value !== undefined && value !== "" && !secretNames.includes(name)) environment[name] = value;
  }
  // A stand-in for the secret, which the build never sees, so that the rest is checked exactly as a function would.
  readGoogleCloudSettings({ ...environment, TWINED_PUSH_SECRET: "x".repeat(32) });
  return environment;
}

/**
 * Writes the source of the network's functions: the compiled code and the package's manifest and lock, with
 * `dist/functions/index.js` (where every function registers itself) as the main module and no build scripts, so that
 * the deploy's buildpack only installs the production dependencies the lock pins.
 * @throws FunctionsNotBuilt, InvalidDeploymentSetting
 */
export function stageFunctions(options: StageOptions): StagedFunctions {
  const environment = functionEnvironment(options.env);
  const entry = path.join(options.root, "dist", "functions", "index.js");
  if (!existsSync(entry)) throw new FunctionsNotBuilt(entry);

  rmSync(options.out, { recursive: true, force: true });
  mkdirSync(options.out, { recursive: true });
  cpSync(path.join(options.root, "dist"), path.join(options.out, "dist"), {
    recursive: true,
    filter: (source) => !source.endsWith(".map"),
  });
  const manifest = JSON.parse(readFileSync(path.join(options.root, "package.json"), "utf8")) as Record<string, unknown>;
  const { scripts: _scripts, bin: _bin, exports: _exports, files: _files, types: _types, ...kept } = manifest;
  writeFileSync(
    path.join(options.out, "package.json"),
    `${JSON.stringify({ ...kept, main: "dist/functions/index.js" }, null, 2)}\n`,
  );
  cpSync(path.join(options.root, "package-lock.json"), path.join(options.out, "package-lock.json"));

  mkdirSync(path.dirname(options.environmentFile), { recursive: true });
  writeFileSync(options.environmentFile, stringify(environment));
  return { environment };
}
