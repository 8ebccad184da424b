import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../platform/embedded-network.js";
import { InvalidPushEndpointAllowList, InvalidQuestionRequest, RevisionNotFound } from "../../shared/errors/index.js";
import { rejectionOf } from "../support/error-of.js";

// Every endpoint here names an address, so nothing is resolved; and no question is stored, so nothing is pushed.
let network: EmbeddedNetwork;

beforeAll(async () => {
  network = await startEmbeddedNetwork({
    dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-push-endpoints-")),
    databasePath: ":memory:",
    pushEndpoints: { allowList: ["10.20.0.0/16"] },
  });
});

afterAll(async () => {
  await network?.close();
});

/** What the intake says of a question for an unregistered service: a refused endpoint first, else the unknown recipient. */
const refusal = (pushEndpoint: string) =>
  rejectionOf(network.intake.ask({ recipient: "nobody/nothing", push_endpoint: pushEndpoint }));

describe("an embedded network's push endpoints", () => {
  it("allows loopback over http or https, and what its allow-list names over https", async () => {
    for (const endpoint of ["http://127.0.0.1:8080/hook", "https://[::1]:8443/hook", "https://10.20.3.4/hook"]) {
      expect(await refusal(endpoint), endpoint).toBeInstanceOf(RevisionNotFound);
    }
  });

  it.each([
    ["https://169.254.169.254/computeMetadata/v1/", /the cloud metadata server's address; it is never a push endpoint/],
    [
      "https://10.30.0.1/hook",
      /a private address; the network only pushes to public and loopback addresses unless its allow-list names the host or a range holding the address \(pushEndpoints\.allowList; twined dev --allow-push-to\)/,
    ],
    ["http://10.20.3.4/hook", /plain http is only allowed to loopback on a local network: use https/],
    ["http://93.184.216.34/hook", /plain http is only allowed to loopback/],
  ])("refuses %s at /push_endpoint", async (endpoint, message) => {
    const error = await refusal(endpoint);
    expect(error).toBeInstanceOf(InvalidQuestionRequest);
    expect((error as InvalidQuestionRequest).pointer).toBe("/push_endpoint");
    expect(error.message).toMatch(message);
  });

  it("refuses to start with an allow-list entry it cannot read", async () => {
    const error = await rejectionOf(
      startEmbeddedNetwork({
        dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-push-endpoints-")),
        databasePath: ":memory:",
        pushEndpoints: { allowList: ["*.corp.example"] },
      }),
    );
    expect(error).toBeInstanceOf(InvalidPushEndpointAllowList);
  });
});
