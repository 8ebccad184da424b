import { describe, expect, it } from "vitest";
import { InvalidDeploymentSetting, readGoogleCloudSettings } from "../../../shared/platform/google-cloud-network.js";

const valid = { GOOGLE_CLOUD_PROJECT: "my-project", TWINED_PUSH_SECRET: "0123456789abcdef" };

describe("readGoogleCloudSettings", () => {
  it("reads a function's settings, with defaults for what is optional", () => {
    expect(readGoogleCloudSettings(valid)).toEqual({
      projectId: "my-project",
      environment: "main",
      pushSecret: "0123456789abcdef",
      firestoreDatabase: undefined,
      collectionPrefix: undefined,
      launcher: "none",
      networkUrl: undefined,
      localCpus: undefined,
    });
    expect(
      readGoogleCloudSettings({
        ...valid,
        TWINED_ENVIRONMENT: "staging",
        TWINED_LAUNCHER: "local",
        TWINED_LOCAL_CPUS: "4",
      }),
    ).toMatchObject({ environment: "staging", launcher: "local", localCpus: 4 });
  });

  it.each([
    ["GOOGLE_CLOUD_PROJECT", { TWINED_PUSH_SECRET: "0123456789abcdef" }, /not set/],
    ["TWINED_PUSH_SECRET", { GOOGLE_CLOUD_PROJECT: "p", TWINED_PUSH_SECRET: "short" }, /at least 16 characters/],
    ["TWINED_LAUNCHER", { ...valid, TWINED_LAUNCHER: "kubernetes" }, /'kubernetes' is not a launcher/],
    ["TWINED_LOCAL_CPUS", { ...valid, TWINED_LOCAL_CPUS: "0" }, /not a whole number/],
    ["TWINED_ENVIRONMENT", { ...valid, TWINED_ENVIRONMENT: "Main-1" }, /one lowercase word/],
  ])("refuses a bad %s, naming it", (setting, env, message) => {
    let error: unknown;
    try {
      readGoogleCloudSettings(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidDeploymentSetting);
    expect(error).toMatchObject({ setting });
    expect((error as Error).message).toMatch(new RegExp(`^${setting}: `));
    expect((error as Error).message).toMatch(message);
  });
});
