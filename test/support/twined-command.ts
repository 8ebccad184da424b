import { existsSync } from "node:fs";
import path from "node:path";
import { packageRoot, twinedCommand } from "../../shared/package-root.js";

/**
 * The `twined` the tests start as a process: from the sources through tsx, or, with `TWINED_TEST_BUILT_CLI=1`, the
 * built bundle that an installed `twined` runs (CI's second pass), so that the bundle passes the same tests.
 */
export function testTwinedCommand(): string[] {
  if (process.env.TWINED_TEST_BUILT_CLI !== "1") return twinedCommand();
  const bundle = path.join(packageRoot(), "dist", "cli", "bundle", "main.js");
  if (!existsSync(bundle)) throw new Error(`TWINED_TEST_BUILT_CLI=1 needs ${bundle}: run \`npm run build\` first`);
  return [process.execPath, bundle];
}
