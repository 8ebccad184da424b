/**
 * `npm run functions:start`: every function as its own Functions Framework server, wired to the Pub/Sub and Firestore
 * emulators by push subscriptions, as a deployed network is, until Ctrl-C. Uses the emulators named by
 * PUBSUB_EMULATOR_HOST / FIRESTORE_EMULATOR_HOST, or starts its own.
 */
import { randomBytes } from "node:crypto";
import { throwawaySigner } from "../platform/network-storage.js";
import { ensureEmulators } from "./emulators.js";
import { startLocalTopology } from "./local-topology.js";

const projectId = process.env.GOOGLE_CLOUD_PROJECT || "twined-local";
const emulators = await ensureEmulators(projectId);
const topology = await startLocalTopology({
  projectId,
  pubsubHost: emulators.pubsubHost,
  firestoreHost: emulators.firestoreHost,
  environment: process.env.TWINED_ENVIRONMENT || "local",
  pushSecret: process.env.TWINED_PUSH_SECRET || randomBytes(16).toString("hex"),
  storage: { host: emulators.storageHost, bucketPrefix: "twined", signer: throwawaySigner(projectId) },
  onOutput: (name, text) => process.stderr.write(text.replace(/^(?=.)/gm, `[${name}] `)),
});
process.stdout.write(`Twined functions running (${emulators.description}).\nHTTP API: ${topology.url}\n`);
for (const [name, url] of Object.entries(topology.functionUrls)) process.stdout.write(`  ${name.padEnd(24)} ${url}\n`);
process.stdout.write("Ctrl-C stops them.\n");
await new Promise<void>((resolve) => {
  process.once("SIGINT", () => resolve());
  process.once("SIGTERM", () => resolve());
});
await topology.close();
emulators.stop();
