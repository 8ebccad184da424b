import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { emulatorStorage } from "../../dev/emulator-storage.js";
import { type EmbeddedNetwork, startEmbeddedNetwork } from "../../platform/embedded-network.js";
import { createHttpApi } from "../../platform/http-api.js";
import { copyOfExample, registerFolder } from "../scenarios/scenario-services.js";
import { describeWithStorageEmulator, uniqueName } from "../support/emulators.js";
import { runTwined } from "./run-cli.js";

/**
 * A network whose jobs run elsewhere (they cannot read the asker's disk), with its datasets on the Storage emulator:
 * what an asker meets with a deployed network.
 */
describeWithStorageEmulator(
  "datasets on the asker's machine, asked of a network whose jobs cannot read them",
  (info) => {
    let network: EmbeddedNetwork;
    let server: Server;
    let url: string;
    const scratch = mkdtempSync(path.join(tmpdir(), "twined-cli-datasets-"));
    const manifestFile = path.join(scratch, "manifest.json");

    beforeAll(async () => {
      network = await startEmbeddedNetwork({
        dataDirectory: path.join(scratch, ".twined"),
        databasePath: ":memory:",
        cpuQuota: 2,
        readsLocalFiles: false,
        storage: () => emulatorStorage(info.projectId, uniqueName("cli").toLowerCase()),
      });
      server = createHttpApi(network, { pollIntervalMs: 20 }).listen(0, "127.0.0.1");
      await new Promise((resolve) => server.once("listening", resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      network.setNetworkUrl(url);
      await registerFolder(url, copyOfExample("using-manifests"), {
        namespace: "examples",
        name: "using-manifests",
        tag: "0.1.0",
      });
      // A manifest naming the example's dataset by its path on this machine, as an asker would write it.
      const dataset = path.resolve("examples/using-manifests/data/input/raw_met_mast_data");
      writeFileSync(
        manifestFile,
        JSON.stringify({ id: crypto.randomUUID(), datasets: { raw_met_mast_data: dataset } }),
      );
    }, 60_000);

    afterAll(async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await network.close();
    });

    it("refuses a question naming a local path, saying which dataset and how to fix it", async () => {
      const response = await fetch(`${url}/questions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          recipient: "examples/using-manifests",
          input_manifest: JSON.parse(readFileSync(manifestFile, "utf8")),
        }),
      });
      expect(response.status).toBe(400);
      const body = (await response.json()) as {
        error: { type: string; message: string; details: { pointer?: string } };
      };
      expect(body.error.type).toBe("FileLocationError");
      expect(body.error.message).toContain("The dataset 'raw_met_mast_data' of the input manifest is at a local path");
      expect(body.error.details.pointer).toBe("/input_manifest/datasets/raw_met_mast_data");
    });

    it("uploads the asker's local dataset, asks with its gs:// path, and downloads the outputs", async () => {
      const downloads = path.join(scratch, "downloads");
      const asked = await runTwined([
        "question",
        "ask",
        "examples/using-manifests",
        "-m",
        `@${manifestFile}`,
        "--download-outputs",
        downloads,
        "--network",
        url,
      ]);
      expect(asked.stderr).not.toMatch(/error/i);
      expect(asked.code).toBe(0);
      const answer = JSON.parse(asked.stdout) as { output_values: { row_count: number } };
      expect(answer.output_values.row_count).toBe(40);
      const cleaned = path.join(downloads, "cleaned_met_mast_data", "cleaned.csv");
      expect(existsSync(cleaned)).toBe(true);
      const rows = readFileSync(cleaned, "utf8").trimEnd().split("\n");
      expect(rows[0]).toMatch(/^time_stamp,/);
      expect(rows.slice(1)).toHaveLength(40);
      // The dataset's metadata comes with it, as Octue keeps a downloaded dataset (files' labels are not: the Storage
      // emulator sends no custom metadata with a signed URL's object, test/examples/using-manifests-network.test.ts).
      const metadata = JSON.parse(readFileSync(path.join(path.dirname(cleaned), ".octue"), "utf8")) as {
        dataset: unknown;
      };
      expect(metadata.dataset).toMatchObject({ labels: ["cleaned", "mast", "met"], files: ["cleaned.csv"] });
      expect(asked.stderr).toContain(
        `Downloaded cleaned_met_mast_data to ${path.join(downloads, "cleaned_met_mast_data")}`,
      );

      // The same dataset asked about again is not uploaded again: its contents name the place it was stored.
      const uploads = await network.storage.store.list(`${network.storage.uploadsLocation}/`);
      const documents = uploads.objects.filter((object) => object.path.endsWith("/.octue"));
      expect(documents).toHaveLength(1);
      const again = await runTwined([
        "question",
        "ask",
        "examples/using-manifests",
        "-m",
        `@${manifestFile}`,
        "--network",
        url,
      ]);
      expect(again.code).toBe(0);
      const after = await network.storage.store.list(`${network.storage.uploadsLocation}/`);
      expect(after.objects.map((object) => object.path)).toEqual(uploads.objects.map((object) => object.path));
    }, 120_000);
  },
);
