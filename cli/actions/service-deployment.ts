import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import { loadServiceConfiguration } from "../../shared/config/index.js";
import { DeploymentTemplateBroken } from "../../shared/errors/index.js";
import { packageRoot } from "../../shared/package-root.js";
import { TWINED_VERSION } from "../../shared/version.js";

/** A service that `service init` prepared for deployment: where, and under which ID. */
export interface DeployableService {
  /** Relative to the folder `service init` created; `.` for the folder itself. */
  readonly dir: string;
  readonly serviceId: string;
}

function deploymentTemplates(): { dockerfile: string; dockerignore: string; cloudbuild: string } {
  const runtime = path.join(packageRoot(), "runtime");
  return {
    dockerfile: path.join(runtime, "Dockerfile"),
    // Stored without its dot so that no tool treats the template folder itself as a build context.
    dockerignore: path.join(runtime, "service-deployment", "dockerignore"),
    cloudbuild: path.join(runtime, "service-deployment", "cloudbuild.yaml"),
  };
}

/**
 * The services in a folder `service init` created: the folder itself when it has an octue.yaml, else each subfolder
 * that has one. A template of several services (child-services) is one repository holding one service per folder, so
 * each folder gets its own image, build and trigger, and its build runs in that folder (`_DIR`).
 */
export function findDeployableServices(root: string): DeployableService[] {
  const serviceAt = (dir: string): DeployableService => {
    const { namespace, name } = loadServiceConfiguration(path.join(root, dir, "octue.yaml")).configuration;
    return { dir, serviceId: `${namespace}/${name}` };
  };
  if (existsSync(path.join(root, "octue.yaml"))) return [serviceAt(".")];
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(root, entry.name, "octue.yaml")))
    .map((entry) => entry.name)
    .sort()
    .map(serviceAt);
}

/**
 * Writes what a service needs to be built and registered by Cloud Build on every push: the default Dockerfile (to
 * edit), a .dockerignore, and a cloudbuild.yaml naming the service, into each service's folder under `root`.
 * `services` defaults to those found under `root` (`service init` passes its own: a namespace it left as a placeholder
 * does not load).
 * @throws InvalidServiceConfiguration when a service's octue.yaml cannot be read
 */
export function writeDeploymentFiles(
  root: string,
  services: readonly DeployableService[] = findDeployableServices(root),
): readonly DeployableService[] {
  const templates = deploymentTemplates();
  const cloudbuild = readFileSync(templates.cloudbuild, "utf8");
  for (const service of services) {
    const folder = path.join(root, service.dir);
    copyFileSync(templates.dockerfile, path.join(folder, "Dockerfile"));
    copyFileSync(templates.dockerignore, path.join(folder, ".dockerignore"));
    const filled = fillSubstitutionDefaults(cloudbuild, templates.cloudbuild, {
      _SERVICE: service.serviceId,
      _DIR: service.dir,
      // Pinned to the Twined that wrote the file, so a new Twined release reaches the service only when it asks.
      _TWINED_VERSION: TWINED_VERSION,
    });
    writeFileSync(path.join(folder, "cloudbuild.yaml"), filled);
  }
  return services;
}

/**
 * Sets the defaults of `substitutions` entries in the template's text, line by line, so that its comments and layout
 * survive (a YAML round trip would reflow them).
 */
export function fillSubstitutionDefaults(
  text: string,
  templateFile: string,
  values: Readonly<Record<string, string>>,
): string {
  let filled = text;
  for (const [key, value] of Object.entries(values)) {
    const line = new RegExp(`^( {2}${key}:).*$`, "gm");
    if ((filled.match(line) ?? []).length !== 1) throw new DeploymentTemplateBroken(templateFile, key);
    // YAML's own quoting, so that a value such as `1.0` stays a string.
    const scalar = stringify(value).trimEnd();
    filled = filled.replace(line, (_line, prefix: string) => `${prefix} ${scalar}`);
  }
  return filled;
}
