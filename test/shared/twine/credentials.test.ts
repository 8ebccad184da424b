import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { CredentialNotFound } from "../../../shared/errors/index.js";
import { DEFAULT_DOTENV_PATH, loadTwine } from "../../../shared/twine/index.js";

const twine = loadTwine(
  { credentials: [{ name: "SECRET_THE_FIRST", purpose: "p" }, { name: "SECRET_THE_SECOND" }] },
  { onWarning: () => {} },
);

let dir = "";
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "credentials-"));
  mkdirSync(path.join(dir, "twined"));
  writeFileSync(path.join(dir, "twined", ".env"), "export SECRET_THE_FIRST=from-file\nSECRET_THE_SECOND='second'\n");
  writeFileSync(path.join(dir, "other.env"), "SECRET_THE_SECOND=other\n");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => {
  delete process.env.SECRET_THE_FIRST;
  delete process.env.SECRET_THE_SECOND;
});

describe("checkCredentials", () => {
  it("reads twined/.env under the working directory by default, including export lines", () => {
    expect(DEFAULT_DOTENV_PATH).toBe(path.join("twined", ".env"));
    const checked = twine.checkCredentials({}, { cwd: dir });
    expect(checked.values).toStrictEqual({ SECRET_THE_FIRST: "from-file", SECRET_THE_SECOND: "second" });
  });

  it("never lets the .env file replace a variable that is already set", () => {
    const checked = twine.checkCredentials({ SECRET_THE_FIRST: "from-env", UNRELATED: "u" }, { cwd: dir });
    expect(checked.values.SECRET_THE_FIRST).toBe("from-env");
    expect(checked.environment).toMatchObject({
      SECRET_THE_FIRST: "from-env",
      SECRET_THE_SECOND: "second",
      UNRELATED: "u",
    });
  });

  it("counts an empty string as set", () => {
    const checked = twine.checkCredentials(
      { SECRET_THE_FIRST: "", SECRET_THE_SECOND: "" },
      { dotenvPath: "absent.env", cwd: dir },
    );
    expect(checked.values).toStrictEqual({ SECRET_THE_FIRST: "", SECRET_THE_SECOND: "" });
  });

  it("honours dotenvPath and reports the first missing credential in twine order", () => {
    try {
      twine.checkCredentials({}, { cwd: dir, dotenvPath: "other.env" });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(CredentialNotFound);
      expect((error as CredentialNotFound).message).toBe(
        "Credential 'SECRET_THE_FIRST' missing from environment or .env file.",
      );
      expect((error as CredentialNotFound).strand).toBe("credentials");
    }
  });

  it("does not touch process.env unless asked to", () => {
    twine.checkCredentials({}, { cwd: dir });
    expect(process.env.SECRET_THE_FIRST).toBeUndefined();
    process.env.SECRET_THE_SECOND = "already";
    twine.checkCredentials({}, { cwd: dir, applyToProcessEnv: true });
    expect(process.env.SECRET_THE_FIRST).toBe("from-file");
    expect(process.env.SECRET_THE_SECOND).toBe("already");
  });

  it("checks nothing (and reads no file) for a twine without credentials", () => {
    const none = loadTwine({}, { onWarning: () => {} });
    expect(none.checkCredentials({ A: "1" }, { dotenvPath: dir /* a folder: reading it would fail */ })).toStrictEqual({
      values: {},
      environment: { A: "1" },
    });
  });
});
