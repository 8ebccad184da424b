/**
 * `npm run deploy:check [-- FILE…]`: lints Cloud Build files offline (default: the network's cloudbuild.yaml and the
 * services' template), printing each problem as file:line:column, as editors and CI annotations read it. The
 * cross-checks of the Terraform stacks against the code run with the tests (test/infra).
 * Exit status: 0 no problem, 1 problems found, 2 a file cannot be read.
 */
import { readFileSync } from "node:fs";
import { formatCloudBuildProblem, lintCloudBuild } from "./cloud-build-lint.js";

const files = process.argv.slice(2);
if (files.length === 0) files.push("cloudbuild.yaml", "runtime/service-deployment/cloudbuild.yaml");
let problems = 0;
for (const file of files) {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    process.stderr.write(`error: cannot read ${file}: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
  const found = lintCloudBuild(text, file);
  for (const problem of found) process.stdout.write(`${formatCloudBuildProblem(problem)}\n`);
  problems += found.length;
  if (found.length === 0) process.stdout.write(`${file}: ok\n`);
}
process.exitCode = problems === 0 ? 0 : 1;
