/**
 * The dashboard's list at the API: a page of 50 of 10,000 stored questions (`GET /questions`, with and without
 * filters, deep in the list by cursor) and the counts by status (`GET /questions/counts`), against `GET /healthz` on
 * the same server in the same run (the HTTP floor), requests alternated round by round. Medians in ms, and ratios.
 */

import { mkdtempSync } from "node:fs";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { startEmbeddedNetwork } from "../platform/embedded-network.js";
import { createHttpApi } from "../platform/http-api.js";
import { createQuestionAttributes } from "../shared/events/index.js";
import type { QuestionStore } from "../shared/ports/index.js";
import { median } from "./support.js";

const PARENTS = 2_000;
const CHILDREN_PER_PARENT = 4;
const ROUNDS = 200;
const SERVICES = ["bench/a:1", "bench/b:1", "bench/c:1", "bench/d:1"];

async function store(questions: QuestionStore, recipient: string, parent?: string): Promise<string> {
  const attributes = createQuestionAttributes({
    sender: "local/local:local",
    recipient,
    ...(parent === undefined ? {} : { parentQuestionUuid: parent, originatorQuestionUuid: parent }),
  });
  await questions.create({
    questionUuid: attributes.question_uuid,
    recipient,
    sender: attributes.sender,
    parentQuestionUuid: parent,
    originatorQuestionUuid: parent ?? attributes.question_uuid,
    question: { kind: "question", input_values: { n: 1 } },
    attributes,
    pushEndpoint: undefined,
    timeoutSeconds: undefined,
    priority: 0,
    resources: { cpus: 1 },
  });
  return attributes.question_uuid;
}

export async function benchQuestionList(): Promise<Record<string, unknown>> {
  const network = await startEmbeddedNetwork({ dataDirectory: mkdtempSync(path.join(tmpdir(), "twined-bench-list-")) });
  let middle = "";
  for (let n = 0; n < PARENTS; n++) {
    const parent = await store(network.questions, "bench/parent:1");
    if (n === PARENTS / 2) middle = parent;
    if (n % 3 === 0) await network.questions.transition(parent, "rejected");
    for (let c = 0; c < CHILDREN_PER_PARENT; c++) {
      await store(network.questions, SERVICES[(n + c) % SERVICES.length] ?? "bench/a:1", parent);
    }
  }
  const server: Server = createHttpApi(network, { dashboard: true }).listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const routes: Record<string, string> = {
    healthz: "/healthz",
    newestPage: "/questions?limit=50",
    topLevelPage: "/questions?limit=50&top_level=true",
    deepPageByCursor: `/questions?limit=50&top_level=true&cursor=${middle}`,
    serviceAndStatusPage: "/questions?limit=50&recipient=bench/c:1&status=received",
    countsTopLevel: "/questions/counts?top_level=true",
    countsAll: "/questions/counts",
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(routes).map((name) => [name, []]));
  for (let round = 0; round < ROUNDS + 10; round++) {
    for (const [name, route] of Object.entries(routes)) {
      const start = performance.now();
      const response = await fetch(`${base}${route}`);
      const body = (await response.json()) as { questions?: unknown[] };
      const elapsed = performance.now() - start;
      if (!response.ok) throw new Error(`${route} answered ${response.status}`);
      if (body.questions !== undefined && body.questions.length !== 50) throw new Error(`${route}: not a page of 50`);
      if (round >= 10) times[name]?.push(elapsed);
    }
  }
  await new Promise((resolve) => server.close(resolve));
  await network.close();
  const floor = median(times.healthz ?? []);
  const report: Record<string, unknown> = { questions: PARENTS * (1 + CHILDREN_PER_PARENT), rounds: ROUNDS };
  for (const [name, values] of Object.entries(times)) {
    const ms = median(values);
    report[name] = { medianMs: Number(ms.toFixed(3)), timesHealthz: Number((ms / floor).toFixed(2)) };
  }
  return report;
}
