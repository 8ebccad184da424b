import { describe, expect, it } from "vitest";
import { cloudJobEnvironment, readGoogleCloudSettings } from "../../platform/google-cloud-network.js";
import { InvalidDeploymentSetting } from "../../shared/errors/index.js";

const valid = { GOOGLE_CLOUD_PROJECT: "my-project", TWINED_PUSH_SECRET: "0123456789abcdef" };

describe("readGoogleCloudSettings", () => {
  it("reads a function's settings, with defaults for what is optional", () => {
    expect(readGoogleCloudSettings(valid)).toEqual({
      projectId: "my-project",
      environment: "main",
      pushSecret: "0123456789abcdef",
      pushEndpointAllowList: [],
      firestoreDatabase: undefined,
      collectionPrefix: undefined,
      launcher: { kind: "none" },
      networkUrl: undefined,
      reconciler: {},
      storage: {
        outputsLocation: undefined,
        uploadsLocation: undefined,
        diagnosticsLocation: undefined,
        signedUrlSeconds: undefined,
      },
      readsLocalFiles: false,
    });
    expect(
      readGoogleCloudSettings({
        ...valid,
        TWINED_ENVIRONMENT: "staging",
        TWINED_LAUNCHER: "local",
        TWINED_LOCAL_CPUS: "4",
      }),
    ).toMatchObject({ environment: "staging", launcher: { kind: "local", cpus: 4 } });
  });

  it("reads the push-endpoint allow-list: comma-separated hostnames, addresses and ranges", () => {
    expect(
      readGoogleCloudSettings({
        ...valid,
        TWINED_PUSH_ENDPOINT_ALLOW_LIST: " hooks.corp.example , 10.20.0.0/16,,fd12::/48,",
      }).pushEndpointAllowList,
    ).toEqual(["hooks.corp.example", "10.20.0.0/16", "fd12::/48"]);
    expect(() => readGoogleCloudSettings({ ...valid, TWINED_PUSH_ENDPOINT_ALLOW_LIST: "*.corp.example" })).toThrow(
      /^TWINED_PUSH_ENDPOINT_ALLOW_LIST: push-endpoint allow-list entry '\*\.corp\.example': wildcards are not supported/,
    );
  });

  it("reads the reconciler's limits", () => {
    expect(
      readGoogleCloudSettings({
        ...valid,
        TWINED_RECONCILER_HEARTBEAT_LIMIT_SECONDS: "900",
        TWINED_RECONCILER_STALL_GRACE_SECONDS: "30",
        TWINED_RECONCILER_LAUNCH_GRACE_SECONDS: "45.5",
      }).reconciler,
    ).toEqual({ heartbeatLimitSeconds: 900, stallGraceSeconds: 30, launchGraceSeconds: 45.5 });
  });

  it("reads the network's buckets and the signed URLs' lifetime, refusing what is not a gs:// location", () => {
    expect(
      readGoogleCloudSettings({
        ...valid,
        TWINED_OUTPUTS_LOCATION: "gs://p-main-twined-outputs",
        TWINED_UPLOADS_LOCATION: "gs://p-main-twined-uploads/asked",
        TWINED_SIGNED_URL_SECONDS: "3600",
      }).storage,
    ).toEqual({
      outputsLocation: "gs://p-main-twined-outputs",
      uploadsLocation: "gs://p-main-twined-uploads/asked",
      diagnosticsLocation: undefined,
      signedUrlSeconds: 3600,
    });
    expect(() => readGoogleCloudSettings({ ...valid, TWINED_OUTPUTS_LOCATION: "/tmp/outputs" })).toThrow(
      /TWINED_OUTPUTS_LOCATION: '\/tmp\/outputs' is not a Cloud Storage path/,
    );
    expect(() => readGoogleCloudSettings({ ...valid, TWINED_SIGNED_URL_SECONDS: "999999" })).toThrow(
      /TWINED_SIGNED_URL_SECONDS: a signed URL lasts from 1 s to 604800 s/,
    );
  });

  it("reads the Kueue launcher's settings, with Octue's defaults for the queue", () => {
    expect(readGoogleCloudSettings({ ...valid, TWINED_LAUNCHER: "kueue" }).launcher).toEqual({
      kind: "kueue",
      cluster: { kind: "in-cluster" },
      namespace: "default",
      localQueue: "local-queue",
      priorityClasses: {},
      ttlSecondsAfterFinished: 3600,
      serviceAccount: undefined,
      defaultMemory: undefined,
      defaultEphemeralStorage: undefined,
      heartbeatIntervalSeconds: 60,
    });
    expect(
      readGoogleCloudSettings({
        ...valid,
        TWINED_LAUNCHER: "kueue",
        TWINED_GKE_CLUSTER: "projects/p/locations/europe-west1/clusters/main-twined",
        TWINED_KUEUE_NAMESPACE: "twined",
        TWINED_KUEUE_LOCAL_QUEUE: "questions",
        TWINED_KUEUE_PRIORITY_CLASSES: "low=0, high=1000",
        TWINED_JOB_TTL_SECONDS: "60",
        TWINED_JOB_SERVICE_ACCOUNT: "main-twined-jobs",
      }).launcher,
    ).toMatchObject({
      cluster: { kind: "gke", clusterId: "projects/p/locations/europe-west1/clusters/main-twined" },
      namespace: "twined",
      localQueue: "questions",
      priorityClasses: { low: 0, high: 1000 },
      ttlSecondsAfterFinished: 60,
      serviceAccount: "main-twined-jobs",
    });
    expect(
      readGoogleCloudSettings({ ...valid, TWINED_LAUNCHER: "kueue", TWINED_KUBECONFIG: "/etc/kube/config" }).launcher,
    ).toMatchObject({ cluster: { kind: "kubeconfig", file: "/etc/kube/config" } });
  });

  it.each([
    ["GOOGLE_CLOUD_PROJECT", { TWINED_PUSH_SECRET: "0123456789abcdef" }, /not set/],
    ["TWINED_PUSH_SECRET", { GOOGLE_CLOUD_PROJECT: "p", TWINED_PUSH_SECRET: "short" }, /at least 16 characters/],
    ["TWINED_LAUNCHER", { ...valid, TWINED_LAUNCHER: "kubernetes" }, /'kubernetes' is not a launcher/],
    ["TWINED_LOCAL_CPUS", { ...valid, TWINED_LAUNCHER: "local", TWINED_LOCAL_CPUS: "0" }, /not a whole number/],
    ["TWINED_ENVIRONMENT", { ...valid, TWINED_ENVIRONMENT: "Main-1" }, /one lowercase word/],
    [
      "TWINED_KUEUE_PRIORITY_CLASSES",
      { ...valid, TWINED_LAUNCHER: "kueue", TWINED_KUEUE_PRIORITY_CLASSES: "low=0,High" },
      /'High' is not 'name=value'/,
    ],
    ["TWINED_JOB_TTL_SECONDS", { ...valid, TWINED_LAUNCHER: "kueue", TWINED_JOB_TTL_SECONDS: "-1" }, /whole number/],
    ["TWINED_CLOUD_RUN_REGION", { ...valid, TWINED_LAUNCHER: "cloud-run" }, /needs a region/],
    [
      "TWINED_RECONCILER_HEARTBEAT_LIMIT_SECONDS",
      { ...valid, TWINED_RECONCILER_HEARTBEAT_LIMIT_SECONDS: "soon" },
      /not a positive number/,
    ],
    ["TWINED_RECONCILER_STALL_GRACE_SECONDS", { ...valid, TWINED_RECONCILER_STALL_GRACE_SECONDS: "0" }, /positive/],
    ["TWINED_RECONCILER_LAUNCH_GRACE_SECONDS", { ...valid, TWINED_RECONCILER_LAUNCH_GRACE_SECONDS: "-5" }, /positive/],
    [
      "TWINED_PUSH_ENDPOINT_ALLOW_LIST",
      { ...valid, TWINED_PUSH_ENDPOINT_ALLOW_LIST: "hooks.corp.example,10.0.0.0/33" },
      /entry '10\.0\.0\.0\/33': is not an address range; .* \(a comma-separated list of hostnames, addresses and CIDR ranges\)$/,
    ],
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

describe("cloudJobEnvironment", () => {
  it("tells a cloud network's jobs where to read their question and send their events", () => {
    const env = { ...valid, TWINED_ENVIRONMENT: "staging", TWINED_FIRESTORE_COLLECTION_PREFIX: "blue" };
    expect(cloudJobEnvironment(readGoogleCloudSettings(env), env)).toEqual({
      GOOGLE_CLOUD_PROJECT: "my-project",
      TWINED_ENVIRONMENT: "staging",
      TWINED_SERVICES_TOPIC_NAME: "staging.octue.twined.services",
      TWINED_FIRESTORE_COLLECTION_PREFIX: "blue",
    });
    const renamed = { ...valid, TWINED_SERVICES_TOPIC_NAME: "custom.services" };
    expect(cloudJobEnvironment(readGoogleCloudSettings(renamed), renamed).TWINED_SERVICES_TOPIC_NAME).toBe(
      "custom.services",
    );
  });

  it("tells them where to ask their children, without making them read their question over HTTP", () => {
    const intake = "https://europe-west1-my-project.cloudfunctions.net/main-twined-question-intake";
    const env = { ...valid, TWINED_NETWORK_URL: intake };
    const environment = cloudJobEnvironment(readGoogleCloudSettings(env), env);
    expect(environment.TWINED_QUESTIONS_URL).toBe(intake);
    expect(environment).not.toHaveProperty("TWINED_NETWORK_URL");
  });
});
