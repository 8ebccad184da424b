import { cpSync, mkdtempSync, readFileSync } from "node:fs";
import { createServer, request as httpRequest, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../../platform/embedded-network.js";
import { createHttpApi } from "../../../platform/http-api.js";
import { openFirestoreStores } from "../../../shared/adapters/google/firestore/index.js";
import { PubSubEventBus } from "../../../shared/adapters/google/pubsub/index.js";
import type { ChildEventEnvelope } from "../../../shared/events/index.js";
import { describeWithEmulators, uniqueName } from "../../support/emulators.js";
import { storeQuestion } from "../../support/stored-question.js";
import { startTwined } from "../../support/twined-process.js";

const scratch = mkdtempSync(path.join(tmpdir(), "twined-google-job-children-"));
const locations = {
  locations: [
    { longitude: 0, latitude: 0 },
    { longitude: 1, latitude: 1 },
  ],
};

/** An identity token as the metadata server gives one: a JWT whose payload says when it expires. */
function identityToken(audience: string): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return [part({ alg: "RS256" }), part({ aud: audience, exp: Math.floor(Date.now() / 1000) + 3600 }), "sig"].join(".");
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describeWithEmulators("a job on Google Cloud that asks children (emulators)", (info) => {
  const prefix = uniqueName("children").replace("-", "_");
  const topic = uniqueName("children.services");
  const stores = openFirestoreStores({ projectId: info.projectId, collectionPrefix: prefix });
  let network: EmbeddedNetwork;
  let api: Server;
  let gateway: Server;
  let metadata: Server;
  let questionsUrl = "";
  let metadataHost = "";
  const audiences: string[] = [];
  const refused: string[] = [];

  beforeAll(async () => {
    const bus = new PubSubEventBus({ projectId: info.projectId });
    await bus.ensureTopic(topic);
    await bus.close();
    network = await startEmbeddedNetwork({ dataDirectory: path.join(scratch, ".twined"), databasePath: ":memory:" });
    for (const name of ["elevation", "wind-speed"]) {
      const directory = path.join(scratch, name);
      cpSync(path.resolve("examples", "child-services", name), directory, { recursive: true });
      await network.revisions.register(
        {
          namespace: "examples",
          name,
          revisionTag: "0.1.0",
          twine: JSON.parse(readFileSync(path.join(directory, "twine.json"), "utf8")) as Record<string, unknown>,
          source: { kind: "directory", path: directory },
        },
        { makeDefault: true },
      );
    }
    api = createServer(createHttpApi(network, { pollIntervalMs: 20 }));
    const apiHost = await listen(api);
    // The questions API behind IAM: only a bearer token for its own address gets through.
    gateway = createServer((request, response) => {
      const [, payload = ""] = (request.headers.authorization ?? "").replace(/^Bearer /, "").split(".");
      let claims: { aud?: string; exp?: number } = {};
      try {
        claims = JSON.parse(Buffer.from(payload, "base64url").toString()) as typeof claims;
      } catch {
        // Not a JWT: refused below.
      }
      if (claims.aud !== questionsUrl || (claims.exp ?? 0) * 1000 < Date.now()) {
        refused.push(`${request.method} ${request.url}`);
        response.writeHead(401, { "content-type": "application/json" }).end('{"error":{"type":"Unauthorized"}}');
        return;
      }
      const outgoing = httpRequest(
        `http://${apiHost}${request.url}`,
        { method: request.method, headers: request.headers },
        (answer) => {
          response.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(response);
        },
      );
      request.pipe(outgoing);
    });
    questionsUrl = `http://${await listen(gateway)}`;
    // The metadata server of a pod with workload identity, as far as identity tokens go.
    metadata = createServer((request, response) => {
      const url = new URL(request.url ?? "/", "http://metadata");
      if (
        request.headers["metadata-flavor"] !== "Google" ||
        url.pathname !== "/computeMetadata/v1/instance/service-accounts/default/identity"
      ) {
        response.writeHead(404, { "metadata-flavor": "Google" }).end();
        return;
      }
      const audience = url.searchParams.get("audience") ?? "";
      audiences.push(audience);
      response
        .writeHead(200, { "metadata-flavor": "Google", "content-type": "text/plain" })
        .end(identityToken(audience));
    });
    metadataHost = await listen(metadata);
  });

  afterAll(async () => {
    for (const server of [gateway, api, metadata]) {
      server?.closeAllConnections();
      await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
    }
    await network?.close();
    await stores.close();
  });

  it("reads its question from Firestore and asks its children through the questions API, as its own identity", async () => {
    const parent = path.join(scratch, "parent");
    cpSync(path.resolve("examples", "child-services", "parent"), parent, { recursive: true });
    const attributes = await storeQuestion(stores.questions, {
      sender: "testing/jobs:1.0.0",
      recipient: "examples/parent:0.1.0",
      event: { kind: "question", input_values: locations },
    });
    const job = startTwined(["service", "answer", "--question-uuid", attributes.question_uuid], parent, {
      ...process.env,
      GOOGLE_CLOUD_PROJECT: info.projectId,
      TWINED_FIRESTORE_COLLECTION_PREFIX: prefix,
      TWINED_SERVICES_TOPIC_NAME: topic,
      TWINED_NETWORK_URL: "",
      TWINED_ID_TOKEN: "",
      TWINED_QUESTIONS_URL: questionsUrl,
      // Application Default Credentials as in a pod: no credentials file, a metadata server.
      HOME: scratch,
      GOOGLE_APPLICATION_CREDENTIALS: "",
      GCE_METADATA_HOST: metadataHost,
      METADATA_SERVER_DETECTION: "assume-present",
    });
    const exitCode = await job.exited;
    expect(exitCode, job.output.stderr).toBe(0);
    const final = job.output.stdout
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as ChildEventEnvelope)
      .at(-1);
    expect(final?.event).toEqual({
      kind: "result",
      output_values: { elevations: [3542, 548], wind_speeds: [59, 174] },
    });
    expect(refused).toEqual([]);
    expect(new Set(audiences)).toEqual(new Set([questionsUrl]));
    // The children are sub-questions of the job's question, recorded by the network they were asked through.
    const children = await network.questions.list({ parentQuestionUuid: attributes.question_uuid });
    expect(children.map((each) => each.recipient).sort()).toEqual([
      "examples/elevation:0.1.0",
      "examples/wind-speed:0.1.0",
    ]);
  }, 90_000);
});
