import { spawn } from "node:child_process";
import path from "node:path";
import type { FakeContainerRun, FakeRunningContainer } from "./fake-kubernetes/index.js";
import { testTwinedCommand } from "./twined-command.js";

/** Stand-in for a registry: which service folder each image was "built" from. */
export class FolderImages {
  private readonly folders = new Map<string, string>();

  /** The image a folder's revision becomes, as a service's Cloud Build would push it. */
  imageFor(folder: string, id: { namespace: string; name: string; tag: string }): string {
    const image = `registry.test/services/${id.namespace}/${id.name}:${id.tag}`;
    this.folders.set(image, folder);
    return image;
  }

  has(image: string): boolean {
    return this.folders.has(image);
  }

  folder(image: string): string | undefined {
    return this.folders.get(image);
  }
}

/**
 * A fake kubelet's container runtime: it runs a pod's container as a local process, the way the default image would
 * (runtime/Dockerfile): the `twined` entry point in the service's folder, with the container's environment on top of
 * this machine's (for Python and Node). What the process prints goes to `onOutput`.
 */
export function runnerContainers(
  images: FolderImages,
  onOutput: (podName: string, text: string) => void = () => {},
): (run: FakeContainerRun) => FakeRunningContainer {
  return (run) => {
    const folder = images.folder(run.image);
    if (folder === undefined) throw new Error(`no folder for image ${run.image}`);
    const [entry, ...rest] = run.command;
    if (entry !== "twined") throw new Error(`the fake kubelet runs the twined entry point only, not ${entry}`);
    const [command = process.execPath, ...prefix] = testTwinedCommand();
    const child = spawn(command, [...prefix, ...rest, ...run.args], {
      cwd: folder,
      env: {
        ...process.env,
        NO_COLOR: "1",
        // What runtime/Dockerfile sets in every service image.
        PYTHONUNBUFFERED: "1",
        OCTUE_SERVICE_CONFIGURATION_PATH: path.join(folder, "octue.yaml"),
        ...run.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group, so that a hard kill takes the app's Python process with it, as a container's end does.
      detached: true,
    });
    child.stdout?.setEncoding("utf8").on("data", (text: string) => onOutput(run.podName, text));
    child.stderr?.setEncoding("utf8").on("data", (text: string) => onOutput(run.podName, text));
    const ended = new Promise<{ exitCode: number; reason?: string }>((resolve) => {
      child.on("close", (code, signal) => {
        const exitCode = code ?? (signal === "SIGKILL" ? 137 : 143);
        resolve({ exitCode, reason: exitCode === 0 ? "Completed" : "Error" });
      });
      child.on("error", () => resolve({ exitCode: 128, reason: "StartError" }));
    });
    return {
      ended,
      kill: () => {
        if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
      },
      stop: () => {
        child.kill("SIGTERM");
        const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        void ended.then(() => clearTimeout(killer));
      },
    };
  };
}
