import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Child, NetworkClient, type QuestionSummary } from "../../shared/client/index.js";
import { uploadLocalDatasets } from "../../shared/datasets/index.js";
import { NetworkRequestFailed, RemoteException } from "../../shared/errors/index.js";
import { decodeDatafileMetadata } from "../../shared/storage/index.js";
import { runTwined } from "../cli/run-cli.js";
import { rejectionOf } from "../support/error-of.js";
import { waitFor } from "../support/wait-for.js";
import type { ScenarioNetwork, ScenarioPlatform } from "./scenario-platform.js";
import {
  copyOfExample,
  diagnosedService,
  FAILING_APP,
  OVERSIZED_APP,
  registerFolder,
  registerTestService,
  SLEEPER_APP,
} from "./scenario-services.js";

const ASKER = "testing/scenarios:1.0.0";
/** The failing service whose diagnostics are downloaded and replayed; its folder is where a developer replays them. */
const diagnosed = diagnosedService();
const locations = {
  locations: [
    { longitude: 0, latitude: 0 },
    { longitude: 1, latitude: 1 },
  ],
};
const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out", "rejected"];

export interface ScenarioSelection {
  /**
   * Run the 200-question load scenario (default true, unless TWINED_SKIP_LOAD_SCENARIOS=1). `npm test` runs the load
   * scenarios in a pass of their own, one file at a time (`test:load`), since they measure admission under a full
   * queue and time out when other suites share the machine; CI's second pass, on another Node version, leaves them
   * out. Variants of a platform that differ only in how a job
   * starts leave it to the main variant, to keep the suite's time in check.
   */
  readonly load?: boolean;
}

/**
 * The behaviour every Twined platform must show, written once against the HTTP API and the `Child` client, and run by
 * each platform's test file: `defineScenarios(embeddedPlatform())`.
 */
export function defineScenarios(platform: ScenarioPlatform, selection: ScenarioSelection = {}): void {
  describe(`scenarios on ${platform.name}`, () => {
    describe("a network with 2 CPUs", () => {
      let network: ScenarioNetwork;
      let client: NetworkClient;
      const child = (id: string) => new Child({ id, network: network.url, asker: ASKER });

      beforeAll(async () => {
        network = await platform.start({ cpuQuota: 2 });
        client = new NetworkClient(network.url);
        await registerChildServices(network.url);
        const fractal = copyOfExample("fractal", { configurationValues: "data/configuration/small.json" });
        await registerFolder(network.url, fractal, { namespace: "examples", name: "fractal", tag: "0.1.0" });
        const manifests = copyOfExample("using-manifests");
        await registerFolder(network.url, manifests, { namespace: "examples", name: "using-manifests", tag: "0.1.0" });
        await registerTestServices(network.url);
      }, 120_000);

      afterAll(async () => {
        await network?.close();
      });

      it("answers each child-services example, recording its events in order", async () => {
        const elevation = await child("examples/elevation").ask({ inputValues: locations });
        expect(elevation.answer).toEqual({ output_values: [3542, 548], output_manifest: null });
        expect(elevation.recipient).toBe("examples/elevation:0.1.0");
        const wind = await child("examples/wind-speed").ask({ inputValues: locations });
        expect(wind.answer?.output_values).toEqual([59, 174]);

        const events = await client.queryEvents({ question_uuid: elevation.questionUuid });
        expect(events.map((event) => event.sequence)).toEqual(events.map((_, index) => index + 1));
        expect(events[0]?.event.kind).toBe("delivery_acknowledgement");
        expect(events.at(-1)?.event.kind).toBe("result");
        const question = await client.question(elevation.questionUuid);
        expect(question.status).toBe("succeeded");
        expect(Object.keys(question.status_times as object)).toEqual(
          expect.arrayContaining(["received", "validated", "dispatched", "running", "succeeded"]),
        );
        expect(await network.launches(elevation.questionUuid)).toBe(1);
      }, 120_000);

      it("answers the fractal example, passing its logs on", async () => {
        const logs: string[] = [];
        const { answer } = await child("examples/fractal").ask({ onLog: (record) => logs.push(String(record.msg)) });
        const surface = answer?.output_values as { data: { z: number[][] }; layout: { width: number } };
        expect(surface.layout.width).toBe(20);
        expect(surface.data.z).toHaveLength(20);
        expect(logs.some((message) => message.includes("Mandelbrot"))).toBe(true);
      }, 60_000);

      it("answers the using-manifests example about a dataset on the asker's disk, or says why it cannot", async () => {
        const file = path.resolve("examples/using-manifests/data/input/manifest.json");
        const manifest = JSON.parse(readFileSync(file, "utf8")) as { id: string; datasets: Record<string, string> };
        const local = {
          ...manifest,
          datasets: { raw_met_mast_data: path.resolve("examples/using-manifests/data/input/raw_met_mast_data") },
        };
        const asking = child("examples/using-manifests").ask({ inputManifest: local });
        if (network.storage === undefined) {
          // Jobs on a cluster see neither this machine's paths nor its storage folder: nowhere to upload to either.
          const error = await rejectionOf(asking);
          expect(error).toBeInstanceOf(NetworkRequestFailed);
          expect(error.name).toBe("FileLocationError");
          expect(error.message).toContain("The dataset 'raw_met_mast_data' of the input manifest is at a local path");
          return;
        }
        const { answer } = await asking;
        expect(answer?.output_values).toMatchObject({ window_averages: expect.any(Array) });
        expect(answer?.output_manifest).toMatchObject({ datasets: expect.any(Object) });
      }, 60_000);

      it("reads an input dataset from storage one file at a time, and uploads the output dataset with Octue's metadata", async (context) => {
        const storage = network.storage;
        // A laptop network's jobs on a cluster cannot reach its storage folder (docs/datasets.md).
        if (storage === undefined) return context.skip();
        const uploaded = await uploadLocalDatasets(
          {
            id: randomUUID(),
            datasets: { raw_met_mast_data: "examples/using-manifests/data/input/raw_met_mast_data" },
          },
          { store: storage.store, location: storage.uploads },
        );
        const inputPath = String(uploaded.manifest.datasets.raw_met_mast_data);
        expect(inputPath).toMatch(/^gs:\/\/[^/]+\/[0-9a-f]{32}\/raw_met_mast_data$/);

        const { answer, questionUuid } = await child("examples/using-manifests").ask({
          inputManifest: uploaded.manifest,
        });
        expect(answer?.output_values).toMatchObject({ row_count: 40 });
        const outputManifest = answer?.output_manifest as { datasets: Record<string, unknown> } | undefined;
        const output = outputManifest?.datasets.cleaned_met_mast_data;
        expect(output).toMatch(new RegExp(`^gs://[^/]+/${questionUuid}/cleaned_met_mast_data$`));

        const document = JSON.parse((await storage.store.read(`${output}/.octue`)).toString());
        expect(document.dataset).toMatchObject({ name: "cleaned_met_mast_data", labels: ["cleaned", "mast", "met"] });
        const cleaned = await storage.store.stat(`${output}/cleaned.csv`);
        expect(cleaned?.size).toBeGreaterThan(1000);
        expect(decodeDatafileMetadata(cleaned?.metadata ?? {})).toMatchObject({ labels: ["timeseries"] });
        // The app read its two time series (and its metadata file) straight from storage.
        const logs = (await client.queryEvents({ question_uuid: questionUuid, kinds: "log_record" })).map((event) =>
          String((event.event as { log_record?: { msg?: string } }).log_record?.msg),
        );
        expect(logs.filter((message) => message.startsWith("Read 20 rows from"))).toHaveLength(2);
      }, 90_000);

      it("fails a question whose input dataset is not in storage, naming the path", async (context) => {
        const storage = network.storage;
        if (storage === undefined) return context.skip();
        const missing = `${storage.uploads}/no-such-dataset`;
        const error = await rejectionOf(
          child("examples/using-manifests").ask({
            inputManifest: { id: randomUUID(), datasets: { raw_met_mast_data: missing } },
          }),
        );
        expect(error).toBeInstanceOf(RemoteException);
        expect((error as RemoteException).remoteType).toBe("DatasetNotFound");
        expect(error.message).toContain(missing);
      }, 60_000);

      it("answers a parent whose children are asked through the network, and the tree can be queried", async () => {
        const asked = await child("examples/parent").ask({ inputValues: locations });
        expect(asked.answer?.output_values).toEqual({ elevations: [3542, 548], wind_speeds: [59, 174] });

        const children = await client.listQuestions({ parent_question_uuid: asked.questionUuid });
        expect(children.map((each) => each.recipient).sort()).toEqual([
          "examples/elevation:0.1.0",
          "examples/wind-speed:0.1.0",
        ]);
        for (const each of children) {
          expect(each).toMatchObject({
            status: "succeeded",
            sender: "examples/parent:0.1.0",
            originator: ASKER,
            parent_question_uuid: asked.questionUuid,
            originator_question_uuid: asked.questionUuid,
          });
        }
        expect(await client.listQuestions({ originator_question_uuid: asked.questionUuid })).toHaveLength(3);
        const results = await client.queryEvents({ originator_question_uuid: asked.questionUuid, kinds: "result" });
        expect(results).toHaveLength(3);
        const childResults = await client.queryEvents({ parent_question_uuid: asked.questionUuid, kinds: "result" });
        expect(childResults).toHaveLength(2);
        // The children's logs reach the parent's asker too, prefixed with the child and its question.
        const parentLogs = await client.queryEvents({ question_uuid: asked.questionUuid, kinds: "log_record" });
        const prefixed = parentLogs.filter((event) =>
          JSON.stringify(event.event).includes("[examples/elevation:0.1.0 |"),
        );
        expect(prefixed.length).toBeGreaterThan(0);
      }, 90_000);

      it("rejects invalid inputs at once, saying where and why, without running anything", async () => {
        const error = await rejectionOf(child("examples/elevation").ask({ inputValues: { locations: "here" } }));
        expect(error).toBeInstanceOf(RemoteException);
        expect(error).toMatchObject({ name: "InvalidValuesContents", status: "rejected" });
        expect((error as RemoteException).remoteMessage).toMatch(/\/locations/);
        expect(await network.launches((error as RemoteException).questionUuid)).toBe(0);
      }, 30_000);

      it("refuses a question for an unknown service or revision immediately", async () => {
        for (const id of ["examples/nothing", "examples/elevation:9.9.9"]) {
          const error = await rejectionOf(child(id).ask({ inputValues: locations }));
          expect(error).toBeInstanceOf(NetworkRequestFailed);
          expect(error).toMatchObject({ status: 404, remoteType: "RevisionNotFound" });
        }
      });

      it("resolves namespace/name to the default revision, and namespace/name:tag to that revision", async () => {
        const id = { namespace: "scenarios", name: "versioned" };
        await registerFolder(network.url, copyOfExample("child-services/elevation"), { ...id, tag: "0.1.0" });
        await registerFolder(network.url, copyOfExample("child-services/elevation"), { ...id, tag: "0.2.0" }, false);
        const recipient = async (serviceId: string) =>
          (await child(serviceId).ask({ inputValues: locations })).recipient;
        expect(await recipient("scenarios/versioned")).toBe("scenarios/versioned:0.1.0");
        await client.setDefaultRevision("scenarios", "versioned", "0.2.0");
        expect(await recipient("scenarios/versioned")).toBe("scenarios/versioned:0.2.0");
        expect(await recipient("scenarios/versioned:0.1.0")).toBe("scenarios/versioned:0.1.0");
      }, 60_000);

      it("reports an app's exception to the asker with its type, message and traceback", async () => {
        const error = await rejectionOf(child("scenarios/failing").ask({ inputValues: [1, 2] }));
        expect(error).toMatchObject({ name: "ValueError", status: "failed" });
        const remote = error as RemoteException;
        expect(remote.remoteMessage).toMatch(/cannot use \[1, 2\]/);
        expect(remote.remoteTraceback.join("")).toMatch(/app\.py.*in check/s);
        expect((await client.question(remote.questionUuid)).error).toMatchObject({ type: "ValueError" });
      }, 30_000);

      it("keeps a failed question's diagnostics, which download and replay the failure on this machine", async (context) => {
        const storage = network.storage;
        if (storage === undefined) return context.skip();
        const readings = mkdtempSync(path.join(tmpdir(), "twined-readings-"));
        writeFileSync(path.join(readings, "readings.csv"), "7,8,9\n");
        const uploaded = await uploadLocalDatasets(
          { id: randomUUID(), datasets: { readings } },
          { store: storage.store, location: storage.uploads },
        );
        const error = await rejectionOf(
          child("scenarios/diagnosed").ask({ inputValues: {}, inputManifest: uploaded.manifest }),
        );
        expect(error).toMatchObject({ name: "ValueError", status: "failed" });
        const { questionUuid, remoteMessage } = error as RemoteException;
        expect(remoteMessage).toContain("readings 7,8,9 disagree with elevation [");
        const logs = await client.queryEvents({ question_uuid: questionUuid, kinds: "log_record" });
        expect(JSON.stringify(logs.at(-1)?.event)).toContain(`Diagnostics saved to gs://`);

        const document = await client.diagnostics(questionUuid);
        expect(document.summary).toMatchObject({
          question_uuid: questionUuid,
          outcome: "exception",
          exception_type: "ValueError",
        });
        expect(Object.keys(document.files).sort()).toEqual([
          "diagnostics.json",
          "events.json",
          "input_values.json",
          "questions.json",
        ]);
        expect(document.manifests.input_manifest?.datasets.readings).toMatch(/^https?:\/\//);

        const into = mkdtempSync(path.join(tmpdir(), "twined-diagnostics-"));
        const downloaded = await runTwined([
          "question",
          "diagnostics",
          questionUuid,
          "-o",
          into,
          "--network",
          network.url,
        ]);
        expect(downloaded.stderr).toContain("twined question ask-local --from-diagnostics");
        expect(downloaded.code).toBe(0);
        const folder = path.join(into, questionUuid);
        expect(downloaded.stdout.trim()).toBe(folder);
        expect(readFileSync(path.join(folder, "input_manifest_datasets/readings/readings.csv"), "utf8")).toBe(
          "7,8,9\n",
        );
        const questions = JSON.parse(readFileSync(path.join(folder, "questions.json"), "utf8")) as { key: string }[];
        expect(questions.map((each) => each.key)).toEqual(["elevation"]);

        // On this machine, with no network: the same failure, the child answered from the recording.
        const replayed = await runTwined(["question", "ask-local", "--from-diagnostics", folder], diagnosed);
        expect(replayed.code).toBe(1);
        const final = JSON.parse(replayed.stdout) as {
          kind: string;
          exception_type: string;
          exception_message: string;
        };
        expect(final).toMatchObject({ kind: "exception", exception_type: "ValueError" });
        expect(final.exception_message).toContain(remoteMessage.slice(remoteMessage.indexOf("readings 7,8,9")));
      }, 90_000);

      it("says why a question has no diagnostics", async () => {
        const answered = await child("examples/elevation").ask({ inputValues: locations });
        const error = await rejectionOf(client.diagnostics(answered.questionUuid));
        expect(error).toMatchObject({ status: 404, remoteType: "QuestionDiagnosticsNotFound" });
        expect(error.message).toContain(answered.questionUuid);
        if (network.storage !== undefined) expect(error.message).toContain("this one is succeeded");
        const unknown = await rejectionOf(client.diagnostics(randomUUID()));
        expect(unknown).toMatchObject({ status: 404 });
      }, 30_000);

      it("answers with output values too large for a message by keeping them in storage, fetched for the asker", async () => {
        if (network.storage === undefined) {
          // Without storage there is nowhere to keep them: the question fails, saying so, and others go on.
          const error = await rejectionOf(child("scenarios/oversized").ask({ inputValues: {} }));
          expect(error).toMatchObject({ name: "MessageLimitExceeded", status: "failed" });
          expect(error.message).toMatch(/output manifest/);
        } else {
          const { answer, questionUuid } = await child("scenarios/oversized").ask({ inputValues: {} });
          expect(answer?.output_values).toHaveLength(11_000_000);
          const stored = await client.queryEvents({ question_uuid: questionUuid, kinds: "result" });
          expect((stored[0]?.event as { output_values?: string } | undefined)?.output_values).toHaveLength(11_000_000);
          expect(stored[0]?.event).not.toHaveProperty("output_values_reference");
        }
        const next = await child("examples/elevation").ask({ inputValues: locations });
        expect(next.answer?.output_values).toEqual([3542, 548]);
      }, 60_000);

      it("runs a question UUID once, however often it is asked", async () => {
        const questionUuid = crypto.randomUUID();
        const first = await child("examples/elevation").ask({ inputValues: locations, questionUuid });
        const body = { recipient: "examples/elevation", input_values: locations, question_uuid: questionUuid };
        expect(await client.ask(body)).toMatchObject({ question_uuid: questionUuid, status: "succeeded" });
        expect(first.questionUuid).toBe(questionUuid);
        expect(await network.launches(questionUuid)).toBe(1);
      }, 30_000);

      it("cancels a question while it runs", async () => {
        const asking = child("scenarios/sleeper").ask({
          inputValues: { seconds: 60 },
          onStatus: (status, questionUuid) => {
            if (status === "running") void client.cancel(questionUuid, "changed my mind");
          },
        });
        const error = await rejectionOf(asking);
        expect(error).toMatchObject({ name: "QuestionCancelled", status: "cancelled" });
        expect(error.message).toMatch(/changed my mind/);
      }, 60_000);

      it("cancels a question while it waits for resources, without ever running it", async () => {
        const blocker = await child("scenarios/sleeper").ask({
          inputValues: { seconds: 60 },
          cpus: 2,
          asynchronous: true,
        });
        await waitForStatus(client, blocker.questionUuid, "running");
        const waiting = child("scenarios/sleeper").ask({
          inputValues: { seconds: 1 },
          onStatus: (status, questionUuid) => {
            if (status === "queued") void client.cancel(questionUuid, "not needed any more");
          },
        });
        const error = (await rejectionOf(waiting)) as RemoteException;
        expect(error).toMatchObject({ name: "QuestionCancelled", status: "cancelled" });
        const question = await client.question(error.questionUuid);
        expect((question.status_times as Record<string, string>).running).toBeUndefined();
        await client.cancel(blocker.questionUuid);
        await waitForStatus(client, blocker.questionUuid, "cancelled");
      }, 60_000);

      it("stops a question at its run deadline", async () => {
        const asking = child("scenarios/sleeper").ask({ inputValues: { seconds: 60 }, runDeadline: 1 });
        expect(await rejectionOf(asking)).toMatchObject({ name: "QuestionTimedOut", status: "timed_out" });
      }, 60_000);
    });

    describe("a network whose bus delivers every message twice, shuffled", () => {
      let network: ScenarioNetwork;

      beforeAll(async () => {
        network = await platform.start({ cpuQuota: 2, duplicateDeliveries: true });
        await registerChildServices(network.url);
      }, 60_000);

      afterAll(async () => {
        await network?.close();
      });

      it("runs each question once and ends it once, child questions included", async () => {
        const client = new NetworkClient(network.url);
        const wind = new Child({ id: "examples/wind-speed", network: network.url });
        const parent = new Child({ id: "examples/parent", network: network.url });
        const answers = await Promise.all([
          ...[1, 2, 3, 4].map(() => wind.ask({ inputValues: locations })),
          parent.ask({ inputValues: locations }),
        ]);
        const tree = await client.listQuestions({ parent_question_uuid: answers[4]?.questionUuid ?? "" });
        const uuids = [...answers.map((each) => each.questionUuid), ...tree.map((each) => each.question_uuid)];
        expect(uuids).toHaveLength(7);
        for (const questionUuid of uuids) {
          expect(await network.launches(questionUuid)).toBe(1);
          expect((await client.question(questionUuid)).status).toBe("succeeded");
          const events = await client.queryEvents({ question_uuid: questionUuid });
          expect(events.filter((event) => event.event.kind === "result")).toHaveLength(1);
          expect(events.filter((event) => event.event.kind === "exception")).toHaveLength(0);
          expect(new Set(events.map((event) => event.attributes.uuid)).size).toBe(events.length);
        }
        // Seven questions through two CPUs, the parent holding one while its children wait: where every job is a fresh
        // process (Kueue pods, Functions Framework), a loaded CI machine has taken 80-90 s.
      }, 240_000);
    });

    if (selection.load === false || process.env.TWINED_SKIP_LOAD_SCENARIOS === "1") return;
    describe("a network with 2 CPUs asked 200 questions at once", () => {
      let network: ScenarioNetwork;

      beforeAll(async () => {
        network = await platform.start({ cpuQuota: 2 });
        await registerChildServices(network.url);
        await registerTestServices(network.url);
      }, 120_000);

      afterAll(async () => {
        await network?.close();
      });

      it("answers every one, losing none, and admits waiting questions by priority", async () => {
        const client = new NetworkClient(network.url);
        // Two questions hold both CPUs until all 200 are waiting, so that admission is decided among all of them.
        const sleeper = new Child({ id: "scenarios/sleeper", network: network.url });
        const blockers = await sleeper.askMultiple(
          [1, 2].map(() => ({ inputValues: { seconds: 300 }, asynchronous: true })),
        );
        for (const blocker of blockers) await waitForStatus(client, blocker.questionUuid, "running");

        const wind = new Child({ id: "examples/wind-speed", network: network.url });
        const asked = await wind.askMultiple(
          Array.from({ length: 200 }, (_, index) => ({
            inputValues: { locations: [{ longitude: index - 100, latitude: 0 }] },
            priority: index % 5,
            asynchronous: true,
          })),
          { concurrency: 200 },
        );
        expect(new Set(asked.map((each) => each.questionUuid)).size).toBe(200);
        await waitFor(
          async () =>
            (await client.listQuestions({ recipient: "examples/wind-speed:0.1.0", status: "queued", limit: "1000" }))
              .length === 200,
          { timeoutMs: 120_000, intervalMs: 250, description: "all 200 questions to be queued" },
        );
        for (const blocker of blockers) await client.cancel(blocker.questionUuid, "make way");

        let questions: QuestionSummary[] = [];
        await waitFor(
          async () => {
            questions = await client.listQuestions({ recipient: "examples/wind-speed:0.1.0", limit: "1000" });
            return questions.length === 200 && questions.every((question) => TERMINAL.includes(question.status));
          },
          { timeoutMs: 240_000, intervalMs: 500, description: "all 200 questions to end" },
        );
        expect(questions.filter((question) => question.status !== "succeeded").map((q) => [q.status, q.error])).toEqual(
          [],
        );
        for (const question of questions) expect(await network.launches(question.question_uuid)).toBe(1);
        for (const blocker of blockers) {
          expect(time(await client.question(blocker.questionUuid), "running")).toBeLessThan(
            Math.min(...questions.map((question) => time(question, "running"))),
          );
        }

        // A job's first act is to acknowledge its question, stamped with the job's clock: that is its admission time.
        const startedAt = new Map<string, number>();
        for (const question of questions) {
          const [ack] = await client.queryEvents({
            question_uuid: question.question_uuid,
            kinds: "delivery_acknowledgement",
          });
          startedAt.set(question.question_uuid, Date.parse(`${String(ack?.attributes.datetime)}Z`));
        }
        const admitted = [...questions].sort(
          (a, b) =>
            (startedAt.get(a.question_uuid) ?? 0) - (startedAt.get(b.question_uuid) ?? 0) ||
            Number(b.priority) - Number(a.priority),
        );
        const priorities = admitted.map((question) => Number(question.priority));
        expect(priorities).toEqual([...priorities].sort((a, b) => b - a));
      }, 300_000);
    });
  });
}

async function registerChildServices(url: string): Promise<void> {
  for (const name of ["elevation", "wind-speed", "parent"]) {
    const directory = copyOfExample(`child-services/${name}`);
    await registerFolder(url, directory, { namespace: "examples", name, tag: "0.1.0" });
  }
}

async function registerTestServices(url: string): Promise<void> {
  for (const [name, app] of [
    ["sleeper", SLEEPER_APP],
    ["failing", FAILING_APP],
    ["oversized", OVERSIZED_APP],
  ] as const) {
    await registerTestService(url, name, app);
  }
  await registerFolder(url, diagnosed, { namespace: "scenarios", name: "diagnosed", tag: "1.0.0" });
}

async function waitForStatus(client: NetworkClient, questionUuid: string, status: string): Promise<void> {
  await waitFor(async () => (await client.question(questionUuid)).status === status, {
    timeoutMs: 30_000,
    description: `question ${questionUuid} to be ${status}`,
  });
}

function time(question: QuestionSummary, status: string): number {
  const at = (question.status_times as Record<string, string | undefined>)[status];
  return at === undefined ? Number.POSITIVE_INFINITY : Date.parse(at);
}
