import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { answerChildRequest } from "../../../runtime/runner/child-requests.js";
import type { ResolvedDataset } from "../../../shared/datasets/index.js";
import { createQuestionAttributes, type SerialisedManifest } from "../../../shared/events/index.js";
import type { ChildAsker, ChildQuestion } from "../../../shared/ports/index.js";
import { encodeDatafileMetadata } from "../../../shared/storage/index.js";
import { type ServedFolderStorage, serveFolderStorage } from "../../support/folder-storage.js";

const parentQuestion = createQuestionAttributes({ sender: "tests/asker:1.0.0", recipient: "tests/parent:1.0.0" });
const child = { key: "cleaner", id: "tests/cleaner:1.0.0", backend: { name: "GCPPubSubBackend", project_id: "p" } };

/** A child that answers with `answer` and remembers what it was asked. */
function recordingChild(answer: SerialisedManifest | null): { asker: ChildAsker; asked: ChildQuestion[] } {
  const asked: ChildQuestion[] = [];
  return {
    asked,
    asker: {
      async ask(question) {
        asked.push(question);
        return {
          questionUuid: "b0c5a4e2-2a43-4a4e-9a59-5d7c54c1d2a1",
          childSruid: child.id,
          outcome: { kind: "result", outputValues: { ok: true }, outputManifest: answer },
        };
      },
    },
  };
}

describe("datasets a parent passes to its children", () => {
  let served: ServedFolderStorage;

  beforeEach(async () => {
    served = await serveFolderStorage();
    await served.store.upload(Buffer.from("a,b\n"), "gs://parent-inputs/raw/data.csv", {
      metadata: encodeDatafileMetadata({ labels: ["raw"] }),
    });
    await served.store.upload(Buffer.from("x"), "gs://child-outputs/q/cleaned/clean.csv", {
      metadata: encodeDatafileMetadata({ labels: ["clean"] }),
    });
  });

  afterEach(async () => {
    await served.close();
  });

  const request = (inputManifest: unknown) => ({
    id: 1,
    key: "cleaner",
    input_values: null,
    input_manifest: inputManifest,
    timeout: null,
    question_uuid: null,
  });

  it("signs the parent's gs:// datasets before asking, so the child needs no access to the parent's bucket", async () => {
    const { asker, asked } = recordingChild(null);
    const response = await answerChildRequest(
      request({
        id: "6b3f3a0e-0b6e-4f0c-9d7c-2a1e8c3d4b5f",
        datasets: { raw: "gs://parent-inputs/raw", here: "local/x" },
      }),
      {
        children: [child],
        childAsker: asker,
        parentQuestion,
        askerSruid: "tests/parent:1.0.0",
        relayLog: () => {},
        datasets: { store: served.store },
      },
    );
    expect(response.error).toBeNull();
    const sent = asked[0]?.inputManifest as SerialisedManifest;
    expect(sent.datasets.raw).toMatch(new RegExp(`^${served.url}/storage/parent-inputs/raw/\\.signed_metadata_files/`));
    expect(sent.datasets.here).toBe("local/x");
  });

  it("reads the child's gs:// output datasets for the app, metadata and all, downloading nothing", async () => {
    const { asker } = recordingChild({
      id: "6b3f3a0e-0b6e-4f0c-9d7c-2a1e8c3d4b5f",
      datasets: { cleaned: "gs://child-outputs/q/cleaned" },
    });
    const response = await answerChildRequest(request(null), {
      children: [child],
      childAsker: asker,
      parentQuestion,
      askerSruid: "tests/parent:1.0.0",
      relayLog: () => {},
      datasets: { store: served.store },
    });
    const manifest = response.answer?.output_manifest as SerialisedManifest;
    const cleaned = manifest.datasets.cleaned as ResolvedDataset;
    expect(cleaned.files.map((file) => [file.path, file.labels])).toEqual([
      ["gs://child-outputs/q/cleaned/clean.csv", ["clean"]],
    ]);
  });

  it("tells the app when the child's outputs cannot be read from here, naming the child's question", async () => {
    const { asker } = recordingChild({
      id: "6b3f3a0e-0b6e-4f0c-9d7c-2a1e8c3d4b5f",
      datasets: { cleaned: "gs://child-outputs/q/cleaned" },
    });
    const response = await answerChildRequest(request(null), {
      children: [child],
      childAsker: asker,
      parentQuestion,
      askerSruid: "tests/parent:1.0.0",
      relayLog: () => {},
      datasets: { unavailable: "this job has no storage" },
    });
    expect(response.question_uuid).toBe("b0c5a4e2-2a43-4a4e-9a59-5d7c54c1d2a1");
    expect(response.error).toMatchObject({ type: "StorageNotConfigured" });
    expect(response.error?.message).toContain("cannot be read: Cannot read gs://child-outputs/q/cleaned");
  });
});
