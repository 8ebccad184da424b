import { readFileSync } from "node:fs";
import path from "node:path";
import { parse as parseDotenv } from "dotenv";
import { CredentialNotFound } from "../errors/twine-errors.js";
import type { CredentialSpec } from "./twine-types.js";

/** Where Octue's SDK looks for a `.env` file, relative to the working directory. */
export const DEFAULT_DOTENV_PATH = path.join("twined", ".env");

export type Environment = Readonly<Record<string, string | undefined>>;

export interface CheckCredentialsOptions {
  /** The `.env` file to read missing credentials from; relative paths resolve from `cwd`. Default `twined/.env`. */
  readonly dotenvPath?: string;
  /** Default `process.cwd()`. */
  readonly cwd?: string;
  /**
   * Also copy the values read from the `.env` file into `process.env` (never replacing a variable already set there).
   * Off by default so that checking has no side effects.
   */
  readonly applyToProcessEnv?: boolean;
}

export interface CheckedCredentials {
  /** Each credential the twine names, with its value. */
  readonly values: Readonly<Record<string, string>>;
  /** The environment given, plus whatever the `.env` file added (variables already set win). */
  readonly environment: Environment;
}

/**
 * Makes sure every credential a twine names is set, looking in `env` and then in a `.env` file.
 *
 * Octue first fills missing credentials from Google Secret Manager. That needs network access and ADC, so it is the
 * runtime's job: it should fetch the secrets it can and pass them in `env` before calling this.
 *
 * @throws CredentialNotFound for the first credential (in twine order) that is still missing.
 */
export function checkCredentials(
  credentials: readonly CredentialSpec[] | undefined,
  env: Environment,
  options: CheckCredentialsOptions = {},
): CheckedCredentials {
  if (credentials === undefined) return { values: {}, environment: env };
  const dotenvPath = path.resolve(options.cwd ?? process.cwd(), options.dotenvPath ?? DEFAULT_DOTENV_PATH);
  const fromFile = readDotenv(dotenvPath);
  const environment: Record<string, string | undefined> = { ...env };
  for (const [name, value] of Object.entries(fromFile)) {
    if (environment[name] === undefined) environment[name] = value;
    if (options.applyToProcessEnv === true && process.env[name] === undefined) process.env[name] = value;
  }
  const values: Record<string, string> = {};
  for (const { name } of credentials) {
    const value = environment[name];
    if (value === undefined) throw new CredentialNotFound(name);
    values[name] = value;
  }
  return { values, environment };
}

function readDotenv(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    // Like python-dotenv, a missing file just means there is nothing to add.
    if (error instanceof Error && (error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
  return parseDotenv(text);
}
