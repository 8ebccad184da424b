/**
 * A Terraform stack (a folder of `.tf` files) read through hcl2json, with its locals, resources and data sources
 * evaluated as Terraform would plan them, as far as the configuration decides them: the checks compare what the
 * stack will create with what the code expects, without a cloud account.
 */
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { TerraformStackProblem } from "../../shared/errors/index.js";
import { type ExpressionScope, evaluateTemplate, evaluateValue, member, Unknown } from "./hcl-expression.js";

type Body = Record<string, unknown>;

// Loaded untyped: the package's declarations pull in the DOM library, whose globals clash with Node's.
const { parse } = createRequire(import.meta.url)("@cdktf/hcl2json") as {
  parse(file: string, contents: string): Promise<unknown>;
};

export interface TerraformBlock {
  /** `type.name` for resources, `data.type.name` for data sources, `var.name` for variables. */
  readonly address: string;
  readonly file: string;
  readonly body: Body;
}

export interface Instance {
  /** The for_each key or count index; undefined for a single instance. */
  readonly key: string | number | undefined;
  readonly attributes: Body;
}

export interface EvaluationOptions {
  /** Values for variables (others take their defaults). */
  readonly variables?: Readonly<Record<string, unknown>>;
  /** Values only the provider knows (e.g. a service account's email), by address, instance key and attribute. */
  readonly known?: (address: string, key: string | number | undefined, attribute: string) => unknown;
}

const META_ARGUMENTS = new Set(["for_each", "count", "depends_on", "lifecycle", "provider"]);

export class TerraformStack {
  private constructor(
    readonly directory: string,
    readonly variables: ReadonlyMap<string, TerraformBlock>,
    readonly locals: ReadonlyMap<string, { readonly file: string; readonly value: unknown }>,
    readonly resources: ReadonlyMap<string, TerraformBlock>,
    readonly data: ReadonlyMap<string, TerraformBlock>,
  ) {}

  static async load(directory: string): Promise<TerraformStack> {
    const variables = new Map<string, TerraformBlock>();
    const locals = new Map<string, { file: string; value: unknown }>();
    const resources = new Map<string, TerraformBlock>();
    const data = new Map<string, TerraformBlock>();
    const files = readdirSync(directory)
      .filter((name) => name.endsWith(".tf"))
      .sort();
    if (files.length === 0) throw new TerraformStackProblem(directory, "has no .tf files");
    for (const name of files) {
      const file = path.join(directory, name);
      let parsed: Body;
      try {
        parsed = (await parse(file, readFileSync(file, "utf8"))) as Body;
      } catch (error) {
        throw new TerraformStackProblem(file, `is not valid HCL: ${error instanceof Error ? error.message : error}`);
      }
      for (const [variable, blocks] of Object.entries(asRecord(parsed.variable))) {
        add(variables, `var.${variable}`, { address: `var.${variable}`, file, body: single(blocks) });
      }
      for (const block of asArray(parsed.locals)) {
        for (const [local, value] of Object.entries(asRecord(block))) {
          if (locals.has(local)) throw new TerraformStackProblem(file, `local.${local} is defined twice`);
          locals.set(local, { file, value });
        }
      }
      for (const [kind, target, prefix] of [
        [parsed.resource, resources, ""],
        [parsed.data, data, "data."],
      ] as const) {
        for (const [type, named] of Object.entries(asRecord(kind))) {
          for (const [blockName, blocks] of Object.entries(asRecord(named))) {
            const address = `${prefix}${type}.${blockName}`;
            add(target, address, { address, file, body: single(blocks) });
          }
        }
      }
    }
    return new TerraformStack(directory, variables, locals, resources, data);
  }

  /** An evaluator for this stack with the given variable values. */
  evaluator(options: EvaluationOptions = {}): StackEvaluator {
    return new StackEvaluator(this, options);
  }

  resource(address: string): TerraformBlock {
    const block = this.resources.get(address) ?? this.data.get(address);
    if (block === undefined) throw new TerraformStackProblem(this.directory, `has no ${address}`);
    return block;
  }
}

export class StackEvaluator {
  private readonly localValues = new Map<string, unknown>();
  private readonly evaluating = new Set<string>();

  constructor(
    readonly stack: TerraformStack,
    private readonly options: EvaluationOptions,
  ) {}

  variable(name: string): unknown {
    if (this.options.variables !== undefined && name in this.options.variables) return this.options.variables[name];
    const block = this.stack.variables.get(`var.${name}`);
    if (block === undefined) throw new TerraformStackProblem(this.stack.directory, `uses var.${name}, never declared`);
    if (!("default" in block.body)) {
      throw new TerraformStackProblem(block.file, `var.${name} has no default; give the check a value for it`);
    }
    return block.body.default;
  }

  local(name: string): unknown {
    if (this.localValues.has(name)) return this.localValues.get(name);
    const local = this.stack.locals.get(name);
    if (local === undefined) throw new TerraformStackProblem(this.stack.directory, `uses local.${name}, never defined`);
    if (this.evaluating.has(name)) throw new TerraformStackProblem(local.file, `local.${name} refers to itself`);
    this.evaluating.add(name);
    try {
      const value = this.value(local.value, local.file);
      this.localValues.set(name, value);
      return value;
    } finally {
      this.evaluating.delete(name);
    }
  }

  /**
   * Evaluates a raw hcl2json value in the stack's scope (with `each` bound inside a for_each resource, and a dynamic
   * block's iterator inside its content).
   */
  value(
    raw: unknown,
    where: string,
    each?: { key: unknown; value: unknown },
    count?: number,
    iterators: Readonly<Record<string, unknown>> = {},
  ): unknown {
    try {
      if (raw !== null && typeof raw === "object" && !Array.isArray(raw) && "dynamic" in raw) {
        return this.withDynamicBlocks(raw as Body, where, each, count, iterators);
      }
      if (Array.isArray(raw)) return raw.map((item) => this.value(item, where, each, count, iterators));
      if (raw !== null && typeof raw === "object") {
        return Object.fromEntries(
          Object.entries(raw).map(([name, item]) => [name, this.value(item, where, each, count, iterators)]),
        );
      }
      return evaluateValue(raw, this.scope(each, count, iterators));
    } catch (error) {
      if (error instanceof TerraformStackProblem || !(error instanceof Error)) throw error;
      throw new TerraformStackProblem(where, error.message);
    }
  }

  /** A block whose `dynamic "name"` blocks are expanded into `name` blocks, one per for_each item. */
  private withDynamicBlocks(
    body: Body,
    where: string,
    each: { key: unknown; value: unknown } | undefined,
    count: number | undefined,
    iterators: Readonly<Record<string, unknown>>,
  ): Body {
    const { dynamic, ...rest } = body;
    const result = this.value(rest, where, each, count, iterators) as Body;
    for (const [name, blocks] of Object.entries(asRecord(dynamic))) {
      const block = single(blocks);
      const items = this.value(block.for_each, `${where}.dynamic.${name}`, each, count, iterators);
      if (items instanceof Unknown)
        throw new TerraformStackProblem(where, `dynamic "${name}" is only known after apply`);
      const entries: [unknown, unknown][] = Array.isArray(items)
        ? items.map((item, index) => [index, item])
        : Object.entries(asRecord(items));
      const content = single(block.content);
      result[name] = entries.map(([key, value]) =>
        this.value(content, `${where}.${name}`, each, count, { ...iterators, [name]: { key, value } }),
      );
    }
    return result;
  }

  /** The instances a resource or data source will have, each with its configured attributes evaluated. */
  instances(address: string): Instance[] {
    const block = this.stack.resource(address);
    const where = `${block.file} (${address})`;
    const configured = Object.fromEntries(Object.entries(block.body).filter(([name]) => !META_ARGUMENTS.has(name)));
    const evaluateBody = (each?: { key: unknown; value: unknown }, count?: number) =>
      this.value(configured, where, each, count) as Body;
    if ("for_each" in block.body) {
      const collection = this.value(block.body.for_each, `${where}.for_each`);
      if (collection instanceof Unknown) throw new TerraformStackProblem(where, "for_each is only known after apply");
      const entries: [string, unknown][] = Array.isArray(collection)
        ? collection.map((each) => [String(each), each])
        : Object.entries(asRecord(collection));
      return entries.map(([key, value]) => ({ key, attributes: evaluateBody({ key, value }) }));
    }
    if ("count" in block.body) {
      const count = this.value(block.body.count, `${where}.count`);
      if (typeof count !== "number") throw new TerraformStackProblem(where, "count must be a number known at plan");
      return Array.from({ length: count }, (_, index) => ({ key: index, attributes: evaluateBody(undefined, index) }));
    }
    return [{ key: undefined, attributes: evaluateBody() }];
  }

  private scope(
    each: { key: unknown; value: unknown } | undefined,
    count: number | undefined,
    iterators: Readonly<Record<string, unknown>> = {},
  ): ExpressionScope {
    const directory = this.stack.directory;
    return {
      functions: {
        file: (file) => readFileSync(String(file), "utf8"),
        templatefile: (file, values) => renderTemplateFile(String(file), asRecord(values)),
      },
      resolve: (root, steps, text) => {
        const follow = (value: unknown, from = 0) =>
          steps.slice(from).reduce((target, step) => member(target, step, text), value);
        if (root in iterators) return follow(iterators[root], 0);
        switch (root) {
          case "var":
            return follow(this.variable(String(steps[0])), 1);
          case "local":
            return follow(this.local(String(steps[0])), 1);
          case "each":
            if (each === undefined) throw new TerraformStackProblem(directory, `${text} uses each outside for_each`);
            return follow(each, 0);
          case "count":
            if (count === undefined) throw new TerraformStackProblem(directory, `${text} uses count outside count`);
            return follow({ index: count }, 0);
          case "path":
            return follow({ module: directory, root: directory, cwd: directory }, 0);
          case "data":
            return this.reference(`data.${steps[0]}.${steps[1]}`, steps.slice(2), text);
          default:
            return this.reference(`${root}.${steps[0]}`, steps.slice(1), text);
        }
      },
    };
  }

  /** `type.name[key].attribute…`: the configured attribute, else what the provider is known to give, else Unknown. */
  private reference(address: string, steps: readonly (string | number)[], text: string): unknown {
    const block = this.stack.resource(address);
    const keyed = "for_each" in block.body || "count" in block.body;
    const [first, ...rest] = steps;
    if (keyed && first === undefined) return new Unknown(text);
    const key = keyed ? first : undefined;
    const [attribute, ...deeper] = keyed ? rest : steps;
    if (attribute === undefined) return new Unknown(text);
    const instance = this.instances(address).find((each) => each.key === key);
    if (instance === undefined)
      throw new TerraformStackProblem(block.file, `${text}: ${address} has no instance ${key}`);
    const configured = instance.attributes[String(attribute)];
    const value = configured ?? this.options.known?.(address, key, String(attribute));
    if (value === undefined) return new Unknown(text);
    return deeper.reduce<unknown>((target, step) => member(target, step, text), value);
  }
}

/** Terraform's templatefile(): the file's `${name}` interpolations filled from `values`. */
export function renderTemplateFile(file: string, values: Readonly<Record<string, unknown>>): unknown {
  const text = readFileSync(file, "utf8");
  return evaluateTemplate(text, {
    functions: {},
    resolve: (root, steps, expression) => {
      if (!(root in values)) throw new TerraformStackProblem(file, `${expression} uses '${root}', which is not given`);
      return steps.reduce((target, step) => member(target, step, expression), values[root]);
    },
  });
}

function add(map: Map<string, TerraformBlock>, address: string, block: TerraformBlock): void {
  if (map.has(address)) throw new TerraformStackProblem(block.file, `${address} is defined twice`);
  map.set(address, block);
}

function single(blocks: unknown): Body {
  const [first] = asArray(blocks);
  return asRecord(first);
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
