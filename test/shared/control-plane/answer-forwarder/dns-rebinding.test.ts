import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { packageRoot } from "../../../../shared/package-root.js";
import type { RebindingReport } from "./dns-rebinding.script.js";

const SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), "dns-rebinding.script.ts");

/**
 * Runs the script in a network namespace with only loopback (and the addresses a rebound name points to, on loopback
 * too, as traps), so that even a broken guard cannot reach anything beyond this machine. Needs no root: `-r` maps this
 * user to root inside a user namespace of its own.
 */
function runIsolated(): RebindingReport {
  const setUp = "ip link set lo up && ip addr add 10.0.0.1/32 dev lo && ip addr add 169.254.169.254/32 dev lo";
  const run = spawnSync(
    "unshare",
    ["--net", "-r", "sh", "-c", `${setUp} && exec "$0" --import tsx "$1"`, process.execPath, SCRIPT],
    { cwd: packageRoot(), encoding: "utf8", timeout: 60_000 },
  );
  if (run.error !== undefined) {
    throw new Error(
      `the DNS rebinding test isolates its network with util-linux's unshare and iproute2's ip, which could not be run (${run.error.message}); install them (e.g. apt-get install util-linux iproute2): this test must not be skipped`,
    );
  }
  const lastLine = run.stdout.trim().split("\n").at(-1) ?? "";
  if (run.status !== 0 || !lastLine.startsWith("{")) {
    throw new Error(
      `the isolated run failed (exit ${String(run.status)}); user namespaces must be allowed (unshare --net -r):\n${run.stderr}\n${run.stdout}`,
    );
  }
  return JSON.parse(lastLine) as RebindingReport;
}

describe("a push endpoint whose name is rebound after the question is asked", () => {
  it("is refused at send time, against what the name resolves to then, and no connection is attempted", () => {
    const report = runIsolated();
    expect(report.scenarios.map((each) => each.rebindTo)).toEqual(["10.0.0.1", "169.254.169.254"]);
    for (const scenario of report.scenarios) {
      // Accepted when asked, because the name resolved to a public address then…
      expect(scenario.accepted, scenario.rebindTo).toBe(true);
      // …resolved again for the push (and not retried after the refusal)…
      expect(scenario.resolutions, scenario.rebindTo).toEqual(["93.184.216.34", scenario.rebindTo]);
      // …whose lookup handed the socket no address, so it never connected.
      expect(scenario.lookups, scenario.rebindTo).toHaveLength(1);
      expect(scenario.lookups[0]?.addresses, scenario.rebindTo).toBeUndefined();
      expect(scenario.failures, scenario.rebindTo).toHaveLength(1);
    }
    expect(report.scenarios[0]?.failures[0]).toMatch(/resolves to 10\.0\.0\.1, a private address/);
    expect(report.scenarios[1]?.failures[0]).toMatch(
      /resolves to 169\.254\.169\.254, the cloud metadata server's address; it is never a push endpoint/,
    );
    expect(report.trapConnections).toEqual({ "10.0.0.1": 0, "169.254.169.254": 0 });
  }, 90_000);
});
