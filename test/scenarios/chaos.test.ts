import { randomBytes } from "node:crypto";
import { mkdtempSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type EmbeddedNetwork,
  type EmbeddedNetworkOptions,
  startEmbeddedNetwork,
} from "../../platform/embedded-network.js";
import { createHttpApi } from "../../platform/http-api.js";
import { openFirestoreStores } from "../../shared/adapters/google/firestore/index.js";
import { PubSubEventBus } from "../../shared/adapters/google/pubsub/index.js";
import { Child, NetworkClient } from "../../shared/client/index.js";
import { RemoteException } from "../../shared/errors/index.js";
import type { ChildEventEnvelope } from "../../shared/events/index.js";
import { isTerminal, type QuestionStatus } from "../../shared/questions/index.js";
import { DuplicatingBus } from "../support/duplicating-bus.js";
import { describeWithEmulators, type EmulatorInfo } from "../support/emulators.js";
import { harnessProcesses } from "../support/harness-processes.js";
import { seededRandom } from "../support/seeded-random.js";
import { countLaunches } from "./scenario-platform.js";
import { registerTestService } from "./scenario-services.js";

/** Bounds: 50 askers at once, at most 60 jobs killed, all within 10 minutes. */
const ASKERS = 50;
/**
 * 2,000 questions on the embedded network (about 3.5 minutes on a 2-core machine). The emulators, sharing those cores
 * with the network and the apps, take about 4 questions/s: 500 there keeps CI's time, and `TWINED_CHAOS_FULL=1` asks
 * them the full 2,000 (about 9 minutes).
 */
const FULL_QUESTIONS_PER_ASKER = 40;
const MAX_KILLS = 60;
const SEED = Number(process.env.TWINED_CHAOS_SEED ?? Date.now() % 2 ** 31);

/** Logs a few lines, so every question has events to lose, reorder or double, then answers with what it was asked. */
const CHATTY_APP = `import logging

def run(analysis):
    n = analysis.input_values["n"]
    for line in range(3):
        logging.getLogger(__name__).info("question %s, line %s", n, line)
    analysis.output_values = {"n": n}
`;

/** Where the chaos runs: the network's options for its bus and stores. */
interface ChaosStack {
  readonly name: string;
  readonly questionsPerAsker: number;
  readonly options: () => Partial<EmbeddedNetworkOptions>;
}

const embeddedStack: ChaosStack = {
  name: "the embedded network",
  questionsPerAsker: FULL_QUESTIONS_PER_ASKER,
  options: () => ({
    databasePath: ":memory:",
    bus: { duplicateDeliveries: true, shuffle: true, random: seededRandom(SEED) },
  }),
};

/** Pub/Sub and Firestore (emulators): every delivery handled twice at once, unordered subscriptions reordering. */
function emulatorStack(info: EmulatorInfo): ChaosStack {
  return {
    name: "the emulator stack",
    questionsPerAsker: process.env.TWINED_CHAOS_FULL === "1" ? FULL_QUESTIONS_PER_ASKER : 10,
    options: () => {
      const environment = `c${randomBytes(4).toString("hex")}`;
      return {
        environment,
        eventBus: new DuplicatingBus(new PubSubEventBus({ projectId: info.projectId })),
        stores: openFirestoreStores({ projectId: info.projectId, collectionPrefix: environment }),
      };
    },
  };
}

const skipped = process.env.TWINED_SKIP_LOAD_SCENARIOS === "1";
describe.skipIf(skipped)("on the embedded network", () => defineChaos(embeddedStack));
describeWithEmulators.skipIf(skipped)("on the emulator stack", (info) => defineChaos(emulatorStack(info)));

/**
 * The event path under load and chaos: every message delivered twice and out of order, 50 askers each asking their
 * questions one after another, and apps killed (SIGKILL) at random while they run. Each question must end exactly
 * once, and each asker must hear exactly the events the network recorded, each once, ending with one final event.
 */
function defineChaos(stack: ChaosStack): void {
  const total = ASKERS * stack.questionsPerAsker;
  describe(`a network asked ${total.toLocaleString("en")} questions at once by ${ASKERS} askers, with duplicated and reordered deliveries and killed jobs (${stack.name})`, () => {
    let network: EmbeddedNetwork;
    let url = "";
    let server: ReturnType<ReturnType<typeof createHttpApi>["listen"]>;
    let launches: ReadonlyMap<string, number> = new Map();

    beforeAll(async () => {
      network = await startEmbeddedNetwork({
        dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-chaos-")),
        cpuQuota: 8,
        jobs: "in-process",
        ...stack.options(),
      });
      launches = countLaunches(network.launcher);
      // Streams wake on the changes this process records, as `twined dev` serves them.
      server = createHttpApi(network).listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      network.setNetworkUrl(url);
      await registerTestService(url, "chatty", CHATTY_APP);
    }, 60_000);

    afterAll(async () => {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
      await network?.close();
    });

    it("ends every question once, and every asker hears each recorded event once", async () => {
      console.log(`chaos seed ${SEED} (set TWINED_CHAOS_SEED=${SEED} to replay its choices)`);
      const random = seededRandom(SEED ^ 0x5eed);
      const heard = new Map<string, ChildEventEnvelope[]>();
      const outcomes = new Map<string, "answered" | "failed">();
      let asking = true;
      let kills = 0;

      const killer = (async () => {
        while (asking && kills < MAX_KILLS) {
          await new Promise((resolve) => setTimeout(resolve, 200 + random() * 800));
          const apps = harnessProcesses();
          const victim = apps[Math.floor(random() * apps.length)];
          if (victim === undefined) continue;
          try {
            process.kill(victim, "SIGKILL");
            kills++;
          } catch {
            // It ended on its own meanwhile.
          }
        }
      })();

      const asker = async (index: number) => {
        const child = new Child({ id: "scenarios/chatty", network: url, asker: `testing/asker-${index}:1.0.0` });
        for (let question = 0; question < stack.questionsPerAsker; question++) {
          const n = index * stack.questionsPerAsker + question;
          const events: ChildEventEnvelope[] = [];
          try {
            const { questionUuid, answer } = await child.ask({
              inputValues: { n },
              onEvent: (envelope) => events.push(envelope),
            });
            expect(answer?.output_values).toEqual({ n });
            heard.set(questionUuid, events);
            outcomes.set(questionUuid, "answered");
          } catch (error) {
            if (!(error instanceof RemoteException)) throw error;
            // Only a killed app may fail a question, and the asker is told why.
            expect(error.name, `question ${error.questionUuid}: ${error.message}`).toBe("ServiceCrashed");
            heard.set(error.questionUuid, events);
            outcomes.set(error.questionUuid, "failed");
          }
        }
      };
      const started = Date.now();
      try {
        await Promise.all(Array.from({ length: ASKERS }, (_, index) => asker(index)));
      } finally {
        asking = false;
        await killer;
      }
      const seconds = (Date.now() - started) / 1000;
      const failed = [...outcomes.values()].filter((outcome) => outcome === "failed").length;
      console.log(
        `chaos: ${outcomes.size} questions in ${seconds.toFixed(0)} s (${(outcomes.size / seconds).toFixed(1)}/s), ${kills} apps killed, ${failed} questions failed`,
      );

      expect(outcomes.size).toBe(total);
      expect(failed).toBeLessThanOrEqual(kills);
      const client = new NetworkClient(url);
      const all = await client.listQuestions({ recipient: "scenarios/chatty:1.0.0", limit: "5000" });
      expect(all).toHaveLength(total);
      for (const question of all) {
        const status = question.status as QuestionStatus;
        const outcome = outcomes.get(question.question_uuid);
        expect(isTerminal(status), `question ${question.question_uuid} is ${status} (seed ${SEED})`).toBe(true);
        expect(status, `question ${question.question_uuid} (seed ${SEED})`).toBe(
          outcome === "answered" ? "succeeded" : "failed",
        );
        expect(launches.get(question.question_uuid), `launches of ${question.question_uuid}`).toBe(1);
        const recorded = await client.queryEvents({ question_uuid: question.question_uuid });
        const finals = recorded.filter((each) => each.event.kind === "result" || each.event.kind === "exception");
        expect(finals, `question ${question.question_uuid}'s final events (seed ${SEED})`).toHaveLength(1);
        const uuids = recorded.map((each) => each.attributes.uuid);
        expect(new Set(uuids).size).toBe(uuids.length);
        // What the asker heard is what the network recorded, each once, in the recorded order.
        const summary = (events: readonly ChildEventEnvelope[] | undefined) =>
          events?.map(
            (each) =>
              `${each.event.kind} order=${String(each.attributes.order)} at ${String(each.attributes.datetime)} ${each.attributes.uuid}`,
          );
        expect(summary(heard.get(question.question_uuid)), `question ${question.question_uuid} (seed ${SEED})`).toEqual(
          summary(recorded),
        );
      }
    }, 600_000);
  });
}
