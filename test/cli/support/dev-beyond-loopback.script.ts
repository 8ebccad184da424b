/**
 * Run inside a network namespace with only loopback (see dev-token.test.ts): starts `twined dev --host 0.0.0.0`, which
 * there reaches nothing but this machine's loopback, and prints what a stranger and a token holder each get, as one
 * JSON line. `twined dev` is started twice on one data directory, to see what the second start prints.
 */
import { cpSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { NetworkClient } from "../../../shared/client/index.js";
import { startTwined, type TwinedProcess } from "../../support/twined-process.js";
import { waitFor } from "../../support/wait-for.js";

const data = mkdtempSync(path.join(tmpdir(), "twined-dev-token-"));
const dataDir = path.join(data, ".twined");
const environment = { ...process.env, TWINED_TOKEN: "", TWINED_ID_TOKEN: "" };

async function startDev(): Promise<{ twined: TwinedProcess; port: string }> {
  const twined = startTwined(
    ["dev", "--host", "0.0.0.0", "--port", "0", "--data-dir", dataDir, "--cpus", "2"],
    undefined,
    environment,
  );
  // The whole start-up message, whose last paragraph says how the network is reached: the token's lines come before
  // it, and may arrive in a later chunk than the "listening" line.
  await waitFor(() => /listening on http:\/\/0\.0\.0\.0:(\d+)[\s\S]*reach it over HTTP/.test(twined.output.stdout), {
    // Slow only on a machine busy with other suites.
    timeoutMs: 90_000,
    intervalMs: 50,
    description: () => `twined dev to listen (${twined.output.stderr})`,
  });
  return { twined, port: /listening on http:\/\/0\.0\.0\.0:(\d+)/.exec(twined.output.stdout)?.[1] ?? "" };
}

async function status(url: string, token?: string): Promise<{ status: number; type?: string }> {
  const response = await fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
  const body = (await response.json()) as { error?: { type?: string } };
  return { status: response.status, ...(body.error?.type === undefined ? {} : { type: body.error.type }) };
}

const first = await startDev();
const base = `http://127.0.0.1:${first.port}`;
const tokenFile = path.join(dataDir, "network-token");
const token = readFileSync(tokenFile, "utf8").trim();
const result: Record<string, unknown> = {
  printedOnFirstStart: first.twined.output.stdout.includes(token),
  fileMode: (statSync(tokenFile).mode & 0o777).toString(8),
  tokenLength: token.length,
  healthWithoutToken: await status(`${base}/healthz`),
  questionsWithoutToken: await status(`${base}/questions`),
  questionsWithWrongToken: await status(`${base}/questions`, "x".repeat(43)),
  questionsWithToken: await status(`${base}/questions`, token),
};

// A parent whose job asks two children through the network: the jobs must present the token too.
const client = new NetworkClient(base, { identityToken: token });
for (const name of ["elevation", "wind-speed", "parent"]) {
  const directory = path.join(data, name);
  cpSync(path.resolve("examples/child-services", name), directory, { recursive: true });
  await client.registerRevision("examples", name, "0.1.0", {
    twine: JSON.parse(readFileSync(path.join(directory, "twine.json"), "utf8")) as unknown,
    source: { kind: "directory", path: directory },
    default: true,
  });
}
const asked = await client.ask({
  recipient: "examples/parent",
  input_values: { locations: [{ longitude: 0, latitude: 0 }] },
});
let question = await client.question(asked.question_uuid);
await waitFor(
  async () => {
    question = await client.question(asked.question_uuid);
    return question.status === "succeeded" || question.status === "failed";
  },
  { timeoutMs: 120_000, intervalMs: 200, description: () => `the parent question to end (${question.status})` },
);
result.parentStatus = question.status;
result.parentError = question.error;
first.twined.kill("SIGINT");
result.firstExit = await first.twined.exited;

const second = await startDev();
result.printedOnSecondStart = second.twined.output.stdout.includes(token);
result.secondMentionsFile = second.twined.output.stdout.includes("network-token");
result.questionsWithTokenAfterRestart = await status(`http://127.0.0.1:${second.port}/questions`, token);
second.twined.kill("SIGINT");
result.secondExit = await second.twined.exited;
process.stdout.write(`${JSON.stringify(result)}\n`);
