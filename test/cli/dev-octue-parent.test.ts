import { randomUUID } from "node:crypto";
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Message, PubSub } from "@google-cloud/pubsub";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { type DevOptions, devTopicNames } from "../../cli/actions/dev.js";
import { runCli } from "../../cli/program.js";
import { startEmbeddedNetwork } from "../../platform/embedded-network.js";
import { describeWithEmulators, uniqueName } from "../support/emulators.js";
import { startTwined, type TwinedProcess } from "../support/twined-process.js";
import { waitFor } from "../support/wait-for.js";
import { registerWindSpeed } from "./support/wind-speed-network.js";

// The command's parsing is tested without starting a network: the action only records what it was given.
const started: DevOptions[] = [];
vi.mock(import("../../cli/actions/dev.js"), async (importOriginal) => ({
  ...(await importOriginal()),
  runDevNetwork: async (options: DevOptions) => {
    started.push(options);
    return 0;
  },
}));

/** `twined dev` parsed in this process with `env` as its environment: the options its action gets, and the exit code. */
async function parseDev(args: string[], env: Record<string, string> = {}) {
  const saved = { ...process.env };
  delete process.env.TWINED_ENVIRONMENT;
  delete process.env.TWINED_SERVICES_TOPIC_NAME;
  Object.assign(process.env, env);
  started.length = 0;
  let stderr = "";
  try {
    const code = await runCli(["dev", ...args], {
      stdout: { write: () => true },
      stderr: { write: (text: string) => (stderr += text) },
    });
    return { code, stderr, options: started[0] };
  } finally {
    process.env = saved;
  }
}

describe("twined dev's topics", () => {
  it("are Octue's defaults when nothing is set: the services topic is main.octue.twined.services", async () => {
    const { code, options } = await parseDev([]);
    expect(code).toBe(0);
    expect(devTopicNames(options ?? {}).services).toBe("main.octue.twined.services");
  });

  it("take the services topic from TWINED_SERVICES_TOPIC_NAME, as Octue's parents do", async () => {
    const { code, options } = await parseDev([], { TWINED_SERVICES_TOPIC_NAME: "custom.topic" });
    expect(code).toBe(0);
    expect(devTopicNames(options ?? {})).toMatchObject({
      services: "custom.topic",
      accepted: "main.twined.questions.accepted",
    });
  });

  it("are named by --environment or TWINED_ENVIRONMENT", async () => {
    const flag = await parseDev(["--environment", "staging"]);
    expect(devTopicNames(flag.options ?? {})).toMatchObject({
      services: "staging.octue.twined.services",
      accepted: "staging.twined.questions.accepted",
    });
    const env = await parseDev([], { TWINED_ENVIRONMENT: "staging" });
    expect(devTopicNames(env.options ?? {}).services).toBe("staging.octue.twined.services");
    // An empty setting is none, as a deployed network reads it.
    const empty = await parseDev([], { TWINED_ENVIRONMENT: "", TWINED_SERVICES_TOPIC_NAME: "" });
    expect(devTopicNames(empty.options ?? {}).services).toBe("main.octue.twined.services");
  });

  it.each([
    [["--environment", "Staging"], {}, /'--environment <name>' argument 'Staging' is invalid\. .*one lowercase word/],
    [
      [],
      { TWINED_ENVIRONMENT: "dev-1" },
      /value 'dev-1' from env 'TWINED_ENVIRONMENT' is invalid\. .*one lowercase word/,
    ],
    [[], { TWINED_SERVICES_TOPIC_NAME: "a b" }, /'TWINED_SERVICES_TOPIC_NAME' is invalid\. .*contains " "/],
    [["--services-topic", "goog.services"], {}, /must not start with 'goog'/],
  ])("refuse %j %j with a usage error naming the setting", async (args, env, message) => {
    const { code, stderr, options } = await parseDev(args, env);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(options).toBeUndefined();
  });

  it("of the embedded network default to Octue's environment, and take a services topic", async () => {
    const network = await startEmbeddedNetwork({ databasePath: ":memory:", dataDirectory: scratch() });
    const custom = await startEmbeddedNetwork({
      databasePath: ":memory:",
      dataDirectory: scratch(),
      environment: "staging",
      servicesTopic: "custom.topic",
    });
    try {
      expect(network.topics.services).toBe("main.octue.twined.services");
      expect(custom.topics).toMatchObject({ services: "custom.topic", accepted: "staging.twined.questions.accepted" });
    } finally {
      await network.close();
      await custom.close();
    }
  });
});

const PARENT = "octue/test-parent:5.6.3";
const WIND_SPEED = "examples/wind-speed:0.1.0";

describeWithEmulators("an Octue parent with Octue's settings asking `twined dev --backend emulators`", (info) => {
  const cases: [string, string[], Record<string, string>, string][] = [
    ["its defaults (nothing set on either side)", [], {}, "main.octue.twined.services"],
    ["TWINED_SERVICES_TOPIC_NAME=custom.topic", [], { TWINED_SERVICES_TOPIC_NAME: "custom.topic" }, "custom.topic"],
    ["--environment staging", ["--environment", "staging"], {}, "staging.octue.twined.services"],
  ];

  describe.each(cases)("with %s", (_name, args, env, servicesTopic) => {
    const project = uniqueName("octue-parent");
    let twined: TwinedProcess;
    let url = "";

    beforeAll(async () => {
      const data = mkdtempSync(path.join(tmpdir(), "twined-dev-octue-"));
      const processEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
      if (env.TWINED_SERVICES_TOPIC_NAME === undefined) delete processEnv.TWINED_SERVICES_TOPIC_NAME;
      delete processEnv.TWINED_ENVIRONMENT;
      delete processEnv.GOOGLE_CLOUD_PROJECT;
      twined = startTwined(
        [
          ...["dev", "--port", "0", "--data-dir", path.join(data, ".twined"), "--cpus", "1"],
          ...["--backend", "emulators", "--project", project, ...args],
        ],
        undefined,
        processEnv,
      );
      const listening = /listening on (http:\/\/\S+) /;
      await waitFor(() => /export TWINED_SERVICES_TOPIC_NAME=/.test(twined.output.stdout), {
        timeoutMs: 90_000,
        intervalMs: 50,
        description: () => `twined dev to start (it printed: ${twined.output.stdout}${twined.output.stderr})`,
      });
      url = listening.exec(twined.output.stdout)?.[1] ?? "";
      const service = path.join(data, "wind-speed");
      cpSync(path.resolve("examples/child-services/wind-speed"), service, { recursive: true });
      await registerWindSpeed(url, service);
    }, 120_000);

    afterAll(async () => {
      twined?.kill("SIGINT");
      expect(await twined?.exited).toBe(0);
    });

    it("prints the settings an Octue parent needs, ready to paste", () => {
      const stdout = twined.output.stdout;
      expect(stdout).toContain(`  export GOOGLE_CLOUD_PROJECT=${project}\n`);
      expect(stdout).toContain(`  export PUBSUB_EMULATOR_HOST=${info.pubsubHost}\n`);
      expect(stdout).toContain(`  export TWINED_SERVICES_TOPIC_NAME=${servicesTopic}\n`);
      // A parent needs no Firestore: it only publishes and subscribes.
      expect(stdout).not.toContain("FIRESTORE_EMULATOR_HOST");
    });

    it("is answered on the parent's own filtered subscription on the services topic", async () => {
      const questionUuid = randomUUID();
      const pubsub = new PubSub({ projectId: project });
      const topic = pubsub.topic(servicesTopic, { messageOrdering: true });
      // As Octue's parent does: its answer subscription exists, with its filter, before the question is published.
      const filter = `attributes.recipient = "${PARENT}" AND attributes.question_uuid = "${questionUuid}" AND attributes.sender_type = "CHILD"`;
      const [subscription] = await topic.createSubscription(`octue.test-parent.5-6-3.answers.${questionUuid}`, {
        filter,
        enableMessageOrdering: true,
        ackDeadlineSeconds: 600,
      });
      const received: Message[] = [];
      subscription.on("message", (message: Message) => {
        message.ack();
        // The emulator keeps a subscription's filter without applying it: what Pub/Sub would deliver is kept.
        const { attributes } = message;
        if (
          attributes.recipient === PARENT &&
          attributes.question_uuid === questionUuid &&
          attributes.sender_type === "CHILD"
        ) {
          received.push(message);
        }
      });
      try {
        await topic.publishMessage({
          data: Buffer.from(
            JSON.stringify({ kind: "question", input_values: { locations: [{ longitude: 0, latitude: 0 }] } }),
          ),
          orderingKey: questionUuid,
          attributes: {
            datetime: new Date().toISOString().replace("Z", "+00:00"),
            uuid: randomUUID(),
            question_uuid: questionUuid,
            originator_question_uuid: questionUuid,
            parent: PARENT,
            originator: PARENT,
            sender: PARENT,
            sender_type: "PARENT",
            sender_sdk_version: "0.69.0",
            recipient: WIND_SPEED,
            retry_count: "0",
            forward_logs: "1",
            save_diagnostics: "SAVE_DIAGNOSTICS_ON_CRASH",
          },
        });
        const kind = (message: Message) => (JSON.parse(message.data.toString()) as { kind: string }).kind;
        await waitFor(() => received.some((message) => ["result", "exception"].includes(kind(message))), {
          // The emulators share the machine with the other suites' loads in CI: give them time.
          timeoutMs: 90_000,
          intervalMs: 50,
          description: () => `the answer (received: ${received.map(kind).join(", ") || "nothing"})`,
        });
      } finally {
        await subscription.close();
        await subscription.delete();
        await pubsub.close();
      }
      const events = received.map((message) => JSON.parse(message.data.toString()) as { kind: string });
      expect(events[0]?.kind).toBe("delivery_acknowledgement");
      expect(events.at(-1)).toMatchObject({ kind: "result", output_values: [59] });
      for (const message of received) {
        expect(message.attributes).toMatchObject({
          question_uuid: questionUuid,
          sender: WIND_SPEED,
          sender_type: "CHILD",
          recipient: PARENT,
          retry_count: "0",
        });
      }
    }, 120_000);
  });
});

function scratch(): string {
  return mkdtempSync(path.join(tmpdir(), "twined-dev-topics-"));
}
