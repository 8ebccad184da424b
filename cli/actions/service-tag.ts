import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { parse, TomlError } from "smol-toml";
import { displayPath } from "../../shared/display-path.js";
import {
  InvalidBranchName,
  InvalidCommitSha,
  InvalidPyprojectToml,
  VersionNotARevisionTag,
} from "../../shared/errors/index.js";
import { revisionTagProblem } from "../../shared/identity/index.js";
import { type CliOutput, describeError, EXIT } from "../output.js";

/** Where a declared package version was found, or why none could be used. */
export type DeclaredVersion =
  | { readonly kind: "found"; readonly version: string; readonly file: string; readonly line: number }
  | { readonly kind: "dynamic"; readonly file: string; readonly line: number; readonly reason: string }
  | { readonly kind: "none" };

const SHORT_COMMIT_LENGTH = 7;
const MAX_SLUG_LENGTH = 40;
const COMMIT = /^[0-9a-fA-F]{7,40}$/;

/**
 * A branch as it can appear in a revision tag: lowercased, each run of characters other than `[a-z0-9]` made one `-`,
 * no `-` at either end, at most 40 characters. Empty when nothing of the branch survives (e.g. `__` or `功能`).
 */
export function branchSlug(branch: string): string {
  return branch
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, MAX_SLUG_LENGTH)
    .replace(/-+$/, "");
}

export interface RevisionTagRequest {
  readonly branch: string;
  readonly commit: string;
  readonly defaultBranch: string;
  /** Consulted only on the default branch. */
  readonly version: DeclaredVersion;
}

/**
 * The revision tag of a build: on the default branch the package's version, if it declares one, else the short
 * commit; on any other branch `<branch slug>-<short commit>`, so that a branch's revisions never take a release's tag.
 * @throws InvalidBranchName, InvalidCommitSha, VersionNotARevisionTag
 */
export function revisionTagFor(request: RevisionTagRequest): string {
  if (request.branch.trim() === "") throw new InvalidBranchName(request.branch);
  if (!COMMIT.test(request.commit)) throw new InvalidCommitSha(request.commit);
  const shortCommit = request.commit.slice(0, SHORT_COMMIT_LENGTH).toLowerCase();
  if (request.branch === request.defaultBranch) {
    const declared = request.version;
    if (declared.kind !== "found") return shortCommit;
    const problem = revisionTagProblem(declared.version);
    if (problem !== undefined) {
      throw new VersionNotARevisionTag(declared.version, problem, { file: declared.file, line: declared.line });
    }
    return declared.version;
  }
  // A branch whose name has no letter or digit in it still gets a tag that says it came from a branch.
  return `${branchSlug(request.branch) || "branch"}-${shortCommit}`;
}

/**
 * The version a Python package in `dir` declares: `[project] version` or `[tool.poetry] version` in pyproject.toml,
 * else a literal `version=` in setup.py (read narrowly: no Python is run). A version worked out at build time
 * (`dynamic = ["version"]`, `version=read_version()`) is reported as dynamic rather than guessed.
 * @throws InvalidPyprojectToml
 */
export function declaredVersion(dir: string): DeclaredVersion {
  let dynamic: DeclaredVersion | undefined;
  const pyproject = path.join(dir, "pyproject.toml");
  if (existsSync(pyproject)) {
    const text = readFileSync(pyproject, "utf8");
    const document = parseToml(pyproject, text);
    const project = tableAt(document, ["project"]);
    const poetry = tableAt(document, ["tool", "poetry"]);
    for (const [table, name] of [
      [project, "project"],
      [poetry, "tool.poetry"],
    ] as const) {
      if (typeof table?.version === "string") {
        return { kind: "found", version: table.version, file: pyproject, line: keyLine(text, name, "version") };
      }
    }
    if (Array.isArray(project?.dynamic) && project.dynamic.includes("version")) {
      const line = keyLine(text, "project", "dynamic");
      dynamic = { kind: "dynamic", file: pyproject, line, reason: "[project] lists version as dynamic" };
    }
  }
  const setup = path.join(dir, "setup.py");
  if (existsSync(setup)) {
    const text = readFileSync(setup, "utf8");
    const literal = /\bversion\s*=\s*(["'])([^"'\r\n]+)\1/.exec(text);
    if (literal !== null) {
      return { kind: "found", version: literal[2] ?? "", file: setup, line: lineOf(text, literal.index) };
    }
    const computed = /\bversion\s*=/.exec(text);
    if (computed !== null && dynamic === undefined) {
      dynamic = {
        kind: "dynamic",
        file: setup,
        line: lineOf(text, computed.index),
        reason: "version= is not a string literal",
      };
    }
  }
  return dynamic ?? { kind: "none" };
}

function parseToml(file: string, text: string): Record<string, unknown> {
  try {
    return parse(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError)
      throw new InvalidPyprojectToml(file, error.message.split("\n")[0] ?? "", error.line);
    throw error;
  }
}

function tableAt(document: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> | undefined {
  let current: unknown = document;
  for (const key of keys) {
    if (typeof current !== "object" || current === null || Array.isArray(current)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return typeof current === "object" && current !== null && !Array.isArray(current)
    ? (current as Record<string, unknown>)
    : undefined;
}

/** The line where `key` is set in `[table]`, for messages (the parser gives values, not positions); else 1. */
function keyLine(text: string, table: string, key: string): number {
  const lines = text.split(/\r?\n/);
  let inside = false;
  for (const [index, line] of lines.entries()) {
    const header = /^\s*\[\s*([^\]]+?)\s*\]\s*(?:#.*)?$/.exec(line);
    if (header !== null) inside = header[1]?.replace(/\s+/g, "") === table;
    else if (inside && new RegExp(`^\\s*${key}\\s*=`).test(line)) return index + 1;
  }
  return 1;
}

function lineOf(text: string, index: number): number {
  return text.slice(0, index).split("\n").length;
}

export interface ServiceTagOptions {
  branch: string;
  commit: string;
  defaultBranch: string;
}

/** `twined service tag`: prints the revision tag a build of the service in `dir` registers. */
export function printServiceTag(dir: string | undefined, options: ServiceTagOptions, output: CliOutput): number {
  const folder = path.resolve(dir ?? ".");
  if (!existsSync(folder) || !statSync(folder).isDirectory()) {
    output.stderr.write(`error: ${displayPath(folder)} is not a folder\n`);
    return EXIT.usage;
  }
  try {
    const onDefault = options.branch === options.defaultBranch;
    const version = onDefault ? declaredVersion(folder) : ({ kind: "none" } as const);
    if (version.kind === "dynamic") {
      output.stderr.write(
        `note: ${displayPath(version.file)}:${version.line}: the version is dynamic (${version.reason}), so it cannot be read before the build; the tag is the commit instead\n`,
      );
    }
    output.stdout.write(`${revisionTagFor({ ...options, version })}\n`);
    return EXIT.ok;
  } catch (error) {
    output.stderr.write(`${describeError(error)}\n`);
    return EXIT.usage;
  }
}
