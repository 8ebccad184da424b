import { afterEach, describe, expect, it } from "vitest";
import { EnvironmentSecretSource } from "../../../../shared/adapters/embedded/environment-secrets/index.js";

describe("EnvironmentSecretSource", () => {
  afterEach(() => {
    delete process.env.TWINED_TEST_SECRET;
  });

  it("reads a variable of the environment it is given", async () => {
    const secrets = new EnvironmentSecretSource({ MY_API_KEY: "key", OTHER: "other" });
    expect(await secrets.read("MY_API_KEY")).toBe("key");
    expect(await secrets.read("OTHER")).toBe("other");
  });

  it("has no secret for a variable that is unset or empty", async () => {
    const secrets = new EnvironmentSecretSource({ EMPTY: "", UNSET: undefined });
    expect(await secrets.read("EMPTY")).toBeUndefined();
    expect(await secrets.read("UNSET")).toBeUndefined();
    expect(await secrets.read("ABSENT")).toBeUndefined();
  });

  it("reads that environment and nothing else: not process.env, not an object's prototype", async () => {
    process.env.TWINED_TEST_SECRET = "from the process";
    const secrets = new EnvironmentSecretSource({});
    expect(await secrets.read("TWINED_TEST_SECRET")).toBeUndefined();
    expect(await secrets.read("constructor")).toBeUndefined();
    expect(await secrets.read("toString")).toBeUndefined();
  });

  it("sees later changes to the environment it was given, such as process.env", async () => {
    const secrets = new EnvironmentSecretSource(process.env);
    expect(await secrets.read("TWINED_TEST_SECRET")).toBeUndefined();
    process.env.TWINED_TEST_SECRET = "set later";
    expect(await secrets.read("TWINED_TEST_SECRET")).toBe("set later");
  });
});
