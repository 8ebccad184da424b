import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { RevisionRecord } from "../../../shared/ports/index.js";

/** A registered revision `testing/<name>:1.0.0` whose service folder holds `app`, `twine` and an octue.yaml. */
export function folderRevision(options: {
  readonly name: string;
  readonly app: string;
  readonly twine?: object;
  /** More of the service's octue.yaml entry, e.g. `    warm_start: true\n`. */
  readonly entry?: string;
}): RevisionRecord {
  const directory = mkdtempSync(path.join(tmpdir(), `twined-${options.name}-job-`));
  writeFileSync(
    path.join(directory, "octue.yaml"),
    `services:\n  - namespace: testing\n    name: ${options.name}\n${options.entry ?? ""}`,
  );
  writeFileSync(
    path.join(directory, "twine.json"),
    JSON.stringify(options.twine ?? { input_values_schema: {}, output_values_schema: {} }),
  );
  writeFileSync(path.join(directory, "app.py"), options.app);
  return {
    namespace: "testing",
    name: options.name,
    revisionTag: "1.0.0",
    sruid: `testing/${options.name}:1.0.0`,
    twine: {},
    source: { kind: "directory", path: directory },
    isDefault: true,
    registeredAt: new Date().toISOString(),
  };
}
