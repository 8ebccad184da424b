import type { AddressInfo } from "node:net";
import { startEmbeddedNetwork } from "../../shared/platform/embedded-network.js";
import { createHttpApi } from "../../shared/platform/http-api.js";
import type { DevOptions } from "../commands/dev.js";
import type { EmulatorBackend } from "../google-backend.js";
import { type CliOutput, describeError, displayPath, EXIT } from "../output.js";

/** Runs the embedded network and its HTTP API until SIGINT or SIGTERM, then shuts both down cleanly. */
export async function runDevNetwork(options: DevOptions, output: CliOutput): Promise<number> {
  let backend: EmulatorBackend | undefined;
  if (options.backend === "emulators") {
    try {
      // Loaded only here: the Google client libraries take a while to load, and the embedded network needs none.
      const { emulatorBackend } = await import("../google-backend.js");
      backend = await emulatorBackend(options.project);
    } catch (error) {
      output.stderr.write(`${describeError(error)}\n`);
      return EXIT.usage;
    }
    output.stderr.write(`Using the ${backend.description}\n`);
  }
  const network = await startEmbeddedNetwork({
    dataDirectory: options.dataDir,
    ...(backend === undefined ? {} : { eventBus: backend.eventBus, stores: backend.stores }),
    ...(options.cpus === undefined ? {} : { cpuQuota: options.cpus }),
    ...(options.isolatedJobs === true ? { jobs: "process" as const } : {}),
    onJobOutput: (questionUuid, text) => output.stderr.write(prefixLines(`[${questionUuid.slice(0, 8)}] `, text)),
    onDeadLetter: (reason) => output.stderr.write(`dead letter: ${reason}\n`),
  });
  const server = createHttpApi(network).listen(options.port, options.host);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("listening", resolve);
      server.once("error", reject);
    });
  } catch (error) {
    await network.close();
    backend?.stop();
    output.stderr.write(`cannot listen on ${options.host}:${options.port}: ${describeError(error)}\n`);
    return EXIT.usage;
  }
  const { port } = server.address() as AddressInfo;
  network.setNetworkUrl(`http://${options.host}:${port}`);
  output.stdout.write(
    `Twined network listening on http://${options.host}:${port} (data in ${displayPath(options.dataDir)}). Ctrl-C stops it.\n`,
  );
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
  output.stdout.write(`Stopping (${signal})…\n`);
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await network.close();
  backend?.stop();
  return EXIT.ok;
}

function prefixLines(prefix: string, text: string): string {
  return text.replace(/^(?=.)/gm, prefix);
}
