import type { GoogleAuth } from "google-auth-library";
import { describe, expect, it } from "vitest";
import { googleIdentityToken } from "../../../runtime/children/google-identity-token.js";
import { IdentityTokenUnavailable } from "../../../shared/errors/index.js";
import { rejectionOf } from "../../support/error-of.js";

const AUDIENCE = "https://europe-west1-p.cloudfunctions.net/main-twined-question-intake";

/** Application Default Credentials whose identity-token client answers with `headers`, counting the clients made. */
function credentials(headers: () => Promise<Headers>) {
  const made: string[] = [];
  const auth = {
    getIdTokenClient: async (audience: string) => {
      made.push(audience);
      return { getRequestHeaders: headers };
    },
  } as unknown as GoogleAuth;
  return { auth, made };
}

describe("googleIdentityToken", () => {
  it("gives the bearer token of an identity-token client for the audience, made once and reused", async () => {
    const { auth, made } = credentials(async () => new Headers({ authorization: "Bearer abc.def.ghi" }));
    const token = googleIdentityToken(AUDIENCE, auth);
    if (typeof token !== "function") throw new Error("expected a token source");
    expect(await token()).toBe("abc.def.ghi");
    expect(await token()).toBe("abc.def.ghi");
    expect(made).toEqual([AUDIENCE]);
  });

  it("says which audience it could not get a token for, and tries afresh next time", async () => {
    let calls = 0;
    const { auth, made } = credentials(async () => {
      calls += 1;
      if (calls === 1) throw new Error("Unsuccessful response status code. Request failed with status code 404");
      return new Headers({ authorization: "Bearer later" });
    });
    const token = googleIdentityToken(AUDIENCE, auth);
    if (typeof token !== "function") throw new Error("expected a token source");
    const error = await rejectionOf(token());
    expect(error).toBeInstanceOf(IdentityTokenUnavailable);
    expect(error).toMatchObject({ audience: AUDIENCE });
    expect((error as Error).message).toMatch(/cannot get a Google identity token for https:\/\/.*status code 404/);
    expect(await token()).toBe("later");
    expect(made).toEqual([AUDIENCE, AUDIENCE]);
  });
});
