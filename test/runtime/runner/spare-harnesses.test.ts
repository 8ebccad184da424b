import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { PrestartOptions } from "../../../runtime/runner/prestarted-harness.js";
import { SpareHarnesses } from "../../../runtime/runner/spare-harnesses.js";
import { waitFor } from "../../support/wait-for.js";

const python = process.env.TWINED_PYTHON ?? "python3";
const opened: SpareHarnesses[] = [];

function pool(options: ConstructorParameters<typeof SpareHarnesses>[0] = {}): SpareHarnesses {
  const spares = new SpareHarnesses(options);
  opened.push(spares);
  return spares;
}

function startOptions(env: NodeJS.ProcessEnv = { ...process.env }): PrestartOptions {
  return { python, cwd: mkdtempSync(path.join(tmpdir(), "twined-spare-")), env };
}

afterEach(async () => {
  await Promise.all(opened.splice(0).map((spares) => spares.close()));
});

describe("spare harnesses", () => {
  it("give a revision's spare once, with the environment object a question must use to claim it", () => {
    const spares = pool();
    const options = startOptions();
    expect(spares.take("a/b:1", options)).toBeUndefined();
    spares.replenish("a/b:1", options);
    const wanted = { ...options, env: { ...options.env } };
    const taken = spares.take("a/b:1", wanted);
    expect(taken?.env).toBe(options.env);
    expect(taken?.prestarted.waiting).toBe(true);
    expect(spares.take("a/b:1", wanted)).toBeUndefined();
    void taken?.prestarted.release();
  });

  it("stop a spare that no longer fits: another interpreter, folder or environment", async () => {
    const spares = pool();
    const options = startOptions();
    for (const wanted of [
      { ...options, python: "/elsewhere/python3" },
      { ...options, cwd: tmpdir() },
      { ...options, env: { ...options.env, ADDED: "1" } },
    ]) {
      spares.replenish("a/b:1", options);
      expect(spares.size).toBe(1);
      expect(spares.take("a/b:1", wanted)).toBeUndefined();
      expect(spares.size).toBe(0);
    }
  });

  it("do not give out a spare whose process has ended", async () => {
    const spares = pool();
    const options = { ...startOptions(), python: "/nonexistent/python3" };
    spares.replenish("a/b:1", options);
    await waitFor(() => spares.size === 0, { description: "the spare's interpreter to fail to start" });
    expect(spares.take("a/b:1", options)).toBeUndefined();
  });

  it("keep one per revision, and as many revisions as allowed, the longest unasked losing theirs first", async () => {
    const spares = pool({ maxSpares: 2 });
    const options = startOptions();
    spares.replenish("a/b:1", options);
    spares.replenish("a/b:1", options);
    expect(spares.size).toBe(1);
    spares.replenish("a/b:2", options);
    spares.replenish("a/b:3", options);
    expect(spares.size).toBe(2);
    expect(spares.take("a/b:1", options)).toBeUndefined();
    expect(spares.take("a/b:3", options)).toBeDefined();
  });

  it("stop a spare nobody asked for within the idle time", async () => {
    const spares = pool({ idleMs: 100 });
    const options = startOptions();
    spares.replenish("a/b:1", options);
    expect(spares.size).toBe(1);
    await waitFor(() => spares.size === 0, { description: "the idle spare to be stopped" });
    expect(spares.take("a/b:1", options)).toBeUndefined();
  });

  it("stop every spare when closed, and make none after", async () => {
    const spares = pool();
    const options = startOptions();
    spares.replenish("a/b:1", options);
    spares.replenish("a/b:2", options);
    await spares.close();
    expect(spares.size).toBe(0);
    spares.replenish("a/b:1", options);
    expect(spares.size).toBe(0);
  });
});
