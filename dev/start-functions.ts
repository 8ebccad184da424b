/**
 * `npm run functions:start`: every function as its own Functions Framework server, wired to the Pub/Sub and Firestore
 * emulators by push subscriptions, as a deployed network is, until Ctrl-C. Uses the emulators named by
 * PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST, or starts its own. `-- --log-format json` prints every line as JSON
 * with Cloud Logging's fields (the functions' own lines as they wrote them); by default, readable text. The topics are
 * Octue's, as `twined dev`'s: environment `main` (`TWINED_ENVIRONMENT`), services topic
 * `<environment>.octue.twined.services` unless `TWINED_SERVICES_TOPIC_NAME` names another.
 */
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { throwawaySigner } from "../platform/network-storage.js";
import { terminalLogger } from "../shared/adapters/embedded/terminal-log/index.js";
import { cloudLoggingLogger } from "../shared/adapters/google/cloud-logging/index.js";
import { topicNames } from "../shared/control-plane/index.js";
import { type Logger, useProcessLogger } from "../shared/ports/index.js";
import { ensureEmulators } from "./emulators.js";
import { startLocalTopology } from "./local-topology.js";

const projectId = process.env.GOOGLE_CLOUD_PROJECT || "twined-local";
const { values: flags } = parseArgs({ options: { "log-format": { type: "string", default: "text" } } });
const json = flags["log-format"] === "json";
const log: Logger = json
  ? cloudLoggingLogger({ stream: process.stdout, projectId })
  : terminalLogger({ stream: process.stdout });
useProcessLogger(json ? log : terminalLogger());
const environment = process.env.TWINED_ENVIRONMENT || "main";
const servicesTopic = process.env.TWINED_SERVICES_TOPIC_NAME || undefined;
const emulators = await ensureEmulators(projectId);
const topology = await startLocalTopology({
  projectId,
  pubsubHost: emulators.pubsubHost,
  firestoreHost: emulators.firestoreHost,
  environment,
  ...(servicesTopic === undefined ? {} : { servicesTopic }),
  pushSecret: process.env.TWINED_PUSH_SECRET || randomBytes(16).toString("hex"),
  storage: { host: emulators.storageHost, bucketPrefix: "twined", signer: throwawaySigner(projectId) },
  onOutput: (name, text) => {
    for (const line of text.split("\n")) if (line.trim() !== "") functionLine(name, line);
  },
});
log.info(`Twined functions running (${emulators.description}).`);
log.info(`HTTP API: ${topology.url}`);
log.info(
  `An Octue parent reaches it with GOOGLE_CLOUD_PROJECT=${projectId} PUBSUB_EMULATOR_HOST=${emulators.pubsubHost} TWINED_SERVICES_TOPIC_NAME=${topicNames(environment, { TWINED_SERVICES_TOPIC_NAME: servicesTopic }).services}`,
);
for (const [name, url] of Object.entries(topology.functionUrls)) log.info(`  ${name.padEnd(24)} ${url}`);
log.info("Ctrl-C stops them.");
await new Promise<void>((resolve) => {
  process.once("SIGINT", () => resolve());
  process.once("SIGTERM", () => resolve());
});
await topology.close();
emulators.stop();

/**
 * A line a function process printed: its own JSON lines (it logs as when deployed) pass through in JSON mode and are
 * shown as `[name] SEVERITY: message` in text mode; anything else it printed is logged under its name.
 */
function functionLine(name: string, line: string): void {
  const entry = parsedEntry(line);
  if (json) {
    if (entry === undefined) log.info(line, { labels: { function: name } });
    else process.stdout.write(`${line}\n`);
    return;
  }
  if (entry === undefined) process.stderr.write(`[${name}] ${line}\n`);
  else {
    const shown = entry.severity === "INFO" || entry.severity === undefined ? "" : `${entry.severity}: `;
    process.stderr.write(`[${name}] ${shown}${entry.message}\n`.replace(/\n(?=.)/g, `\n[${name}] `));
  }
}

function parsedEntry(line: string): { message: string; severity?: string } | undefined {
  if (!line.startsWith("{")) return undefined;
  try {
    const parsed: unknown = JSON.parse(line);
    if (typeof parsed !== "object" || parsed === null) return undefined;
    const { message, severity } = parsed as { message?: unknown; severity?: unknown };
    if (typeof message !== "string") return undefined;
    return typeof severity === "string" ? { message, severity } : { message };
  } catch {
    return undefined;
  }
}
