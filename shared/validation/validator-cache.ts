/**
 * Compiled validators of user schemas (a twine's strands), kept on disk as ajv standalone code named by the hash of
 * what they were compiled from, so the next start of `twined` that meets the same twine loads instead of compiling.
 *
 * The folder is `TWINED_CACHE_DIR` (`off` turns the cache off), else `$XDG_CACHE_HOME/twined`, else
 * `~/.cache/twined`, with `validators/` inside. Loading a file there runs it, so a folder anyone but this user could
 * write to is never read; a folder that cannot be written (a read-only home in a container) only means no cache.
 */
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import path from "node:path";
import type { ValidateFunction } from "ajv";
import { ajvLocation, withAbsoluteRequires } from "./standalone-code.js";

const requireHere = createRequire(import.meta.url);

export interface ValidatorCache {
  /** The validator stored under `key`, or undefined when there is none (or it cannot be loaded). */
  load(key: string): ValidateFunction | undefined;
  /** Stores a standalone CommonJS module whose default export is the validator; failures are ignored. */
  store(key: string, moduleCode: string): void;
}

/** The key of a schema compiled with these settings: everything the generated code depends on. */
export function validatorCacheKey(parts: Readonly<Record<string, unknown>>): string {
  const ajvVersion = (requireHere("ajv/package.json") as { version: string }).version;
  return createHash("sha256")
    .update(JSON.stringify({ ajvVersion, ajv: ajvLocation(), ...parts }))
    .digest("hex");
}

/** The cache this process uses, or undefined when it is off. */
export function validatorCache(env: NodeJS.ProcessEnv = process.env): ValidatorCache | undefined {
  const configured = env.TWINED_CACHE_DIR;
  if (configured === "off") return undefined;
  const root =
    configured !== undefined && configured !== ""
      ? configured
      : path.join(env.XDG_CACHE_HOME || path.join(homedir(), ".cache"), "twined");
  return new FolderValidatorCache(path.join(root, "validators"));
}

class FolderValidatorCache implements ValidatorCache {
  private usable: boolean | undefined;

  constructor(private readonly folder: string) {}

  load(key: string): ValidateFunction | undefined {
    if (!this.folderIsPrivate()) return undefined;
    try {
      const module = requireHere(this.fileOf(key)) as { default?: unknown };
      return typeof module.default === "function" ? (module.default as ValidateFunction) : undefined;
    } catch {
      // Absent, or written by a broken run: compiled again and rewritten.
      return undefined;
    }
  }

  store(key: string, moduleCode: string): void {
    try {
      mkdirSync(this.folder, { recursive: true, mode: 0o700 });
      if (!this.folderIsPrivate(true)) return;
      const file = this.fileOf(key);
      const temporary = `${file}.${process.pid}.tmp`;
      writeFileSync(temporary, withAbsoluteRequires(moduleCode), { mode: 0o600 });
      renameSync(temporary, file);
    } catch {
      // A cache that cannot be written costs only speed.
    }
  }

  private fileOf(key: string): string {
    return path.join(this.folder, `${key}.cjs`);
  }

  /** Owned by this user, and then made writable by nobody else (a umask may have left it group-writable). */
  private folderIsPrivate(recheck = false): boolean {
    if (this.usable !== undefined && !recheck) return this.usable;
    try {
      const stats = statSync(this.folder);
      this.usable = stats.isDirectory() && stats.uid === process.getuid?.();
      if (this.usable && (stats.mode & 0o022) !== 0) chmodSync(this.folder, 0o700);
    } catch {
      this.usable = false;
    }
    return this.usable;
  }
}
