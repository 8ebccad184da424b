/**
 * `npm run functions:stage -- --out DIR --environment-file FILE`: stages the network's functions for `gcloud functions
 * deploy --source=DIR --env-vars-file=FILE`, taking their settings from this process's environment (cloudbuild.yaml's
 * stage step). Exit status: 0 staged, 1 a setting is malformed or the code is not built, 2 usage error.
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { TwinedError } from "../../shared/errors/index.js";
import { stageFunctions } from "./stage-functions.js";

let values: { out?: string; "environment-file"?: string };
try {
  ({ values } = parseArgs({
    options: { out: { type: "string" }, "environment-file": { type: "string" } },
    allowPositionals: false,
  }));
} catch (error) {
  process.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
}
const out = values.out;
const environmentFile = values["environment-file"];
if (out === undefined || environmentFile === undefined) {
  process.stderr.write("error: give both --out DIR and --environment-file FILE\n");
  process.exit(2);
}
try {
  const staged = stageFunctions({
    root: process.cwd(),
    out: path.resolve(out),
    environmentFile: path.resolve(environmentFile),
    env: process.env,
  });
  process.stdout.write(`Staged the functions in ${out}; their settings in ${environmentFile}:\n`);
  for (const [name, value] of Object.entries(staged.environment)) process.stdout.write(`  ${name}=${value}\n`);
} catch (error) {
  if (!(error instanceof TwinedError)) throw error;
  process.stderr.write(`error: ${error.message}\n`);
  process.exit(1);
}
