import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { userInfo } from "node:os";
import path from "node:path";
import { isMap, isScalar, isSeq, LineCounter, parseDocument } from "yaml";
import { DISALLOWED_SERVICE_NAMESPACES } from "../../shared/config/index.js";
import { NAMESPACE_PLACEHOLDER } from "../../shared/config/namespace-placeholder.js";
import { displayPath } from "../../shared/display-path.js";
import { namespaceOrNameProblem } from "../../shared/identity/index.js";
import { packageRoot } from "../../shared/package-root.js";
import { type CliOutput, describeError, EXIT } from "../output.js";
import { type DeployableService, writeDeploymentFiles } from "./service-deployment.js";

export interface InitServiceOptions {
  readonly list?: boolean;
  readonly namespace?: string;
  readonly name?: string;
}

/**
 * Asks the user for the namespace, offering `suggestion`; resolves undefined when they give up (Ctrl-C, Ctrl-D).
 * Only given when stdin and stdout are a terminal.
 */
export type AskNamespace = (suggestion: string | undefined) => Promise<string | undefined>;

/** The example services shipped with Twined, which `service init` copies. */
function templatesFolder(): string {
  return path.join(packageRoot(), "examples");
}

function listTemplates(): { name: string; summary: string }[] {
  const folder = templatesFolder();
  return readdirSync(folder, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => ({ name: entry.name, summary: readmeSummary(path.join(folder, entry.name, "README.md")) }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** The first paragraph of a README after its title, on one line. */
function readmeSummary(file: string): string {
  if (!existsSync(file)) return "";
  const paragraphs = readFileSync(file, "utf8").split(/\n\s*\n/);
  const first = paragraphs.find((paragraph) => !paragraph.trimStart().startsWith("#")) ?? "";
  const text = first
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/\s+/g, " ")
    .trim();
  const sentence = /^.*?[.:](?=\s|$)/.exec(text)?.[0] ?? text;
  return sentence.replace(/:$/, ".");
}

/**
 * A valid Octue service name made from a folder's name: lowercased, each run of other characters than a-z and 0-9
 * one '-', no '-' at either end (`My Service_2` gives `my-service-2`). Empty when nothing is left.
 */
export function serviceNameFromFolder(folder: string): string {
  return path
    .basename(path.resolve(folder))
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
}

/** Why `namespace` cannot be the user's namespace, or undefined. */
function namespaceRefusal(namespace: string): string | undefined {
  const problem = namespaceOrNameProblem(namespace, "namespace");
  if (problem !== undefined) return problem;
  if (DISALLOWED_SERVICE_NAMESPACES.includes(namespace)) {
    return `the namespace '${namespace}' is reserved for Twined's examples; choose your organisation's`;
  }
  return undefined;
}

/** A service a template holds: the folder of its octue.yaml (relative, `.` for the root) and its ID there. */
interface TemplateService {
  readonly dir: string;
  readonly namespace: string;
  readonly name: string;
}

function templateServices(root: string): TemplateService[] {
  const at = (dir: string): TemplateService[] => {
    const document = parseDocument(readFileSync(path.join(root, dir, "octue.yaml"), "utf8"));
    const entry = document.getIn(["services", 0]);
    if (!isMap(entry)) return [];
    const namespace = entry.get("namespace");
    const name = entry.get("name");
    return typeof namespace === "string" && typeof name === "string" ? [{ dir, namespace, name }] : [];
  };
  if (existsSync(path.join(root, "octue.yaml"))) return at(".");
  return readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(root, entry.name, "octue.yaml")))
    .map((entry) => entry.name)
    .sort()
    .flatMap(at);
}

export async function initService(
  template: string | undefined,
  dir: string | undefined,
  options: InitServiceOptions,
  output: CliOutput,
  askNamespace?: AskNamespace,
): Promise<number> {
  const templates = listTemplates();
  if (options.list === true || template === undefined) {
    const width = Math.max(...templates.map((each) => each.name.length));
    for (const each of templates) output.stdout.write(`${each.name.padEnd(width)}  ${each.summary}\n`);
    if (template === undefined && options.list !== true) {
      output.stderr.write("error: name a template, e.g. 'twined service init fractal my-service'\n");
      return EXIT.usage;
    }
    return EXIT.ok;
  }
  if (!templates.some((each) => each.name === template)) {
    output.stderr.write(
      `error: there is no template '${template}'; choose one of: ${templates.map((each) => each.name).join(", ")}\n`,
    );
    return EXIT.usage;
  }
  const target = path.resolve(dir ?? template);
  if (existsSync(target) && readdirSync(target).length > 0) {
    output.stderr.write(`error: ${displayPath(target)} is not empty; choose a new or empty folder\n`);
    return EXIT.usage;
  }
  const services = templateServices(path.join(templatesFolder(), template));

  // One service takes the folder's name; each of several keeps its own, since the parent asks its children by them.
  let name: string | undefined;
  if (services.length === 1) {
    name = options.name ?? (serviceNameFromFolder(target) || template);
    const problem = namespaceOrNameProblem(name, "name");
    if (problem !== undefined) {
      const from = options.name === undefined ? ` (made from the folder's name; give one with --name)` : "";
      output.stderr.write(`error: --name: ${problem}${from}\n`);
      return EXIT.usage;
    }
  } else if (options.name !== undefined) {
    output.stderr.write(
      `error: --name: the '${template}' template holds ${services.length} services (${services.map((each) => each.name).join(", ")}), each keeping its own name; give only --namespace\n`,
    );
    return EXIT.usage;
  }

  let namespace = options.namespace;
  if (namespace !== undefined) {
    const refusal = namespaceRefusal(namespace);
    if (refusal !== undefined) {
      output.stderr.write(`error: --namespace: ${refusal}\n`);
      return EXIT.usage;
    }
  } else if (askNamespace !== undefined) {
    namespace = await promptForNamespace(askNamespace, output);
    if (namespace === undefined) {
      output.stderr.write("error: no namespace given; nothing was created\n");
      return EXIT.invalid;
    }
  }
  const written = namespace ?? NAMESPACE_PLACEHOLDER;

  cpSync(path.join(templatesFolder(), template), target, {
    recursive: true,
    filter: (source) => !/(^|[\\/])(__pycache__|\.twined)([\\/]|$)/.test(source),
  });
  const renamed = new Map(
    services.map((service) => [
      `${service.namespace}/${service.name}`,
      `${written}/${name !== undefined && services.length === 1 ? name : service.name}`,
    ]),
  );
  const locations: string[] = [];
  let deployable: readonly DeployableService[];
  try {
    for (const service of services) {
      const file = path.join(target, service.dir, "octue.yaml");
      const rewritten = rewriteServiceIds(readFileSync(file, "utf8"), renamed);
      writeFileSync(file, rewritten.text);
      if (rewritten.namespaceAt !== undefined) {
        locations.push(`${displayPath(file)}:${rewritten.namespaceAt.line}:${rewritten.namespaceAt.column}`);
      }
    }
    rewriteIdsInText(target, renamed);
    deployable = writeDeploymentFiles(
      target,
      services.map((service) => ({
        dir: service.dir,
        serviceId: renamed.get(`${service.namespace}/${service.name}`) ?? "",
      })),
    );
  } catch (error) {
    output.stderr.write(`error: ${describeError(error)}\n`);
    return EXIT.invalid;
  }

  const ids = deployable.map((service) => service.serviceId).join(", ");
  const where = locations.join(", ");
  const lines = [`Created ${displayPath(target)} from the '${template}' template as ${ids}.`];
  if (namespace === undefined) {
    lines.push(
      `Set your namespace: replace ${NAMESPACE_PLACEHOLDER} with your organisation's at ${where} (and in each cloudbuild.yaml's _SERVICE), or create it again with --namespace NS. 'twined service validate' points at each place left.`,
    );
  } else {
    lines.push(`To change the ID, edit 'namespace' and 'name' at ${where} (and each cloudbuild.yaml's _SERVICE).`);
  }
  lines.push(
    `Next: cd ${displayPath(target)} && twined service validate && twined question ask-local --help`,
    deploymentHint(deployable).trimEnd(),
  );
  output.stdout.write(`${lines.filter((line) => line !== "").join("\n")}\n`);
  return EXIT.ok;
}

/** Asks until the answer is a valid namespace (an empty one takes the suggestion). */
async function promptForNamespace(ask: AskNamespace, output: CliOutput): Promise<string | undefined> {
  const suggestion = suggestedNamespace();
  for (;;) {
    const answer = await ask(suggestion);
    if (answer === undefined) return undefined;
    const namespace = answer.trim() === "" ? suggestion : answer.trim();
    if (namespace === undefined) {
      output.stderr.write("a namespace is needed: your organisation's, e.g. 'my-org'\n");
      continue;
    }
    const refusal = namespaceRefusal(namespace);
    if (refusal === undefined) return namespace;
    output.stderr.write(`${refusal}\n`);
  }
}

/** The user's login made a valid namespace: a start for someone trying Twined alone; an organisation types its own. */
function suggestedNamespace(): string | undefined {
  let login: string;
  try {
    login = userInfo().username;
  } catch {
    // No login name for this user ID (a container's arbitrary UID): no suggestion.
    return undefined;
  }
  const candidate = serviceNameFromFolder(login);
  return candidate !== "" && namespaceRefusal(candidate) === undefined ? candidate : undefined;
}

/**
 * Rewrites each service entry's `namespace` and `name`, and each child's `id`, whose `namespace/name` `renamed` maps,
 * in place in the text so that comments and layout survive. Returns the position of the first entry's namespace.
 */
export function rewriteServiceIds(
  text: string,
  renamed: ReadonlyMap<string, string>,
): { text: string; namespaceAt?: { line: number; column: number } } {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter });
  const edits: { start: number; end: number; value: string }[] = [];
  const replace = (node: unknown, value: string) => {
    if (isScalar(node) && node.range !== undefined && node.range !== null) {
      edits.push({ start: node.range[0], end: node.range[1], value });
    }
  };
  let namespaceStart: number | undefined;
  const services = document.get("services");
  for (const entry of isSeq(services) ? services.items : []) {
    if (!isMap(entry)) continue;
    const namespaceNode = entry.get("namespace", true);
    const nameNode = entry.get("name", true);
    const id = renamed.get(`${scalarText(namespaceNode)}/${scalarText(nameNode)}`);
    if (id !== undefined) {
      const [namespace = "", name = ""] = id.split("/");
      replace(namespaceNode, namespace);
      replace(nameNode, name);
      namespaceStart ??= isScalar(namespaceNode) ? namespaceNode.range?.[0] : undefined;
    }
    const children = entry.get("children");
    for (const child of isSeq(children) ? children.items : []) {
      if (!isMap(child)) continue;
      const idNode = child.get("id", true);
      const childId = scalarText(idNode);
      if (childId === undefined) continue;
      const colon = childId.indexOf(":");
      const base = colon === -1 ? childId : childId.slice(0, colon);
      const replacement = renamed.get(base);
      if (replacement !== undefined) replace(idNode, `${replacement}${colon === -1 ? "" : childId.slice(colon)}`);
    }
  }
  let result = text;
  for (const edit of edits.sort((a, b) => b.start - a.start)) {
    result = `${result.slice(0, edit.start)}${edit.value}${result.slice(edit.end)}`;
  }
  const position = namespaceStart === undefined ? undefined : lineCounter.linePos(namespaceStart);
  return position === undefined
    ? { text: result }
    : { text: result, namespaceAt: { line: position.line, column: position.col } };
}

function scalarText(node: unknown): string | undefined {
  return isScalar(node) && typeof node.value === "string" ? node.value : undefined;
}

/**
 * The template's READMEs and tests name its services (`examples/elevation:0.1.0`); they name the new IDs instead, so
 * what they show and check holds for the created service.
 */
function rewriteIdsInText(folder: string, renamed: ReadonlyMap<string, string>): void {
  const files = readdirSync(folder, { recursive: true, withFileTypes: true }).filter(
    (entry) => entry.isFile() && /\.(md|py)$/.test(entry.name),
  );
  for (const entry of files) {
    const file = path.join(entry.parentPath, entry.name);
    const text = readFileSync(file, "utf8");
    let changed = text;
    for (const [from, to] of renamed) {
      // Not inside a longer ID or a path: `examples/fractal/data` is a folder, not the service.
      changed = changed.replace(new RegExp(`(?<![\\w/.-])${escapeRegExp(from)}(?![\\w/-])`, "g"), to);
    }
    if (changed !== text) writeFileSync(file, changed);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function deploymentHint(services: readonly DeployableService[]): string {
  if (services.length === 0) return "";
  const [only] = services;
  if (services.length === 1 && only?.dir === ".") {
    return `Then, to deploy: commit it and give cloudbuild.yaml a Cloud Build trigger; every push then builds the Dockerfile and registers a revision of ${only.serviceId} (see docs/deploying-services.md)\n`;
  }
  const each = services.map((service) => `${service.dir}/cloudbuild.yaml (${service.serviceId})`).join(", ");
  return `Then, to deploy: commit it and give each service's cloudbuild.yaml a Cloud Build trigger, ${each}; every push then builds that folder's Dockerfile and registers a revision (see docs/deploying-services.md)\n`;
}
