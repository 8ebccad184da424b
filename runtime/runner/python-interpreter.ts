import { execFile } from "node:child_process";
import path from "node:path";

/** What a `python` command ran as, per command, working directory and the environment that picks a version. */
const resolved = new Map<string, Promise<string>>();
/** The same, once known. */
const known = new Map<string, string>();

/** What a shim reads to choose: the working directory's version files, and these variables. */
function keyOf(command: string, cwd: string, env: NodeJS.ProcessEnv): string {
  return JSON.stringify([command, cwd, env.PATH, env.PYENV_VERSION, env.ASDF_PYTHON_VERSION, env.VIRTUAL_ENV]);
}

/** The interpreter `resolvePython` found for these, if it has already answered; never starts a process. */
export function resolvedPython(command: string, cwd: string, env: NodeJS.ProcessEnv): string | undefined {
  return known.get(keyOf(command, cwd, env));
}

/**
 * The interpreter a `python3`-like command really runs in `cwd`: its `sys.executable`. Version managers (pyenv,
 * asdf) put shell-script shims on PATH that take hundreds of milliseconds to choose an interpreter on every start;
 * asking once and starting the interpreter itself makes each question's start as quick as the bare interpreter's.
 * A virtual environment's interpreter is kept as it is (its path is what activates it). Falls back to the command
 * itself when it cannot answer (it is then run as given, and its own error reported).
 */
export function resolvePython(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const key = keyOf(command, cwd, env);
  let interpreter = resolved.get(key);
  if (interpreter === undefined) {
    interpreter = new Promise((resolve) => {
      execFile(
        command,
        ["-c", "import sys; print(sys.executable)"],
        { cwd, env, timeout: 30_000, encoding: "utf8" },
        (error, stdout) => {
          const executable = stdout.trim();
          const found = error === null && path.isAbsolute(executable) ? executable : command;
          known.set(key, found);
          resolve(found);
        },
      );
    });
    resolved.set(key, interpreter);
  }
  return interpreter;
}
