import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";

/**
 * `twined dev --host 0.0.0.0` is tried inside a network namespace of its own with only loopback up (`unshare --net`),
 * so listening on every address still reaches nothing but this machine.
 */
describe("twined dev beyond loopback", () => {
  it("requires the token it made, keeps it owner-only, prints it only once, and its jobs present it", () => {
    const run = spawnSync(
      "unshare",
      [
        "--net",
        "-r",
        "sh",
        "-c",
        `ip link set lo up && exec "${process.execPath}" --import tsx test/cli/support/dev-beyond-loopback.script.ts`,
      ],
      { encoding: "utf8", timeout: 240_000 },
    );
    if (run.error !== undefined || run.status !== 0) {
      throw new Error(
        `the script in its own network namespace failed (this test needs unshare and ip from util-linux and iproute2, and unprivileged user namespaces): ${run.error?.message ?? `exit ${run.status}`}\n${run.stderr}`,
      );
    }
    const result = JSON.parse(run.stdout.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>;
    expect(result).toMatchObject({
      printedOnFirstStart: true,
      fileMode: "600",
      healthWithoutToken: { status: 200 },
      questionsWithoutToken: { status: 401, type: "NetworkTokenRequired" },
      questionsWithWrongToken: { status: 401, type: "NetworkTokenRequired" },
      questionsWithToken: { status: 200 },
      parentStatus: "succeeded",
      firstExit: 0,
      printedOnSecondStart: false,
      secondMentionsFile: true,
      questionsWithTokenAfterRestart: { status: 200 },
      secondExit: 0,
    });
    expect(result.tokenLength).toBeGreaterThanOrEqual(40);
  }, 300_000);
});
