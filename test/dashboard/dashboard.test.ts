import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { copyOfExample, registerFolder, registerTestService, SLEEPER_APP } from "../scenarios/scenario-services.js";
import { startTwined, type TwinedProcess } from "../support/twined-process.js";
import { waitFor } from "../support/wait-for.js";
import { CHROMIUM, CHROMIUM_AVAILABLE, chromiumArguments, SCREENSHOTS } from "./browser.js";

/** Logs a line and sends a monitor message at each step, slowly, so a page can watch them arrive. */
const MONITOR_APP = `import logging, time

def run(analysis):
    values = analysis.input_values or {}
    for line in range(1, int(values.get("lines", 0)) + 1):
        logging.getLogger("chatty").info(f"line {line}")
    steps = int(values.get("steps", 5))
    for step in range(1, steps + 1):
        logging.getLogger("trainer").info(f"step {step} of {steps}")
        analysis.send_monitor_message({"loss": 1.0 / step, "completed": step, "total": steps})
        time.sleep(float(values.get("pause", 0.5)))
    analysis.output_values = {"steps": steps}
`;

/** The trainer: its twine takes monitor messages with numbers in them. */
function trainerService(): string {
  const directory = mkdtempSync(path.join(tmpdir(), "twined-trainer-"));
  writeFileSync(path.join(directory, "octue.yaml"), "services:\n  - namespace: scenarios\n    name: trainer\n");
  const twine = {
    input_values_schema: {},
    output_values_schema: {},
    monitor_message_schema: { type: "object", additionalProperties: { type: "number" } },
  };
  writeFileSync(path.join(directory, "twine.json"), JSON.stringify(twine));
  writeFileSync(path.join(directory, "app.py"), MONITOR_APP);
  return directory;
}

const LOCATIONS = { locations: [{ longitude: 0, latitude: 0 }] };

const TERMINAL = ["succeeded", "failed", "cancelled", "timed_out", "rejected"];

let twined: TwinedProcess;
/** Where `twined dev` sends its spans (OTLP/HTTP): tracing is on, so each question has a trace ID to show. */
let collector: Server;
let base = "";
let browser: Browser;
let page: Page;
/** What the page said on its console as errors (a refused script or style, an exception). */
const consoleErrors: string[] = [];

async function ask(recipient: string, inputValues: unknown, more: Record<string, unknown> = {}): Promise<string> {
  const response = await fetch(`${base}/questions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ recipient, input_values: inputValues, ...more }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { question_uuid: string }).question_uuid;
}

async function question(
  uuid: string,
): Promise<{ status: string; parent_question_uuid: string | null; trace_id?: string }> {
  return (await (await fetch(`${base}/questions/${uuid}`)).json()) as {
    status: string;
    parent_question_uuid: string | null;
    trace_id?: string;
  };
}

/** Waits for one of `statuses`, giving up at once when the question ends otherwise. */
async function waitForStatus(uuid: string, statuses: readonly string[], timeoutMs = 60_000): Promise<void> {
  let last: { status: string } = { status: "" };
  await waitFor(
    async () => {
      last = await question(uuid);
      return statuses.includes(last.status) || TERMINAL.includes(last.status);
    },
    { timeoutMs, intervalMs: 200, description: () => `question ${uuid} to reach ${statuses.join(" or ")}` },
  );
  expect(last, twined.output.stderr.slice(-2000)).toMatchObject({ status: expect.toBeOneOf([...statuses]) });
}

beforeAll(async () => {
  if (!CHROMIUM_AVAILABLE) return;
  const data = mkdtempSync(path.join(tmpdir(), "twined-dashboard-"));
  collector = createServer((request, response) => {
    // Takes the spans (POST /v1/traces) and keeps none of them.
    request.resume();
    request.on("end", () => response.writeHead(200, { "content-type": "application/json" }).end("{}"));
  }).listen(0, "127.0.0.1");
  await new Promise((resolve) => collector.once("listening", resolve));
  const otlp = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  twined = startTwined(["dev", "--port", "0", "--data-dir", path.join(data, ".twined"), "--cpus", "4"], undefined, {
    ...process.env,
    OTEL_EXPORTER_OTLP_ENDPOINT: otlp,
  });
  await waitFor(() => /listening on (http:\/\/\S+) /.test(twined.output.stdout), { timeoutMs: 45_000, intervalMs: 50 });
  base = /listening on (http:\/\/\S+) /.exec(twined.output.stdout)?.[1] ?? "";
  expect(new URL(base).hostname).toBe("127.0.0.1");
  for (const name of ["elevation", "wind-speed", "parent"]) {
    await registerFolder(base, copyOfExample(`child-services/${name}`), { namespace: "examples", name, tag: "0.1.0" });
  }
  await registerFolder(base, trainerService(), { namespace: "scenarios", name: "trainer", tag: "1.0.0" });
  await registerTestService(base, "sleeper", SLEEPER_APP);
  mkdirSync(SCREENSHOTS, { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: chromiumArguments() });
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on("pageerror", (error) => consoleErrors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  twined?.kill("SIGINT");
  await twined?.exited;
  if (collector !== undefined) await new Promise((resolve) => collector.close(resolve));
}, 30_000);

afterEach(() => {
  expect(consoleErrors.splice(0)).toEqual([]);
});

describe.skipIf(!CHROMIUM_AVAILABLE)("the question dashboard of twined dev", () => {
  let parent = "";
  let trainer = "";

  it("lists top-level questions with counts, filters them from the address, and unfolds children", async () => {
    parent = await ask("examples/parent", LOCATIONS);
    trainer = await ask("scenarios/trainer", { steps: 2, pause: 0.05 });
    await waitForStatus(parent, ["succeeded"]);
    await waitForStatus(trainer, ["succeeded"]);

    await page.goto(`${base}/`);
    const rows = page.locator("table.questions tbody tr[data-question]");
    await rows.first().waitFor();
    expect(await rows.evaluateAll((all) => all.map((row) => row.getAttribute("data-question")))).toEqual([
      trainer,
      parent,
    ]);
    await expect.poll(() => page.locator(".counts").textContent()).toContain("All 2");

    await page.goto(`${base}/#/questions?recipient=examples/parent:0.1.0`);
    await page.locator(`tr[data-question="${parent}"]`).waitFor();
    expect(await rows.count()).toBe(1);
    expect(await page.locator("#filter-recipient").inputValue()).toBe("examples/parent:0.1.0");

    // The filters are typed into the form and kept in the address.
    await page.goto(`${base}/#/questions`);
    await rows.first().waitFor();
    await page.locator("#filter-recipient").fill("scenarios/trainer:1.0.0");
    await page.getByRole("button", { name: "Apply" }).click();
    await expect.poll(() => new URL(page.url()).hash).toContain("recipient=scenarios%2Ftrainer%3A1.0.0");
    await expect.poll(() => rows.count()).toBe(1);
    await page.locator(`tr[data-question="${trainer}"]`).waitFor();

    // All questions, children included, then the parent's children unfolded under it.
    await page.goto(`${base}/#/questions?top_level=false`);
    await expect.poll(() => rows.count()).toBe(4);
    await page.goto(`${base}/#/questions`);
    await page.locator(`tr[data-question="${parent}"]`).waitFor();
    await page.getByRole("button", { name: `Show the children of ${parent}` }).click();
    await expect.poll(() => rows.count()).toBe(4);
    await expect.poll(() => page.locator("table.questions").textContent()).toContain("2 children: 2 succeeded");
    await page.screenshot({ path: path.join(SCREENSHOTS, "question-list.png"), fullPage: true });

    // A status filter from the counts.
    await page.getByRole("button", { name: "succeeded 2" }).click();
    await expect.poll(() => new URL(page.url()).hash).toContain("status=succeeded");
    await expect.poll(() => rows.count()).toBe(2);
  }, 120_000);

  it("opens a child question from its parent's tree", async () => {
    await page.goto(`${base}/#/question/${parent}`);
    // Tracing is on: the page shows the question's trace ID, as text, and its children are in the same trace.
    const traceId = page.locator(".facts dt", { hasText: "Trace" }).locator("xpath=following-sibling::dd[1]");
    await expect.poll(() => traceId.textContent()).toMatch(/^[0-9a-f]{32}$/);
    expect(await traceId.textContent()).toBe((await question(parent)).trace_id);
    expect(await traceId.locator("a").count()).toBe(0);
    const tree = page.locator("ol.tree li");
    await expect.poll(() => tree.count()).toBe(3);
    expect(await page.locator("ol.tree").textContent()).toContain("examples/elevation:0.1.0");
    await page.screenshot({ path: path.join(SCREENSHOTS, "question-tree.png"), fullPage: true });
    await page.locator("ol.tree a", { hasText: "examples/elevation:0.1.0" }).click();
    await expect.poll(() => new URL(page.url()).hash).not.toContain(parent);
    const child = decodeURIComponent(new URL(page.url()).hash.replace("#/question/", "").split("?")[0] ?? "");
    expect((await question(child)).parent_question_uuid).toBe(parent);
    expect((await question(child)).trace_id).toBe((await question(parent)).trace_id);
    await expect.poll(() => page.locator("h1").textContent()).toContain(child);
    await page.getByRole("tab", { name: "Answer" }).click();
    await expect.poll(() => page.locator(".output-values").textContent()).toMatch(/\d/);
  }, 60_000);

  it("shows logs as they arrive and draws the monitor messages' points", async () => {
    const steps = 6;
    const running = await ask("scenarios/trainer", { steps, pause: 1 });
    await page.goto(`${base}/#/question/${running}`);
    const logs = page.locator(".logs .row");
    await expect
      .poll(() => logs.allInnerTexts(), { timeout: 30_000 })
      .toContainEqual(expect.stringContaining("step 1 of 6"));
    // The first record is on the page while the question still runs: it arrived live.
    expect((await question(running)).status).toBe("running");

    await page.getByRole("tab", { name: "Monitor" }).click();
    await waitForStatus(running, ["succeeded"]);
    const points = page.locator('figure.chart[data-series="loss"] circle.point');
    await expect.poll(() => points.count(), { timeout: 10_000 }).toBe(steps);
    const values = await points.evaluateAll((all) => all.map((point) => Number(point.getAttribute("data-value"))));
    expect(values).toEqual(Array.from({ length: steps }, (_, index) => 1 / (index + 1)));
    expect(await page.locator("#monitor-progress").getAttribute("value")).toBe(String(steps));
    await page.screenshot({ path: path.join(SCREENSHOTS, "monitor-chart.png"), fullPage: true });

    // The severity filter hides what is below it.
    await page.getByRole("tab", { name: "Logs" }).click();
    await page.locator("#log-level").selectOption({ label: "WARNING and above" });
    await expect.poll(() => logs.count()).toBe(0);
  }, 90_000);

  it("keeps 5,000 log records responsive by rendering only the rows in view", async () => {
    const chatty = await ask("scenarios/trainer", { lines: 5000, steps: 1, pause: 0 });
    await waitForStatus(chatty, ["succeeded"], 120_000);
    await page.goto(`${base}/#/question/${chatty}`);
    await expect
      .poll(() => page.locator(".logs").locator("xpath=..").locator("[role=status]").textContent(), { timeout: 60_000 })
      .toBe("5001 of 5001 records");
    const rows = page.locator(".logs .row");
    expect(await rows.count()).toBeLessThan(100);
    expect(await rows.last().textContent()).toContain("step 1 of 1");
    await page.locator(".logs").evaluate((logs) => {
      logs.scrollTop = 0;
    });
    await expect.poll(() => rows.first().textContent()).toContain("line 1");
    expect(await rows.count()).toBeLessThan(100);
  }, 180_000);

  it("cancels a running question", async () => {
    const sleeping = await ask("scenarios/sleeper", { seconds: 60 }, { retry_count: 2 });
    await page.goto(`${base}/#/question/${sleeping}`);
    await waitForStatus(sleeping, ["running"], 30_000);
    // An asker's third attempt says so in the tree.
    await expect.poll(() => page.locator(".tree .retry").textContent(), { timeout: 10_000 }).toBe(" retry 2");
    const cancel = page.getByRole("button", { name: "Cancel the question" });
    await expect.poll(() => cancel.isEnabled()).toBe(true);
    await cancel.click();
    await waitForStatus(sleeping, ["cancelled"], 30_000);
    await expect.poll(() => page.locator(".facts .status").textContent(), { timeout: 10_000 }).toBe("cancelled");
    expect(await cancel.isDisabled()).toBe(true);
  }, 60_000);

  it("fits a narrow window, and opens a question and its tabs from the keyboard", async () => {
    await page.setViewportSize({ width: 360, height: 800 });
    try {
      await page.goto(`${base}/#/questions`);
      await page.locator(`tr[data-question="${parent}"]`).waitFor();
      const overflow = () =>
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth");
      expect(await overflow()).toBeLessThanOrEqual(0);
      await page.screenshot({ path: path.join(SCREENSHOTS, "question-list-narrow.png"), fullPage: true });

      await page.locator(`tr[data-question="${parent}"] a`).first().focus();
      await page.keyboard.press("Enter");
      // The page may add the open tab to the address (`?tab=logs`): the route is what matters.
      await expect.poll(() => new URL(page.url()).hash.split("?")[0]).toBe(`#/question/${parent}`);
      await page.getByRole("tab", { name: "Logs" }).focus();
      await page.keyboard.press("ArrowRight");
      await expect.poll(() => page.getByRole("tab", { name: "Monitor" }).getAttribute("aria-selected")).toBe("true");
      await page.keyboard.press("ArrowRight");
      await page.keyboard.press("Enter");
      await expect.poll(() => page.locator("#panel-input").textContent()).toContain("longitude");
      expect(await overflow()).toBeLessThanOrEqual(0);
    } finally {
      await page.setViewportSize({ width: 1200, height: 900 });
    }
  }, 60_000);

  it("shows the registry with each revision's twine", async () => {
    await page.goto(`${base}/#/registry`);
    const service = page.locator('section[data-service="examples/elevation"]');
    await service.waitFor();
    expect(await service.textContent()).toContain("Default revision: 0.1.0");
    await service.locator("summary").first().click();
    await expect.poll(() => service.locator("table").first().textContent()).toContain("locations");
  }, 30_000);
});
