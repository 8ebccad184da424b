import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { branchSlug, declaredVersion, revisionTagFor } from "../../cli/actions/service-tag.js";
import { InvalidBranchName, InvalidCommitSha, VersionNotARevisionTag } from "../../shared/errors/index.js";
import { revisionTagProblem } from "../../shared/identity/index.js";
import { errorOf } from "../support/error-of.js";
import { runTwined } from "./run-cli.js";

const COMMIT = "1a2b3c4d5e6f708192a3b4c5d6e7f80912a3b4c5";

/** A folder holding the given files. */
function folderWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "twined-service-tag-"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

async function tag(dir: string, ...args: string[]) {
  return runTwined(["service", "tag", dir, ...args]);
}

describe("twined service tag", () => {
  it("uses [project] version from pyproject.toml on the default branch", async () => {
    const dir = folderWith({
      "pyproject.toml": [
        "[build-system]",
        'requires = ["setuptools"]',
        'version = "9.9.9"  # not the package: a key of another table',
        "",
        "[project]",
        'name = "elevation"',
        'version = "1.4.0"  # bumped by hand',
        "dependencies = [",
        '  "numpy>=2",',
        "]",
        "",
      ].join("\n"),
    });
    expect(await tag(dir, "--branch", "main", "--commit", COMMIT)).toEqual({ code: 0, stdout: "1.4.0\n", stderr: "" });
  });

  it("uses [tool.poetry] version, in a literal string", async () => {
    const dir = folderWith({
      "pyproject.toml": "[tool.poetry]\nname = 'elevation'\nversion = '0.7.1rc2'\n\n[tool.poetry.dependencies]\n",
    });
    expect((await tag(dir, "--branch", "main", "--commit", COMMIT)).stdout).toBe("0.7.1rc2\n");
  });

  it("uses a literal version= in setup.py when pyproject.toml declares none", async () => {
    const dir = folderWith({
      "pyproject.toml": '[build-system]\nrequires = ["setuptools"]\n',
      "setup.py": 'from setuptools import setup\n\nsetup(\n    name="elevation",\n    version="2.0.3",\n)\n',
    });
    expect((await tag(dir, "--branch", "main", "--commit", COMMIT)).stdout).toBe("2.0.3\n");
  });

  it("follows --default-branch", async () => {
    const dir = folderWith({ "setup.py": "setup(version='3.1.0')\n" });
    const onMaster = await tag(dir, "--branch", "master", "--commit", COMMIT, "--default-branch", "master");
    expect(onMaster.stdout).toBe("3.1.0\n");
    const onMain = await tag(dir, "--branch", "main", "--commit", COMMIT, "--default-branch", "master");
    expect(onMain.stdout).toBe("main-1a2b3c4\n");
  });

  it("uses the commit's first 7 characters on the default branch when no version is declared", async () => {
    const dir = folderWith({ "requirements.txt": "numpy\n" });
    expect(await tag(dir, "--branch", "main", "--commit", COMMIT)).toEqual({
      code: 0,
      stdout: "1a2b3c4\n",
      stderr: "",
    });
    expect((await tag(dir, "--branch", "main", "--commit", "ABCDEF0")).stdout).toBe("abcdef0\n");
  });

  it("says so when the version is dynamic, and uses the commit", async () => {
    const dir = folderWith({
      "pyproject.toml": '[project]\nname = "elevation"\ndynamic = [\n  "readme",\n  "version",\n]\n',
    });
    const result = await tag(dir, "--branch", "main", "--commit", COMMIT);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("1a2b3c4\n");
    expect(result.stderr).toMatch(/^note: .*pyproject\.toml:3: the version is dynamic \(\[project\] lists version/m);
  });

  it("treats a computed version= in setup.py as dynamic", () => {
    const dir = folderWith({ "setup.py": "setup(\n    name='x',\n    version=read_version(),\n)\n" });
    expect(declaredVersion(dir)).toEqual({
      kind: "dynamic",
      file: path.join(dir, "setup.py"),
      line: 3,
      reason: "version= is not a string literal",
    });
  });

  it("tags a branch build <branch slug>-<short commit>, whatever version is declared", async () => {
    const dir = folderWith({ "pyproject.toml": '[project]\nversion = "1.4.0"\n' });
    expect((await tag(dir, "--branch", "feature/New_UI--v2", "--commit", COMMIT)).stdout).toBe(
      "feature-new-ui-v2-1a2b3c4\n",
    );
    const long = `Team/${"x".repeat(34)}-and-more`;
    expect((await tag(dir, "--branch", long, "--commit", COMMIT)).stdout).toBe(`team-${"x".repeat(34)}-1a2b3c4\n`);
  });

  it("refuses a commit that is not 7-40 hex characters (exit 2)", async () => {
    const dir = folderWith({});
    for (const commit of ["1a2b3c", "g123456", "1a2b3c4-", "a".repeat(41), ""]) {
      const result = await tag(dir, "--branch", "main", "--commit", commit);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe("");
      expect(result.stderr).toBe(
        `InvalidCommitSha: --commit: ${JSON.stringify(commit)} is not a commit SHA; expected 7 to 40 hexadecimal characters (Cloud Build's $COMMIT_SHA)\n`,
      );
    }
  });

  it("refuses an empty branch, as a build not started by a trigger has (exit 2)", async () => {
    const result = await tag(folderWith({}), "--branch", "", "--commit", COMMIT);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^InvalidBranchName: --branch: "" is not a branch name; .*pass BRANCH_NAME/);
  });

  it("refuses a declared version that is not a revision tag, saying where it is (exit 2)", async () => {
    const dir = folderWith({ "pyproject.toml": '[project]\nname = "x"\nversion = "1.0+local"\n' });
    const result = await tag(dir, "--branch", "main", "--commit", COMMIT);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /pyproject\.toml:3: VersionNotARevisionTag: the package version '1\.0\+local' cannot be a revision tag: .*contains the character "\+"/,
    );
  });

  it("refuses a pyproject.toml that is not TOML, saying where (exit 2)", async () => {
    const dir = folderWith({ "pyproject.toml": '[project]\nname = "x"\nversion = 1.0.0\n' });
    const result = await tag(dir, "--branch", "main", "--commit", COMMIT);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/pyproject\.toml:3: InvalidPyprojectToml: .*pyproject\.toml is not valid TOML: /);
  });

  it("needs --branch and --commit, and an existing folder", async () => {
    expect((await tag(folderWith({}), "--commit", COMMIT)).code).toBe(2);
    expect((await tag(folderWith({}), "--branch", "main")).code).toBe(2);
    const missing = await tag(path.join(tmpdir(), "twined-no-such-folder"), "--branch", "main", "--commit", COMMIT);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/is not a folder/);
  });

  it("explains the rule in its help", async () => {
    const help = await runTwined(["service", "tag", "--help"]);
    expect(help.stdout).toContain("feature/New_UI at 1a2b3c4d... gives");
    expect(help.stdout).toContain("feature-new-ui-1a2b3c4");
  });
});

describe("revision tags of builds", () => {
  it("are always valid revision tags, for any branch", () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 300, unit: "binary" }),
        fc.stringMatching(/^[0-9a-f]{7,40}$/),
        (branch, commit) => {
          fc.pre(branch.trim() !== "" && branch !== "main");
          const tag = revisionTagFor({ branch, commit, defaultBranch: "main", version: { kind: "none" } });
          expect(revisionTagProblem(tag)).toBeUndefined();
          expect(tag.endsWith(`-${commit.slice(0, 7)}`)).toBe(true);
          expect(tag.length).toBeLessThanOrEqual(48);
        },
      ),
    );
  });

  it("slug a branch as lowercase letters and digits joined by single hyphens, at most 40 characters", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (branch) => {
        const slug = branchSlug(branch);
        expect(slug).toMatch(/^(?:[a-z0-9]+(?:-[a-z0-9]+)*)?$/);
        expect(slug.length).toBeLessThanOrEqual(40);
      }),
    );
    expect(branchSlug("__")).toBe("");
    expect(revisionTagFor({ branch: "__", commit: COMMIT, defaultBranch: "main", version: { kind: "none" } })).toBe(
      "branch-1a2b3c4",
    );
  });

  it("throw errors that carry what was wrong", () => {
    const commit = errorOf(() =>
      revisionTagFor({ branch: "x", commit: "xyz", defaultBranch: "main", version: { kind: "none" } }),
    );
    expect(commit).toBeInstanceOf(InvalidCommitSha);
    expect((commit as InvalidCommitSha).commit).toBe("xyz");
    const branch = errorOf(() =>
      revisionTagFor({ branch: " ", commit: COMMIT, defaultBranch: "main", version: { kind: "none" } }),
    );
    expect(branch).toBeInstanceOf(InvalidBranchName);
    expect((branch as InvalidBranchName).branch).toBe(" ");
    const version = errorOf(() =>
      revisionTagFor({
        branch: "main",
        commit: COMMIT,
        defaultBranch: "main",
        version: { kind: "found", version: "-1", file: "setup.py", line: 4 },
      }),
    );
    expect(version).toBeInstanceOf(VersionNotARevisionTag);
    expect(version).toMatchObject({ version: "-1", location: { file: "setup.py", line: 4 } });
  });
});
