import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeDatafileMetadata } from "../../shared/storage/index.js";
import { runTwined } from "../cli/run-cli.js";
import { type EmulatorInfo, uniqueName, useEmulators } from "../support/emulators.js";
import { startTwined, type TwinedProcess } from "../support/twined-process.js";
import { waitFor } from "../support/wait-for.js";

/**
 * The commands of the using-manifests README's "On a network" section, run as it shows them, from a copy of the
 * example: `twined dev` and `twined service start` as processes of their own (they run until Ctrl-C), `twined question
 * ask` through the CLI. What askers meet on a network whose jobs cannot read their disk is test/cli/datasets.test.ts.
 */
const EXAMPLE = path.resolve("examples/using-manifests");
const README = readFileSync(path.join(EXAMPLE, "README.md"), "utf8");
const SERVICE_START = ["service", "start", "--default", "--revision-tag", "0.1.0"];
const ASK_ABOUT_LOCAL = ask("@data/input/manifest.json");
const ASK_ABOUT_STORED = ask("@in-storage.json");
const SIGNED_URLS = "    use_signed_urls_for_output_datasets: true";
/** The files the README uploads to the Storage emulator (the dataset's `.octue`, not its folder's). */
const STORED_FILES = [
  "raw_met_mast_data/.octue",
  "raw_met_mast_data/08DEC/Met Mast Data - 8 Dec_1.csv",
  "raw_met_mast_data/08DEC/Met Mast Data - 8 Dec_2.csv",
  "raw_met_mast_data/08DEC/meta - 8 Dec.dat",
];
const UUID = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";

function ask(manifest: string): string[] {
  return ["question", "ask", "examples/using-manifests", "-m", manifest, "--download-outputs", "outputs"];
}

interface Stack {
  readonly name: string;
  readonly devArguments: readonly string[];
  /** Puts the example's input dataset at gs://twined-uploads/raw_met_mast_data, as the README does there. */
  putInStorage(service: string): Promise<void>;
  /** A signed URL of the output dataset's document, as this stack's storage signs it. */
  readonly signedUrl: RegExp;
  /**
   * The labels of a stored file, where a download cannot show them: Cloud Storage sends a file's custom metadata
   * (`x-goog-meta-*`) with it when it is read by a signed URL, as `--download-outputs` reads it; the Storage emulator
   * sends none.
   */
  readonly storedLabels?: (objectPath: string) => Promise<unknown>;
}

const emulators = useEmulators();

const embedded: Stack = {
  name: "a network on this machine (twined dev)",
  devArguments: [],
  putInStorage: async (service) => {
    const uploads = path.join(service, ".twined", "storage", "twined-uploads");
    mkdirSync(uploads, { recursive: true });
    cpSync(path.join(service, "data", "input", "raw_met_mast_data"), path.join(uploads, "raw_met_mast_data"), {
      recursive: true,
    });
  },
  signedUrl: new RegExp(
    `^http://127\\.0\\.0\\.1:\\d+/storage/twined-outputs/${UUID}/cleaned_met_mast_data/\\.signed_metadata_files/[^?/]+\\?expires=\\d+&signature=[0-9a-f]+$`,
  ),
};

function emulatorStack(info: EmulatorInfo): Stack {
  return {
    name: "the Google emulators (twined dev --backend emulators)",
    // A project of its own: other suites' networks on the same emulators use the same topic names.
    devArguments: ["--backend", "emulators", "--project", uniqueName("using-manifests")],
    putInStorage: async (service) => {
      for (const name of STORED_FILES) {
        const url = new URL(`${info.storageHost}/upload/storage/v1/b/twined-uploads/o?uploadType=media`);
        url.searchParams.set("name", name);
        const response = await fetch(url, {
          method: "POST",
          body: readFileSync(path.join(service, "data", "input", name)),
        });
        expect(response.status, await response.text()).toBe(200);
      }
    },
    signedUrl: new RegExp(
      `^http://127\\.0\\.0\\.1:\\d+/twined-outputs/${UUID}/cleaned_met_mast_data/\\.signed_metadata_files/[^?/]+\\?X-Goog-Algorithm=GOOG4-RSA-SHA256&`,
    ),
    storedLabels: async (objectPath) => {
      const [, bucket, name] = /^gs:\/\/([^/]+)\/(.+)$/.exec(objectPath) ?? [];
      const response = await fetch(
        `${info.storageHost}/storage/v1/b/${bucket}/o/${encodeURIComponent(name ?? "")}?alt=json`,
      );
      const object = (await response.json()) as { metadata?: Record<string, string> };
      return decodeDatafileMetadata(object.metadata ?? {}).labels;
    },
  };
}

describe("the using-manifests README", () => {
  it("shows the commands these tests run", () => {
    for (const command of [SERVICE_START, ASK_ABOUT_LOCAL, ASK_ABOUT_STORED]) {
      expect(README).toContain(`twined ${command.join(" ")}`);
    }
    expect(README).toContain("twined dev --backend emulators");
    expect(README).toContain(SIGNED_URLS);
    expect(inStorageManifest()).toMatchObject({
      datasets: { raw_met_mast_data: { path: "gs://twined-uploads/raw_met_mast_data" } },
    });
  });
});

describeStack(embedded);
// Skipped loudly by the global setup without the emulators, or failed with TWINED_REQUIRE_EMULATORS=1.
describeStack(emulatorStack(emulators), { skip: !(emulators.available && emulators.storageAvailable) });

function describeStack(stack: Stack, { skip = false } = {}): void {
  describe.skipIf(skip)(`the using-manifests README on ${stack.name}`, () => {
    let scratch: string;
    let service: string;
    let network: TwinedProcess | undefined;
    let serving: TwinedProcess | undefined;
    let url: string;

    beforeAll(async () => {
      scratch = mkdtempSync(path.join(tmpdir(), "twined-using-manifests-"));
      service = path.join(scratch, "using-manifests");
      cpSync(EXAMPLE, service, { recursive: true, filter: (source) => !source.includes("__pycache__") });
      network = startTwined(["dev", "--port", "0", "--cpus", "2", ...stack.devArguments], service);
      // On the emulators it first provisions its topics and subscriptions, slow on a busy machine.
      await waitFor(() => /listening on (http:\/\/\S+) /.test(network?.output.stdout ?? ""), {
        timeoutMs: 45_000,
        intervalMs: 50,
        description: () => `twined dev to listen (it said: ${network?.output.stdout}${network?.output.stderr})`,
      });
      url = /listening on (http:\/\/\S+) /.exec(network.output.stdout)?.[1] ?? "";
      serving = startTwined([...SERVICE_START, "--network", url], service);
      await waitFor(() => serving?.output.stdout.includes("Serving examples/using-manifests:0.1.0") === true, {
        timeoutMs: 20_000,
        intervalMs: 50,
        description: () => `the service to be registered (it said: ${serving?.output.stdout}${serving?.output.stderr})`,
      });
    }, 70_000);

    afterAll(async () => {
      serving?.kill("SIGINT");
      network?.kill("SIGINT");
      await Promise.all([serving?.exited, network?.exited]);
      if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
    });

    it("answers about the dataset on this machine with the output dataset's gs:// path, and downloads it", async () => {
      const { dataset, questionPrefix } = await askAsTheReadme(ASK_ABOUT_LOCAL);
      expect(dataset).toMatch(new RegExp(`^gs://twined-outputs/${questionPrefix}[0-9a-f-]+/cleaned_met_mast_data$`));
      if (stack.storedLabels !== undefined) {
        expect(await stack.storedLabels(`${dataset}/cleaned.csv`)).toEqual(["timeseries"]);
      }
      expectCleanedDataset(path.join(service, "outputs", "cleaned_met_mast_data"), stack);
    }, 30_000);

    it("answers about the dataset in storage, its files' metadata given by the manifest", async () => {
      await stack.putInStorage(service);
      writeFileSync(path.join(service, "in-storage.json"), JSON.stringify(inStorageManifest()));
      const { dataset, stderr } = await askAsTheReadme(ASK_ABOUT_STORED);
      expect(dataset).toMatch(new RegExp(`^gs://twined-outputs/${UUID}/cleaned_met_mast_data$`));
      expect(stderr).toContain("Cleaning dataset 'meteorological mast dataset' (labels ['mast', 'met', 'wind']");
      expectCleanedDataset(path.join(service, "outputs", "cleaned_met_mast_data"), stack);
    }, 30_000);

    it("answers with a signed URL that needs no credentials when the service configuration asks for one", async () => {
      appendFileSync(path.join(service, "octue.yaml"), `${SIGNED_URLS}\n`);
      const { dataset } = await askAsTheReadme(ASK_ABOUT_LOCAL);
      expect(dataset).toMatch(stack.signedUrl);
      const document = (await (await fetch(dataset)).json()) as { files?: unknown[] };
      expect(document.files).toHaveLength(1);
      expectCleanedDataset(path.join(service, "outputs", "cleaned_met_mast_data"), stack);
    }, 30_000);

    /** Runs a README command in the example's folder, over a fresh `outputs/`, and returns what it answered. */
    async function askAsTheReadme(command: string[]) {
      rmSync(path.join(service, "outputs"), { recursive: true, force: true });
      const { code, stdout, stderr } = await runTwined([...command, "--network", url], service);
      expect(code, stderr).toBe(0);
      const answer = JSON.parse(stdout) as {
        output_values: { row_count: number };
        output_manifest: { datasets: Record<string, string> };
      };
      expect(answer.output_values.row_count).toBe(40);
      expect(stderr).toContain(
        `Downloaded cleaned_met_mast_data to ${path.join(service, "outputs", "cleaned_met_mast_data")}`,
      );
      return {
        dataset: answer.output_manifest.datasets.cleaned_met_mast_data ?? "",
        questionPrefix: /\[examples\/using-manifests:0\.1\.0 \| ([0-9a-f]{8})\]/.exec(stderr)?.[1] ?? "",
        stderr,
      };
    }
  });
}

/** The manifest the README writes to in-storage.json. */
function inStorageManifest(): unknown {
  const text = /cat > in-storage\.json <<'EOF'\n([\s\S]*?)\nEOF\n/.exec(README)?.[1];
  if (text === undefined) throw new Error("the README writes no in-storage.json");
  return JSON.parse(text);
}

/** The cleaned dataset as downloaded: the CSV with its 40 readings, and Octue's metadata of it and its file. */
function expectCleanedDataset(folder: string, stack: Stack): void {
  const rows = readFileSync(path.join(folder, "cleaned.csv"), "utf8").trimEnd().split("\n");
  expect(rows[0]).toBe("time_stamp,barometer_2,barometer_1,temp_2,temp_1,wind_vane_2,wind_vane_1,anemo_2,anemo_1");
  expect(rows.slice(1)).toHaveLength(40);
  expect(rows[1]).toMatch(/^2019-12-08T00:00:00\.400000\+00:00,1009\.8,/);
  expect(rows.at(-1)).toMatch(/^2019-12-08T00:01:57\.400000\+00:00,/);
  const metadata = JSON.parse(readFileSync(path.join(folder, ".octue"), "utf8")) as {
    dataset: unknown;
    datafiles: Record<string, unknown>;
  };
  expect(metadata.dataset).toMatchObject({
    name: "cleaned_met_mast_data",
    labels: ["cleaned", "mast", "met"],
    tags: { location: 108346 },
    files: ["cleaned.csv"],
  });
  expect(metadata.datafiles["cleaned.csv"]).toMatchObject({
    labels: stack.storedLabels === undefined ? ["timeseries"] : [],
  });
}
