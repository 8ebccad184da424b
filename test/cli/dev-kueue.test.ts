import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeKubernetes } from "../support/fake-kubernetes/index.js";
import { FolderImages, runnerContainers } from "../support/runner-containers.js";
import { startTwined } from "../support/twined-process.js";
import { waitFor } from "../support/wait-for.js";
import { runTwined } from "./run-cli.js";
import { askWindSpeed } from "./support/wind-speed-network.js";

describe("twined dev --launcher kueue", () => {
  let cluster: FakeKubernetes;
  let kubeconfig: string;
  const images = new FolderImages();
  const data = mkdtempSync(path.join(tmpdir(), "twined-dev-kueue-"));
  const service = path.join(data, "wind-speed");

  beforeAll(async () => {
    cpSync(path.resolve("examples/child-services/wind-speed"), service, { recursive: true });
    cluster = await FakeKubernetes.start({ runContainer: runnerContainers(images), imageExists: (i) => images.has(i) });
    await cluster.installKueue({ namespace: "questions" });
    kubeconfig = path.join(data, "kubeconfig");
    writeFileSync(kubeconfig, cluster.kubeconfigYaml("questions"));
  });

  afterAll(async () => {
    await cluster?.close();
  });

  it("runs each question as a Job queued by Kueue, for a revision registered as an image", async () => {
    const twined = startTwined([
      "dev",
      "--port",
      "0",
      "--data-dir",
      path.join(data, ".twined"),
      "--launcher",
      "kueue",
      "--kubeconfig",
      kubeconfig,
      "--namespace",
      "questions",
    ]);
    try {
      // Loading the Kubernetes client adds seconds to the start, more on a busy machine.
      await waitFor(() => /listening on (http:\/\/\S+) /.test(twined.output.stdout), {
        timeoutMs: 45_000,
        intervalMs: 50,
        description: () => `the network to listen: ${twined.output.stderr}`,
      });
      const base = /listening on (http:\/\/\S+) /.exec(twined.output.stdout)?.[1] ?? "";
      const image = images.imageFor(service, { namespace: "examples", name: "wind-speed", tag: "0.1.0" });
      const registered = await runTwined(
        ["revision", "register", "--image", image, "--tag", "0.1.0", "--default", "--network", base],
        service,
      );
      expect(registered).toMatchObject({ code: 0, stdout: expect.stringContaining("examples/wind-speed:0.1.0") });

      const { uuid, answer } = await askWindSpeed(base, 30_000);
      expect(answer).toEqual({ output_values: [59] });
      const job = cluster.jobs("questions").find((each) => JSON.stringify(each).includes(uuid));
      expect(JSON.stringify(job)).toContain(`"name":"question-${uuid}"`);
      expect(JSON.stringify(job)).toContain('"kueue.x-k8s.io/queue-name":"local-queue"');
    } finally {
      twined.kill("SIGINT");
    }
    expect(await twined.exited).toBe(0);
  }, 90_000);

  it("refuses to start without a usable cluster, or with Kueue options for the local launcher", async () => {
    const missing = await runTwined(["dev", "--launcher", "kueue", "--kubeconfig", path.join(data, "nothing")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nothing: no such file; pass the path of a kubeconfig/);
    const local = await runTwined(["dev", "--context", "prod"]);
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(/--context only applies with --launcher kueue/);
    const classes = await runTwined([
      "dev",
      "--launcher",
      "kueue",
      "--kubeconfig",
      kubeconfig,
      "--priority-classes",
      "urgent",
    ]);
    expect(classes.code).toBe(2);
    expect(classes.stderr).toMatch(/--priority-classes: 'urgent' is not 'name=value'/);
  });
});
