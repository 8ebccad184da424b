import { request as httpRequest } from "node:http";
import { inspect } from "node:util";
import { SecretManagerServiceClient } from "@google-cloud/secret-manager";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import {
  type SecretManagerClientOptions,
  SecretManagerSource,
  type SecretManagerSourceOptions,
} from "../../../../shared/adapters/google/secret-manager/index.js";
import {
  NonRetryableError,
  SECRET_ACCESSOR_ROLE,
  SecretSourceFailed,
  SecretUnreadable,
} from "../../../../shared/errors/index.js";
import { rejectionOf } from "../../../support/error-of.js";
import { ACCESS_TOKEN, DEFAULT_PROJECT_NUMBER, FakeSecretManager } from "../../../support/fake-secret-manager.js";

const PROJECT = "twined-test";
/** A value to look for in every message, log line and error: none may contain it. */
const VALUE = "s3cr3t-Ünïcode-value-7f3a";
const SERVICE = "google.cloud.secretmanager.v1.SecretManagerService";
const UNAVAILABLE = { code: 503, status: "UNAVAILABLE", message: "The service is currently unavailable." } as const;

let fake: FakeSecretManager;
const sources: SecretManagerSource[] = [];

beforeEach(async () => {
  fake = await FakeSecretManager.start();
});

afterEach(async () => {
  await Promise.all(sources.splice(0).map((each) => each.close()));
  await fake.close();
});

function source(options: Partial<SecretManagerSourceOptions> & { clientOptions?: SecretManagerClientOptions } = {}) {
  const made = new SecretManagerSource({ projectId: PROJECT, clientOptions: fake.clientOptions(), ...options });
  sources.push(made);
  return made;
}

/**
 * Client options without retries of AccessSecretVersion. Over REST the library does not retry anyway (it compares the
 * HTTP client's error, whose code is the HTTP status, with gRPC codes), but a version that does would back off from 2 s
 * for up to 10 minutes.
 */
function withoutRetries(base: SecretManagerClientOptions = fake.clientOptions()): SecretManagerClientOptions {
  return {
    ...base,
    clientConfig: {
      interfaces: {
        [SERVICE]: {
          retry_codes: { none: [] },
          methods: { AccessSecretVersion: { retry_codes_name: "none" } },
        },
      },
    },
  };
}

describe("SecretManagerSource", () => {
  it("reads the text of the secret's latest version, over REST, with the caller's credentials", async () => {
    fake.addVersion(PROJECT, "MY_API_KEY", "an old value");
    fake.addVersion(PROJECT, "MY_API_KEY", VALUE);

    expect(await source().read("MY_API_KEY")).toBe(VALUE);

    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]).toMatchObject({
      method: "GET",
      path: `/v1/projects/${PROJECT}/secrets/MY_API_KEY/versions/latest:access`,
      query: { $alt: "json;enum-encoding=int" },
      authorization: `Bearer ${ACCESS_TOKEN}`,
      requestParams: `name=${encodeURIComponent(`projects/${PROJECT}/secrets/MY_API_KEY/versions/latest`)}`,
      body: "",
      answered: "value",
    });
  });

  it("names the latest version of the secret in the service's project", () => {
    expect(source().latestVersionName("MY_API_KEY")).toBe(`projects/${PROJECT}/secrets/MY_API_KEY/versions/latest`);
    expect(source({ projectId: "other-project" }).projectId).toBe("other-project");
  });

  it("reads a secret the project gives by number", async () => {
    fake.addVersion(DEFAULT_PROJECT_NUMBER, "MY_API_KEY", VALUE);
    expect(await source({ projectId: DEFAULT_PROJECT_NUMBER }).read("MY_API_KEY")).toBe(VALUE);
  });

  it("returns undefined for a secret that does not exist, or has no version", async () => {
    fake.addVersion("another-project", "MY_API_KEY", VALUE);

    expect(await source().read("MY_API_KEY")).toBeUndefined();
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.answered).toBe("error");
  });

  it("returns undefined, without asking, for a name that cannot be a secret id", async () => {
    fake.addVersion(PROJECT, "MY_API_KEY", VALUE);
    const secrets = source();

    // `MY_API_KEY/versions/1` would read a version other than the latest.
    for (const name of ["MY_API_KEY/versions/1", "A.B", "", "x".repeat(256), "SPACE D"]) {
      expect(await secrets.read(name)).toBeUndefined();
    }
    expect(fake.requests).toEqual([]);
  });

  it("refuses a forbidden secret with SecretUnreadable, naming the secret, the project and the role to grant", async () => {
    fake.addVersion(PROJECT, "MY_API_KEY", VALUE);
    fake.forbid(PROJECT, "MY_API_KEY");

    const error = await rejectionOf(source().read("MY_API_KEY"));

    expect(error).toBeInstanceOf(SecretUnreadable);
    expect(error).toBeInstanceOf(NonRetryableError);
    expect(error).toMatchObject({ secret: "MY_API_KEY", project: PROJECT, status: "PERMISSION_DENIED" });
    expect(error.message).toContain("'MY_API_KEY'");
    expect(error.message).toContain(PROJECT);
    expect(error.message).toContain(SECRET_ACCESSOR_ROLE);
    expect(error.message).toContain("Permission 'secretmanager.versions.access' denied");
    expect(error.message).not.toContain(VALUE);
  });

  it("refuses with SecretUnreadable when the job's credentials are not accepted", async () => {
    fake.addVersion(PROJECT, "MY_API_KEY", VALUE);

    const error = await rejectionOf(
      source({ clientOptions: fake.clientOptions({ authenticated: false }) }).read("MY_API_KEY"),
    );

    expect(error).toBeInstanceOf(SecretUnreadable);
    expect(error).toMatchObject({ secret: "MY_API_KEY", project: PROJECT, status: "UNAUTHENTICATED" });
    expect(error.message).toContain(SECRET_ACCESSOR_ROLE);
    expect(fake.requests[0]?.authorization).toBeUndefined();
  });

  it("refuses a value whose CRC32C does not match, without showing either", async () => {
    fake.addVersion(PROJECT, "MY_API_KEY", VALUE);
    fake.corruptNextPayload();

    const error = await rejectionOf(source().read("MY_API_KEY"));

    expect(error).toBeInstanceOf(SecretSourceFailed);
    expect(error).not.toBeInstanceOf(NonRetryableError);
    expect(error).toMatchObject({ secret: "MY_API_KEY", project: PROJECT, status: "DATA_LOSS" });
    expect(error.message).toContain("dataCrc32c");
    expect(error.message).not.toMatch(/\d{5,}/);
  });

  it("accepts a version stored without a CRC32C", async () => {
    fake.addVersion(PROJECT, "MY_API_KEY", VALUE, { checksum: false });
    expect(await source().read("MY_API_KEY")).toBe(VALUE);
  });

  it("refuses a version that is not UTF-8 text", async () => {
    fake.addVersion(PROJECT, "MY_API_KEY", Buffer.from([0xff, 0xfe, 0x00]));
    const error = await rejectionOf(source().read("MY_API_KEY"));
    expect(error).toBeInstanceOf(SecretSourceFailed);
    expect(error.message).toContain("not UTF-8");
  });

  it("fails with a retryable SecretSourceFailed when Secret Manager stays unavailable", async () => {
    fake.addVersion(PROJECT, "MY_API_KEY", VALUE);
    fake.failNext(UNAVAILABLE);

    const error = await rejectionOf(source({ clientOptions: withoutRetries() }).read("MY_API_KEY"));

    expect(error).toBeInstanceOf(SecretSourceFailed);
    expect(error).not.toBeInstanceOf(NonRetryableError);
    expect(error).toMatchObject({ secret: "MY_API_KEY", project: PROJECT, status: "UNAVAILABLE" });
    expect(error.message).toContain("The service is currently unavailable.");
  });

  it("builds its client on the first read, and tries again after a failed build", async () => {
    fake.addVersion(PROJECT, "MY_API_KEY", VALUE);
    // The library refuses these options when the client is built: a source that never reads never notices.
    const broken = { ...fake.clientOptions(), universeDomain: "a.example", universe_domain: "b.example" };
    const secrets = source({ clientOptions: broken });
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await rejectionOf(secrets.read("MY_API_KEY"));
      expect(error).toBeInstanceOf(SecretSourceFailed);
      expect(error.message).toContain("universe_domain or universeDomain");
    }
    expect(fake.requests).toEqual([]);
  });

  it("fails the read, with the auth library's reason, when the job has no Google credentials", async () => {
    const previous = process.env.GOOGLE_APPLICATION_CREDENTIALS;
    process.env.GOOGLE_APPLICATION_CREDENTIALS = "/nonexistent/twined-test-key.json";
    try {
      const { authClient: _, ...withoutCredentials } = fake.clientOptions();
      const secrets = source({ clientOptions: withoutCredentials });
      // Twice: the client whose initialisation failed is not kept, and neither read leaves an unhandled rejection.
      for (let attempt = 0; attempt < 2; attempt++) {
        const error = await rejectionOf(secrets.read("MY_API_KEY"));
        expect(error).toBeInstanceOf(SecretSourceFailed);
        expect(error.message).toContain("/nonexistent/twined-test-key.json");
      }
      expect(fake.requests).toEqual([]);
    } finally {
      if (previous === undefined) delete process.env.GOOGLE_APPLICATION_CREDENTIALS;
      else process.env.GOOGLE_APPLICATION_CREDENTIALS = previous;
    }
  });

  it("uses a client it is given and leaves it open; closes a client it built", async () => {
    fake.addVersion(PROJECT, "MY_API_KEY", VALUE);
    const client = new SecretManagerServiceClient(fake.clientOptions());
    try {
      const given = new SecretManagerSource({ projectId: PROJECT, client });
      expect(await given.read("MY_API_KEY")).toBe(VALUE);
      await given.close();
      const [response] = await client.accessSecretVersion({ name: given.latestVersionName("MY_API_KEY") });
      expect(response.name).toBe(`projects/${DEFAULT_PROJECT_NUMBER}/secrets/MY_API_KEY/versions/1`);
    } finally {
      await client.close();
    }

    const own = source();
    expect(await own.read("MY_API_KEY")).toBe(VALUE);
    await own.close();
    // Closed, and built again on the next read.
    expect(await own.read("MY_API_KEY")).toBe(VALUE);
  });
});

describe("SecretManagerSource never shows a value", () => {
  const logged: string[] = [];
  const previousLogging = process.env.GOOGLE_SDK_NODE_LOGGING;

  beforeEach(() => {
    logged.length = 0;
    // The client library's debug log writes every response, payload included, when this names it.
    process.env.GOOGLE_SDK_NODE_LOGGING = "*";
    for (const method of ["log", "info", "warn", "error", "debug", "trace"] as const) {
      vi.spyOn(console, method).mockImplementation((...args: unknown[]) => {
        logged.push(args.map((each) => inspect(each)).join(" "));
      });
    }
    for (const stream of [process.stdout, process.stderr]) {
      const write = stream.write.bind(stream);
      vi.spyOn(stream, "write").mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
        logged.push(String(chunk));
        return (write as (chunk: string | Uint8Array, ...rest: unknown[]) => boolean)(chunk, ...rest);
      });
    }
  });

  afterEach(() => {
    vi.restoreAllMocks();
    if (previousLogging === undefined) delete process.env.GOOGLE_SDK_NODE_LOGGING;
    else process.env.GOOGLE_SDK_NODE_LOGGING = previousLogging;
  });

  it("in no error, cause or log line, whatever the outcome of the read", async () => {
    const secrets = source({ clientOptions: withoutRetries() });
    fake.addVersion(PROJECT, "READABLE", VALUE);
    fake.addVersion(PROJECT, "FORBIDDEN", VALUE);
    fake.forbid(PROJECT, "FORBIDDEN");
    fake.addVersion(PROJECT, "CORRUPTED", VALUE);
    fake.addVersion(PROJECT, "UNAVAILABLE", VALUE);

    expect(await secrets.read("READABLE")).toBe(VALUE);
    const errors: Error[] = [await rejectionOf(secrets.read("FORBIDDEN"))];
    fake.corruptNextPayload();
    errors.push(await rejectionOf(secrets.read("CORRUPTED")));
    fake.failNext(UNAVAILABLE);
    errors.push(await rejectionOf(secrets.read("UNAVAILABLE")));
    const unauthenticated = source({ clientOptions: withoutRetries(fake.clientOptions({ authenticated: false })) });
    errors.push(await rejectionOf(unauthenticated.read("READABLE")));

    expect(errors.map((each) => each.constructor)).toEqual([
      SecretUnreadable,
      SecretSourceFailed,
      SecretSourceFailed,
      SecretUnreadable,
    ]);
    const shown = [...errors.map((each) => inspect(each, { depth: 10 })), ...logged].join("\n");
    expect(shown).not.toContain(VALUE);
    expect(shown).not.toContain(Buffer.from(VALUE).toString("base64"));
    // The bytes, as a JSON-formatted Buffer would show them.
    expect(shown).not.toContain([...Buffer.from(VALUE)].join(","));
  });
});

describe("FakeSecretManager", () => {
  /** A raw HTTP call to the fake, as a wrong client would make it. */
  async function call(method: string, path: string, body?: string): Promise<{ status: number; json: unknown }> {
    const headers = {
      authorization: `Bearer ${ACCESS_TOKEN}`,
      // Node sends a GET's body only with a length.
      ...(body === undefined ? {} : { "content-length": String(Buffer.byteLength(body)) }),
    };
    return new Promise((resolve, reject) => {
      const request = httpRequest({ host: "127.0.0.1", port: fake.port, method, path, headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          resolve({ status: response.statusCode ?? 0, json: text === "" ? undefined : JSON.parse(text) });
        });
      });
      request.on("error", reject);
      request.end(body);
    });
  }

  const latest = `/v1/projects/${PROJECT}/secrets/MY_API_KEY/versions/latest:access`;

  it("answers a well-formed call as the API does", async () => {
    fake.addVersion(PROJECT, "MY_API_KEY", "value");
    expect(await call("GET", `${latest}?%24alt=json%3Benum-encoding%3Dint`)).toEqual({
      status: 200,
      json: {
        name: `projects/${DEFAULT_PROJECT_NUMBER}/secrets/MY_API_KEY/versions/1`,
        payload: { data: Buffer.from("value").toString("base64"), dataCrc32c: "3789554531" },
      },
    });
    expect(await call("GET", `/v1/projects/${PROJECT}/secrets/OTHER/versions/latest:access`)).toEqual({
      status: 404,
      json: {
        error: {
          code: 404,
          status: "NOT_FOUND",
          message: `Secret [projects/${DEFAULT_PROJECT_NUMBER}/secrets/OTHER] not found or has no versions.`,
        },
      },
    });
  });

  it.each([
    ["the wrong HTTP method", "POST", latest, undefined],
    ["a path of another shape", "GET", `/v1/projects/${PROJECT}/secrets/MY_API_KEY:access`, undefined],
    ["a path without the :access verb", "GET", `/v1/projects/${PROJECT}/secrets/MY_API_KEY/versions/latest`, undefined],
    ["an unknown query parameter", "GET", `${latest}?version=1`, undefined],
    ["an unknown $alt", "GET", `${latest}?%24alt=proto`, undefined],
    ["a body on a GET", "GET", latest, '{"name":"x"}'],
    ["a version that is neither a number nor latest", "GET", latest.replace("latest", "newest"), undefined],
  ])("refuses %s with 400 INVALID_ARGUMENT", async (_, method, path, body) => {
    fake.addVersion(PROJECT, "MY_API_KEY", "value");
    const answer = await call(method, path, body);
    expect(answer).toMatchObject({ status: 400, json: { error: { code: 400, status: "INVALID_ARGUMENT" } } });
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.answered).toBe("error");
  });
});
