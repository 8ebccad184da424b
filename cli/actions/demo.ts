import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pc from "picocolors";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../platform/embedded-network.js";
import { createHttpApi } from "../../platform/http-api.js";
import { type AskResult, Child, NetworkClient, type QuestionSummary } from "../../shared/client/index.js";
import { loopbackHosts } from "../../shared/control-plane/http/allowed-hosts.js";
import { answerMalformedRequestsAsJson } from "../../shared/control-plane/http/malformed-requests.js";
import { displayPath } from "../../shared/display-path.js";
import { packageRoot } from "../../shared/package-root.js";
import { CLEANED_DATASET, describeCleaning, exampleInputManifest } from "../demo/cleaning.js";
import { surfaceToPng } from "../demo/surface-png.js";
import { listening } from "../listening.js";
import { type CliOutput, describeError, EXIT } from "../output.js";
import { QuestionProgress } from "../question-progress.js";
import { TerminalEventSink } from "../terminal-event-sink.js";
import { downloadOutputs } from "./download-outputs.js";

const EXAMPLES = [
  { folder: "fractal", name: "fractal" },
  { folder: "using-manifests", name: "using-manifests" },
  { folder: "child-services/parent", name: "parent" },
  { folder: "child-services/elevation", name: "elevation" },
  { folder: "child-services/wind-speed", name: "wind-speed" },
] as const;
const TAG = "0.1.0";

export interface DemoOptions {
  output: string;
  /** Where the using-manifests answer's output datasets are downloaded to, one folder per dataset. */
  outputsDir: string;
  size: number;
  dataDir?: string;
  keepRunning?: boolean;
}

/**
 * `twined demo`: a whole network on this machine, the example services registered with it, three questions asked
 * through it (one answered with a dataset, which is downloaded, and one whose service asks children of its own), and
 * the fractal drawn as a PNG.
 */
export async function runDemo(options: DemoOptions, output: CliOutput): Promise<number> {
  const dataDirectory = path.resolve(options.dataDir ?? mkdtempSync(path.join(tmpdir(), "twined-demo-")));
  let network: EmbeddedNetwork | undefined;
  let server: Server | undefined;
  try {
    network = await startEmbeddedNetwork({
      dataDirectory,
      onJobOutput: (_questionUuid, text) => output.stderr.write(pc.dim(text)),
    });
    // Kept running, it answers only requests addressed to it, as `twined dev` on loopback does.
    let allowedHosts: ReadonlySet<string> | undefined;
    server = createHttpApi(network, {
      allowedHosts: () => allowedHosts,
      dashboard: options.keepRunning === true,
    }).listen(0, "127.0.0.1");
    answerMalformedRequestsAsJson(server);
    await listening(server);
    const { port } = server.address() as AddressInfo;
    allowedHosts = loopbackHosts(port);
    const url = `http://127.0.0.1:${port}`;
    network.setNetworkUrl(url);
    // A demo network kept with --data-dir may have stopped with questions unfinished.
    await network.recover();
    output.stderr.write(`${pc.bold("Twined network")} running at ${url} (data in ${displayPath(dataDirectory)})\n`);

    const client = new NetworkClient(url);
    await registerExamples(client, dataDirectory, options.size);
    output.stderr.write(`Registered ${EXAMPLES.map(({ name }) => `examples/${name}:${TAG}`).join(", ")}\n\n`);

    const fractal = await askShowingProgress(url, "examples/fractal", {}, output);
    const inputManifest = exampleInputManifest(serviceDirectory(dataDirectory, "using-manifests"));
    const cleaning = await askShowingProgress(url, "examples/using-manifests", { inputManifest }, output);
    const downloaded = await downloadCleaned(client, cleaning, path.resolve(options.outputsDir), output);
    const locations = JSON.parse(
      readFileSync(path.join(packageRoot(), "examples/child-services/parent/data/input/values.json"), "utf8"),
    ) as unknown;
    const parent = await askShowingProgress(url, "examples/parent", { inputValues: locations }, output);

    let picture: string | undefined;
    const surface = fractal.answer?.output_values as { data?: { z?: number[][] } } | undefined;
    if (surface?.data?.z !== undefined) {
      picture = path.resolve(options.output);
      writeFileSync(picture, surfaceToPng(surface.data.z));
    }
    await printSummary(client, [fractal, cleaning, parent], { picture, downloaded }, output);
    const succeeded =
      [fractal, cleaning, parent].every((asked) => asked.error === undefined) && downloaded !== undefined;

    if (options.keepRunning === true) {
      output.stdout.write(
        `\nThe network is still running. Try, in another terminal:\n  twined question events get --originator-question-uuid ${parent.questionUuid} --network ${url}\n  twined question ask examples/elevation -i '{"locations": [{"longitude": 5, "latitude": 45}]}' --network ${url}\nCtrl-C stops it.\n`,
      );
      await new Promise<void>((resolve) => {
        process.once("SIGINT", () => resolve());
        process.once("SIGTERM", () => resolve());
      });
    }
    return succeeded ? EXIT.ok : EXIT.invalid;
  } catch (error) {
    output.stderr.write(`${describeError(error)}\n`);
    return EXIT.invalid;
  } finally {
    server?.closeAllConnections();
    await new Promise((resolve) => (server === undefined ? resolve(undefined) : server.close(resolve)));
    await network?.close();
  }
}

/** Copies the shipped examples into the data folder (their outputs land there) and registers each as a default. */
async function registerExamples(client: NetworkClient, dataDirectory: string, size: number): Promise<void> {
  for (const { folder, name } of EXAMPLES) {
    const directory = serviceDirectory(dataDirectory, name);
    mkdirSync(path.dirname(directory), { recursive: true });
    cpSync(path.join(packageRoot(), "examples", folder), directory, {
      recursive: true,
      filter: (source) => !source.includes(`${path.sep}.twined`) && !source.includes("__pycache__"),
    });
    if (name === "fractal") sizeFractal(directory, size);
    const twine = JSON.parse(readFileSync(path.join(directory, "twine.json"), "utf8")) as Record<string, unknown>;
    await client.registerRevision("examples", name, TAG, {
      twine,
      source: { kind: "directory", path: directory },
      default: true,
    });
  }
}

function serviceDirectory(dataDirectory: string, name: string): string {
  return path.join(dataDirectory, "services", name);
}

/** Points the fractal copy at a configuration of the requested size. */
function sizeFractal(directory: string, size: number): void {
  const configurationFile = path.join(directory, "data", "configuration", "configuration_values.json");
  const configuration = JSON.parse(readFileSync(configurationFile, "utf8")) as Record<string, unknown>;
  writeFileSync(configurationFile, JSON.stringify({ ...configuration, width: size, height: size }, null, 2));
}

interface Asked extends AskResult {
  readonly serviceId: string;
}

async function askShowingProgress(
  url: string,
  serviceId: string,
  question: { inputValues?: unknown; inputManifest?: Record<string, unknown> },
  output: CliOutput,
): Promise<Asked> {
  output.stderr.write(`${pc.bold("Asking")} ${serviceId}\n`);
  const sink = new TerminalEventSink(output.stderr, { json: false });
  const progress = new QuestionProgress(output.stderr, serviceId);
  let questionUuid = "";
  const result = await new Child({ id: serviceId, network: url }).ask({
    ...question,
    raiseErrors: false,
    onAsked: (uuid, recipient) => {
      questionUuid = uuid;
      progress.asked(uuid, recipient);
    },
    onStatus: (status) => progress.status(status),
    onEvent: (envelope) => progress.around(() => void sink.emit(envelope)),
  });
  progress.stop();
  if (result.error !== undefined) output.stderr.write(`${pc.red(describeError(result.error))}\n`);
  output.stderr.write("\n");
  return { ...result, questionUuid: result.questionUuid || questionUuid, serviceId };
}

/**
 * Downloads the cleaning's output dataset as `twined question ask --download-outputs` does; its folder, or undefined
 * (saying why) when there is nothing to download or the download failed.
 */
async function downloadCleaned(
  client: NetworkClient,
  cleaning: Asked,
  directory: string,
  output: CliOutput,
): Promise<string | undefined> {
  if (cleaning.error !== undefined) return undefined;
  try {
    await downloadOutputs(
      cleaning.questionUuid,
      cleaning.answer?.output_manifest,
      directory,
      (uuid) => client.signedOutputManifest(uuid),
      output,
    );
  } catch (error) {
    output.stderr.write(`${pc.red(`The output dataset was not downloaded: ${describeError(error)}`)}\n`);
    return undefined;
  }
  output.stderr.write("\n");
  const folder = path.join(directory, CLEANED_DATASET);
  if (existsSync(folder)) return folder;
  output.stderr.write(`${pc.red(`The answer has no ${CLEANED_DATASET} dataset in storage to download`)}\n`);
  return undefined;
}

/** What the summary shows beside the answers: the files the demo wrote. */
interface Written {
  readonly picture: string | undefined;
  readonly downloaded: string | undefined;
}

async function printSummary(
  client: NetworkClient,
  asked: readonly Asked[],
  written: Written,
  output: CliOutput,
): Promise<void> {
  output.stdout.write(`${pc.bold("Summary")}\n`);
  for (const each of asked) {
    const question = await client.question(each.questionUuid);
    output.stdout.write(`  ${line(question)}  ${describeAnswer(each, written)}\n`);
    const children = await client.listQuestions({ parent_question_uuid: each.questionUuid });
    children.forEach((child, index) => {
      output.stdout.write(`    ${index === children.length - 1 ? "└" : "├"} ${line(child)}\n`);
    });
  }
}

function line(question: QuestionSummary): string {
  const times = (question.status_times ?? {}) as Record<string, string | undefined>;
  const end = times[question.status];
  const seconds =
    times.received !== undefined && end !== undefined
      ? (Date.parse(end) - Date.parse(times.received)) / 1000
      : undefined;
  const status = question.status === "succeeded" ? pc.green(question.status) : pc.red(question.status);
  return `${question.recipient.padEnd(30)} ${status}${seconds === undefined ? "" : ` in ${seconds.toFixed(1)} s`}`;
}

function describeAnswer(asked: Asked, { picture, downloaded }: Written): string {
  if (asked.error !== undefined) return pc.red(asked.error.name);
  if (asked.serviceId === "examples/using-manifests") return describeCleaning(asked.answer, downloaded);
  if (asked.serviceId === "examples/fractal") {
    const surface = asked.answer?.output_values as { layout?: { width?: number; height?: number; title?: string } };
    const size = `${surface.layout?.width}×${surface.layout?.height}`;
    return `${surface.layout?.title ?? "the Mandelbrot set"}, ${size}${picture === undefined ? "" : ` → ${displayPath(picture)}`}`;
  }
  return JSON.stringify(asked.answer?.output_values);
}
