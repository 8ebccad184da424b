import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { startTwined } from "../support/twined-process.js";
import { waitFor } from "../support/wait-for.js";

const TOKEN = "a-network-token-that-must-never-be-printed-0123456789";

describe("twined dev --log-format json", () => {
  it("prints only JSON lines with Cloud Logging's fields, and never the network's token", async () => {
    const data = mkdtempSync(path.join(tmpdir(), "twined-dev-json-"));
    const twined = startTwined([
      "dev",
      "--port",
      "0",
      "--data-dir",
      path.join(data, ".twined"),
      "--log-format",
      "json",
      "--token",
      TOKEN,
    ]);
    let exit: number | null = null;
    try {
      await waitFor(() => twined.output.stdout.includes("listening on"), { timeoutMs: 45_000, intervalMs: 50 });
      // A request that fails on the server's side would be logged too; a health check is enough to see it serve.
      const base = /listening on (http:\/\/[^\s]+) /.exec(twined.output.stdout)?.[1] ?? "";
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
    } finally {
      twined.kill("SIGINT");
      exit = await twined.exited;
    }
    expect(exit).toBe(0);
    const lines = `${twined.output.stdout}${twined.output.stderr}`.split("\n").filter((line) => line !== "");
    const entries = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries.length).toBeGreaterThanOrEqual(3);
    for (const entry of entries) {
      expect(entry.severity).toMatch(/^(DEBUG|INFO|NOTICE|WARNING|ERROR|CRITICAL)$/);
      expect(typeof entry.message).toBe("string");
      expect(entry).not.toHaveProperty("pid");
      expect(entry).not.toHaveProperty("hostname");
    }
    const messages = entries.map((entry) => String(entry.message));
    expect(messages.some((message) => message.startsWith("Twined network listening on http://127.0.0.1:"))).toBe(true);
    expect(entries.filter((entry) => String(entry.message).includes("Requests must carry"))).toEqual([
      expect.objectContaining({ severity: "NOTICE" }),
    ]);
    expect(messages.at(-1)).toBe("Stopping (SIGINT)…");
    expect(`${twined.output.stdout}${twined.output.stderr}`).not.toContain(TOKEN);
  }, 90_000);
});
