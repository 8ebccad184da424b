import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "vitest";
import { waitFor } from "../../support/wait-for.js";

/** Registers a copy of the wind-speed example (a folder) as examples/wind-speed:0.1.0, the default revision. */
export async function registerWindSpeed(base: string, service: string): Promise<void> {
  const put = await fetch(`${base}/registry/examples/wind-speed/revisions/0.1.0`, {
    method: "PUT",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      twine: JSON.parse(readFileSync(path.join(service, "twine.json"), "utf8")),
      source: { kind: "directory", path: service },
      default: true,
    }),
  });
  expect(put.status).toBe(201);
}

/** Asks the network's wind-speed service a question and waits until it has succeeded; its UUID and answer. */
export async function askWindSpeed(base: string, timeoutMs: number): Promise<{ uuid: string; answer: unknown }> {
  const asked = await fetch(`${base}/questions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      recipient: "examples/wind-speed",
      input_values: { locations: [{ longitude: 0, latitude: 0 }] },
    }),
  });
  expect(asked.status).toBe(202);
  const { question_uuid: uuid } = (await asked.json()) as { question_uuid: string };
  let question: { status?: string; answer?: unknown } = {};
  await waitFor(
    async () => {
      question = (await (await fetch(`${base}/questions/${uuid}`)).json()) as typeof question;
      return question.status === "succeeded";
    },
    { timeoutMs, intervalMs: 100, description: () => `the question to succeed (it is ${JSON.stringify(question)})` },
  );
  return { uuid, answer: question.answer };
}
