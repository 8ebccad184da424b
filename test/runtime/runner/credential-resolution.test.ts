import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { inspect } from "node:util";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { resolveCredentials } from "../../../runtime/runner/credential-resolution.js";
import { EnvironmentSecretSource } from "../../../shared/adapters/embedded/environment-secrets/index.js";
import { CredentialNotFound, SecretSourceFailed, SecretUnreadable, TwinedError } from "../../../shared/errors/index.js";
import type { SecretSource } from "../../../shared/ports/index.js";
import { loadTwine } from "../../../shared/twine/index.js";
import { rejectionOf } from "../../support/error-of.js";

const VALUE = "s3cr3t-value-91c2";

/** A source whose reads wait until the test releases them, recording which names were asked for. */
class ControlledSource implements SecretSource {
  readonly asked: string[] = [];
  private readonly pending: (() => void)[] = [];

  constructor(private readonly outcomes: Readonly<Record<string, string | Error>>) {}

  read(name: string): Promise<string | undefined> {
    this.asked.push(name);
    return new Promise((resolve, reject) => {
      this.pending.push(() => {
        const outcome = this.outcomes[name];
        if (outcome instanceof Error) reject(outcome);
        else resolve(outcome);
      });
    });
  }

  release(): void {
    for (const each of this.pending.splice(0)) each();
  }
}

/** A source that answers at once. */
function sourceOf(outcomes: Readonly<Record<string, string | Error>>): SecretSource {
  return {
    read: async (name) => {
      const outcome = outcomes[name];
      if (outcome instanceof Error) throw outcome;
      return outcome;
    },
  };
}

describe("resolveCredentials", () => {
  it("reads only the credentials the environment lacks, and returns them to add", async () => {
    const source = new ControlledSource({ A: "a from source", B: "b from source", C: "c from source" });
    const resolving = resolveCredentials(["A", "B", "C"], { A: "a from env", OTHER: "x" }, source);
    source.release();
    expect(await resolving).toStrictEqual({ B: "b from source", C: "c from source" });
    expect(source.asked).toEqual(["B", "C"]);
  });

  it("reads them in parallel: every read starts before any ends", async () => {
    const source = new ControlledSource({ A: "a", B: "b", C: "c" });
    const resolving = resolveCredentials(["A", "B", "C"], {}, source);
    await Promise.resolve();
    expect(source.asked).toEqual(["A", "B", "C"]);
    source.release();
    expect(await resolving).toStrictEqual({ A: "a", B: "b", C: "c" });
  });

  it("counts an empty variable as missing", async () => {
    const source = sourceOf({ A: "a from source" });
    expect(await resolveCredentials(["A"], { A: "" }, source)).toStrictEqual({ A: "a from source" });
  });

  it("adds nothing for a credential the source does not have, or has empty", async () => {
    const source = sourceOf({ A: "a", EMPTY: "" });
    expect(await resolveCredentials(["A", "NOWHERE", "EMPTY"], {}, source)).toStrictEqual({ A: "a" });
  });

  it("reads a credential the twine names twice once", async () => {
    const source = new ControlledSource({ A: "a" });
    const resolving = resolveCredentials(["A", "A"], {}, source);
    source.release();
    expect(await resolving).toStrictEqual({ A: "a" });
    expect(source.asked).toEqual(["A"]);
  });

  it("adds nothing without a source, or when nothing is missing", async () => {
    expect(await resolveCredentials(["A", "B"], {}, undefined)).toStrictEqual({});
    const source = new ControlledSource({});
    expect(await resolveCredentials(["A"], { A: "set" }, source)).toStrictEqual({});
    expect(await resolveCredentials([], {}, source)).toStrictEqual({});
    expect(source.asked).toEqual([]);
  });

  it("lets a source's failure through: a credential that cannot be read is not a missing one", async () => {
    const refused = new SecretUnreadable("B", "twined-test", "PERMISSION_DENIED", "denied");
    expect(await rejectionOf(resolveCredentials(["A", "B"], {}, sourceOf({ A: "a", B: refused })))).toBe(refused);

    const unavailable = new SecretSourceFailed("A", "twined-test", "UNAVAILABLE", "try later");
    expect(await rejectionOf(resolveCredentials(["A"], {}, sourceOf({ A: unavailable })))).toBe(unavailable);
  });

  it("reads from the environment source of a local network", async () => {
    const source = new EnvironmentSecretSource({ A: "a from the network's environment" });
    expect(await resolveCredentials(["A", "B"], { B: "b" }, source)).toStrictEqual({
      A: "a from the network's environment",
    });
  });
});

describe("resolveCredentials before the twine's credentials are checked", () => {
  const twine = loadTwine(
    { credentials: [{ name: "FOUND_IN_SOURCE", purpose: "p" }, { name: "FOUND_NOWHERE" }] },
    { onWarning: () => {} },
  );
  let cwd = "";
  beforeAll(() => {
    // A working directory without twined/.env.
    cwd = mkdtempSync(path.join(tmpdir(), "credential-resolution-"));
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it("lets checkCredentials raise CredentialNotFound for the one no source has", async () => {
    const env = { UNRELATED: "u" };
    const added = await resolveCredentials(
      ["FOUND_IN_SOURCE", "FOUND_NOWHERE"],
      env,
      sourceOf({ FOUND_IN_SOURCE: VALUE }),
    );
    expect(added).toStrictEqual({ FOUND_IN_SOURCE: VALUE });

    expect(() => twine.checkCredentials({ ...env, ...added }, { cwd })).toThrow(
      new CredentialNotFound("FOUND_NOWHERE").message,
    );
    const checked = twine.checkCredentials({ ...env, ...added, FOUND_NOWHERE: "n" }, { cwd });
    expect(checked.values).toStrictEqual({ FOUND_IN_SOURCE: VALUE, FOUND_NOWHERE: "n" });
  });
});

describe("credential resolution never shows a value", () => {
  const logged: string[] = [];
  beforeEach(() => {
    logged.length = 0;
    for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        logged.push(args.map((each) => inspect(each)).join(" "));
      });
    }
  });
  afterEach(() => vi.restoreAllMocks());

  it("in the errors it lets through, nor in any log line", async () => {
    const errors: unknown[] = [];
    const source = sourceOf({
      READABLE: VALUE,
      REFUSED: new SecretUnreadable("REFUSED", "twined-test", "PERMISSION_DENIED", "Permission denied"),
      FAILED: new SecretSourceFailed("FAILED", "twined-test", "UNAVAILABLE", "unavailable"),
    });
    expect(await resolveCredentials(["READABLE"], {}, source)).toStrictEqual({ READABLE: VALUE });
    for (const failing of ["REFUSED", "FAILED"]) {
      errors.push(await rejectionOf(resolveCredentials(["READABLE", failing], {}, source)));
    }
    errors.push(
      (() => {
        try {
          loadTwine(
            { credentials: [{ name: "READABLE" }, { name: "MISSING" }] },
            { onWarning: () => {} },
          ).checkCredentials({ READABLE: VALUE }, { dotenvPath: path.join(tmpdir(), "no-such-dir", ".env") });
        } catch (error) {
          return error;
        }
        return undefined;
      })(),
    );

    expect(errors.every((each) => each instanceof TwinedError)).toBe(true);
    expect(errors.map((each) => (each as Error).constructor)).toEqual([
      SecretUnreadable,
      SecretSourceFailed,
      CredentialNotFound,
    ]);
    const shown = [...errors.map((each) => inspect(each, { depth: 10 })), ...logged].join("\n");
    expect(shown).not.toContain(VALUE);
  });
});
