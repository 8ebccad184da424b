import { displayPath } from "../display-path.js";
import { definedProperties } from "../objects/index.js";
import { TwinedError } from "./base.js";

/** Our own Cloud Build template lacks a substitution that `service init` fills in: a packaging mistake. */
export class DeploymentTemplateBroken extends TwinedError {
  constructor(
    readonly template: string,
    readonly substitution: string,
  ) {
    super(`${template} has no single '  ${substitution}:' line to fill in; reinstall Twined`, {
      location: { file: template },
    });
  }
}

/** Options of `twined dev` that do not go together. */
export class InvalidDevOptions extends TwinedError {}

/** A container image reference that a cluster could not pull: `[host[:port]/]path[:tag][@algorithm:digest]`. */
export class InvalidImageReference extends TwinedError {
  constructor(
    readonly image: string,
    reason: string,
  ) {
    super(
      `'${image}' is not a container image reference: ${reason}; expected [host[:port]/]path[:tag][@sha256:digest]`,
    );
  }
}

/** A commit given to `service tag` that is not a (possibly abbreviated) Git object name. */
export class InvalidCommitSha extends TwinedError {
  constructor(readonly commit: string) {
    super(
      `--commit: ${JSON.stringify(commit)} is not a commit SHA; expected 7 to 40 hexadecimal characters (Cloud Build's $COMMIT_SHA)`,
    );
  }
}

/** A branch given to `service tag` that names no branch. */
export class InvalidBranchName extends TwinedError {
  constructor(readonly branch: string) {
    super(
      `--branch: ${JSON.stringify(branch)} is not a branch name; give the branch that was pushed (Cloud Build's $BRANCH_NAME, which is empty for a build not started by a trigger: pass BRANCH_NAME in --substitutions)`,
    );
  }
}

/** A package version that cannot be a revision tag (a PEP 440 local version such as `1.0+abc`, say). */
export class VersionNotARevisionTag extends TwinedError {
  constructor(
    readonly version: string,
    reason: string,
    location: { file: string; line: number },
  ) {
    super(
      `the package version '${version}' cannot be a revision tag: ${reason}; change the version, or deploy from a branch other than the default`,
      { location },
    );
  }
}

/** A pyproject.toml that is not valid TOML: its version cannot be read. */
export class InvalidPyprojectToml extends TwinedError {
  constructor(file: string, reason: string, line: number | undefined) {
    super(`${displayPath(file)} is not valid TOML: ${reason}`, {
      location: { file, ...definedProperties({ line }) },
    });
  }
}

/** Options of `twined question ask-local` that do not go together. */
export class InvalidAskLocalOptions extends TwinedError {}

/** A folder given to `ask-local --from-diagnostics` that holds no question's crash diagnostics. */
export class DiagnosticsNotFound extends TwinedError {
  constructor(
    readonly directory: string,
    reason: string,
  ) {
    super(
      `${reason}; give the folder of one question's crash diagnostics, which holds diagnostics.json: 'twined question diagnostics UUID -o DIR' downloads them to DIR/<question UUID>, and either folder will do`,
      { location: { file: directory } },
    );
  }
}

/** A file of a question's crash diagnostics that is not what Twined saves there. */
export class InvalidDiagnostics extends TwinedError {
  constructor(
    readonly file: string,
    reason: string,
    pointer = "",
  ) {
    super(reason, { location: { file }, pointer });
  }
}
