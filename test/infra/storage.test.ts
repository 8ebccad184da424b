import { beforeAll, describe, expect, it } from "vitest";
import { Unknown } from "../../tools/deploy-checks/hcl-expression.js";
import type { StackEvaluator } from "../../tools/deploy-checks/terraform-stack.js";
import {
  buildValues,
  loadNetworkBuild,
  loadStack,
  type NetworkBuild,
  PROJECT,
  PROJECT_NUMBER,
  stageEnvironment,
} from "./deployment-fixture.js";

/**
 * The dataset buckets: the ones the build names are the ones the durable stack creates, private and kept as long as
 * its variables say, and each identity can do with them what the code does, and no more than objects' roles allow.
 */

type Attributes = Record<string, unknown>;
type Kind = "outputs" | "uploads" | "diagnostics";

const KINDS: readonly Kind[] = ["outputs", "uploads", "diagnostics"];
const LOCATION_VARIABLES: Readonly<Record<Kind, string>> = {
  outputs: "TWINED_OUTPUTS_LOCATION",
  uploads: "TWINED_UPLOADS_LOCATION",
  diagnostics: "TWINED_DIAGNOSTICS_LOCATION",
};

/**
 * What the predefined roles the stacks grant allow, of the permissions the checks ask about (Google's IAM role
 * reference). A role not listed here fails the checks until it is: its permissions must be looked up, not guessed.
 */
const ROLE_PERMISSIONS: Readonly<Record<string, readonly string[]>> = {
  "roles/storage.objectViewer": ["storage.objects.get", "storage.objects.list"],
  "roles/storage.objectCreator": ["storage.objects.create"],
  "roles/storage.objectUser": [
    "storage.objects.create",
    "storage.objects.delete",
    "storage.objects.get",
    "storage.objects.list",
    "storage.objects.update",
  ],
  "roles/storage.objectAdmin": [
    "storage.objects.create",
    "storage.objects.delete",
    "storage.objects.get",
    "storage.objects.list",
    "storage.objects.update",
    "storage.objects.setIamPolicy",
    "storage.managedFolders.setIamPolicy",
  ],
  "roles/iam.serviceAccountTokenCreator": [
    "iam.serviceAccounts.signBlob",
    "iam.serviceAccounts.getAccessToken",
    "iam.serviceAccounts.getOpenIdToken",
  ],
  "roles/secretmanager.secretAccessor": ["secretmanager.versions.access"],
};

const READ = ["storage.objects.get", "storage.objects.list"];
/**
 * Uploading a dataset (shared/datasets/upload-datasets.ts): look up each file, create it, read it back, and rewrite
 * an unchanged file's metadata and the dataset's `.octue` (replacing an object deletes the old one).
 */
const WRITE = [...READ, "storage.objects.create", "storage.objects.update", "storage.objects.delete"];

/** What each identity does with each bucket, and which code does it. */
const NEEDS: readonly { who: string; kind: Kind; permissions: readonly string[]; why: string }[] = [
  { who: "jobs", kind: "outputs", permissions: WRITE, why: "the runner uploads output datasets, reads children's" },
  { who: "jobs", kind: "uploads", permissions: READ, why: "the runner reads the input datasets askers uploaded" },
  { who: "jobs", kind: "diagnostics", permissions: WRITE, why: "a failing job uploads its crash diagnostics" },
  { who: "functions", kind: "outputs", permissions: READ, why: "the intake and the reconciler read stored answers" },
  { who: "functions", kind: "diagnostics", permissions: READ, why: "signing a diagnostics URL reads the object" },
];

/** Roles on a bucket that would let an identity change the bucket or who may use it: never granted. */
const BUCKET_ADMIN_ROLES = ["roles/storage.admin", "roles/owner", "roles/editor", "roles/storage.legacyBucketOwner"];

let build: NetworkBuild;
let durable: StackEvaluator;

beforeAll(async () => {
  build = loadNetworkBuild();
  durable = await loadStack("durable");
});

function block(attributes: Attributes | undefined, name: string): Attributes {
  const list = attributes?.[name];
  if (!Array.isArray(list) || list.length !== 1) throw new Error(`expected one ${name} block`);
  return list[0] as Attributes;
}

/** The buckets a stack creates, by kind. */
function buckets(evaluator: StackEvaluator): Record<string, Attributes> {
  return Object.fromEntries(
    evaluator.instances("google_storage_bucket.datasets").map((each) => [String(each.key), each.attributes]),
  );
}

function bucketNamed(evaluator: StackEvaluator, kind: Kind): string {
  const bucket = buckets(evaluator)[kind];
  if (bucket === undefined) throw new Error(`infra/durable creates no ${kind} bucket`);
  return String(bucket.name);
}

function member(evaluator: StackEvaluator, who: string): string {
  const account = evaluator.instances("google_service_account.twined").find((each) => each.key === who);
  if (account === undefined) throw new Error(`infra/durable has no ${who} service account`);
  return `serviceAccount:${account.attributes.account_id}@${evaluator.variable("project")}.iam.gserviceaccount.com`;
}

interface Grant {
  readonly address: string;
  readonly attributes: Attributes;
  readonly members: readonly unknown[];
}

/**
 * Every IAM grant of a stack (`*_iam_member` and `*_iam_binding` resources), evaluated. A grant whose for_each is only
 * known after apply (one per subscription, say) is read once, with `each` unknown.
 */
function grants(evaluator: StackEvaluator): Grant[] {
  const addresses = [...evaluator.stack.resources.keys()].filter((address) =>
    /_iam_(member|binding|policy)\.[^.]+$/.test(address),
  );
  return addresses.flatMap((address) => {
    let instances: Attributes[];
    try {
      instances = evaluator.instances(address).map((each) => each.attributes);
    } catch (error) {
      if (!String(error).includes("only known after apply")) throw error;
      const { for_each: _, depends_on: __, ...body } = evaluator.stack.resource(address).body;
      const each = { key: new Unknown("each.key"), value: new Unknown("each.value") };
      instances = [evaluator.value(body, address, each) as Attributes];
    }
    return instances.map((attributes) => ({
      address,
      attributes,
      members: Array.isArray(attributes.members) ? attributes.members : [attributes.member],
    }));
  });
}

/** What `who` may do with objects of `bucket`, over every grant on it. */
function bucketPermissions(evaluator: StackEvaluator, bucket: string, who: string): Set<string> {
  const permissions = new Set<string>();
  for (const grant of grants(evaluator)) {
    if (!grant.address.startsWith("google_storage_bucket_iam_")) continue;
    if (grant.attributes.bucket !== bucket || !grant.members.includes(who)) continue;
    const role = String(grant.attributes.role);
    const allowed = ROLE_PERMISSIONS[role];
    if (allowed === undefined) throw new Error(`${grant.address} grants ${role}, which the checks do not know`);
    for (const permission of allowed) permissions.add(permission);
  }
  return permissions;
}

/**
 * Evaluates an IAM condition for a resource name, as far as IAM lets conditions read `resource.name`:
 * `startsWith`, `endsWith`, `==`, `!=`, under `!`, `&&`, `||` and parentheses. Anything else is refused by name.
 */
function conditionAllows(expression: string, resourceName: string): boolean {
  const tokens = expression.match(/"(?:[^"\\]|\\.)*"|&&|\|\||==|!=|[!()]|[A-Za-z_][A-Za-z0-9_.]*|\S/g) ?? [];
  let at = 0;
  const refuse = (what: string): never => {
    throw new Error(`the IAM condition ${JSON.stringify(expression)} has ${what}, which the check does not read`);
  };
  const literal = (token: string | undefined): string =>
    token?.startsWith('"') ? (JSON.parse(token) as string) : refuse(`'${token}' where a string belongs`);
  const expect = (token: string) => {
    if (tokens[at] !== token) refuse(`'${tokens[at]}' where '${token}' belongs`);
    at += 1;
  };
  const primary = (): boolean => {
    const token = tokens[at];
    at += 1;
    if (token === "(") {
      const value = or();
      expect(")");
      return value;
    }
    const call = /^resource\.name\.(startsWith|endsWith)$/.exec(token ?? "");
    if (call !== null) {
      expect("(");
      const text = literal(tokens[at]);
      at += 1;
      expect(")");
      return call[1] === "startsWith" ? resourceName.startsWith(text) : resourceName.endsWith(text);
    }
    if (token === "resource.name" && (tokens[at] === "==" || tokens[at] === "!=")) {
      const equal = tokens[at] === "==";
      const text = literal(tokens[at + 1]);
      at += 2;
      return equal === (resourceName === text);
    }
    return refuse(`'${token}'`);
  };
  const unary = (): boolean => {
    if (tokens[at] !== "!") return primary();
    at += 1;
    return !unary();
  };
  const and = (): boolean => {
    let value = unary();
    while (tokens[at] === "&&") {
      at += 1;
      value = unary() && value;
    }
    return value;
  };
  const or = (): boolean => {
    let value = and();
    while (tokens[at] === "||") {
      at += 1;
      value = and() || value;
    }
    return value;
  };
  const value = or();
  if (at < tokens.length) refuse(`'${tokens[at]}' after the end`);
  return value;
}

describe("the dataset buckets", () => {
  it("are the buckets every TWINED_*_LOCATION of the build names, for any project and environment", async () => {
    for (const [project, environment] of [
      [PROJECT, "main"],
      // The longest names there can be: a project id has at most 30 characters, an environment 10.
      ["abcdefghij-abcdefghij-abcdefgh", "staging123"],
    ] as const) {
      const staged = stageEnvironment(build, buildValues(build, { PROJECT_ID: project, _ENVIRONMENT: environment }));
      const stack = await loadStack("durable", { project, environment });
      const created = buckets(stack);
      const names = Object.values(created).map((bucket) => String(bucket.name));
      const locations = Object.entries(staged).filter(([name]) => /^TWINED_[A-Z_]+_LOCATION$/.test(name));
      expect(locations.map(([name]) => name).sort(), "the locations cloudbuild.yaml's stage step sets").toEqual(
        Object.values(LOCATION_VARIABLES).sort(),
      );
      for (const [name, value] of locations) {
        const bucket = /^gs:\/\/([^/]+)$/.exec(value)?.[1];
        expect(bucket, `${name}=${value} must be a whole bucket, gs://<bucket>`).toBeDefined();
        expect(names, `${name}=${value} names no bucket infra/durable creates`).toContain(bucket);
      }
      for (const kind of KINDS) {
        expect(
          `gs://${created[kind]?.name}`,
          `infra/durable's ${kind} bucket must be the build's ${LOCATION_VARIABLES[kind]}`,
        ).toBe(staged[LOCATION_VARIABLES[kind]]);
      }
      expect(Object.keys(created).sort(), "infra/durable creates a bucket the build names in no location").toEqual(
        [...KINDS].sort(),
      );
      for (const name of names) {
        expect(name, `${name} is not a valid bucket name (3 to 63 of a-z, 0-9, - and _)`).toMatch(
          /^[a-z0-9][a-z0-9_-]{1,61}[a-z0-9]$/,
        );
      }
    }
  });

  it("are private, in the network's region, never destroyed with their objects, unversioned", () => {
    for (const kind of KINDS) {
      const bucket = buckets(durable)[kind];
      expect(bucket?.uniform_bucket_level_access, `the ${kind} bucket needs uniform bucket-level access`).toBe(true);
      expect(bucket?.public_access_prevention, `the ${kind} bucket needs public access prevention enforced`).toBe(
        "enforced",
      );
      expect(bucket?.force_destroy, `the ${kind} bucket must set force_destroy = false`).toBe(false);
      expect(block(bucket, "versioning").enabled, `the ${kind} bucket's versioning must be off`).toBe(false);
      expect(bucket?.location, `the ${kind} bucket must be in var.region`).toBe(durable.variable("region"));
      expect(bucket?.labels, `the ${kind} bucket's labels`).toMatchObject({ "twined-environment": "main" });
    }
  });

  it("delete uploads and diagnostics after their retention variables' days, and outputs only when asked", async () => {
    const rules = (stack: StackEvaluator, kind: Kind) =>
      ((buckets(stack)[kind]?.lifecycle_rule as Attributes[] | undefined) ?? []).map((rule) => ({
        action: block(rule, "action"),
        condition: block(rule, "condition"),
      }));
    const deletesAfter = (days: number) => [{ action: { type: "Delete" }, condition: { age: days } }];
    expect(
      [durable.variable("uploads_retention_days"), durable.variable("diagnostics_retention_days")],
      "the documented defaults: uploads 30 days, diagnostics 90",
    ).toEqual([30, 90]);
    expect(durable.variable("outputs_retention_days"), "outputs are kept unless asked").toBeNull();
    expect(rules(durable, "uploads"), "the uploads bucket's lifecycle").toEqual(deletesAfter(30));
    expect(rules(durable, "diagnostics"), "the diagnostics bucket's lifecycle").toEqual(deletesAfter(90));
    expect(rules(durable, "outputs"), "the outputs bucket keeps its objects by default").toEqual([]);

    const short = await loadStack("durable", {
      uploads_retention_days: 7,
      diagnostics_retention_days: 14,
      outputs_retention_days: 365,
    });
    expect(rules(short, "uploads"), "uploads_retention_days = 7").toEqual(deletesAfter(7));
    expect(rules(short, "diagnostics"), "diagnostics_retention_days = 14").toEqual(deletesAfter(14));
    expect(rules(short, "outputs"), "outputs_retention_days = 365").toEqual(deletesAfter(365));
  });
});

describe("access to the datasets", () => {
  it("lets the jobs and the functions do with each bucket what their code does, with objects' roles only", () => {
    for (const need of NEEDS) {
      const bucket = bucketNamed(durable, need.kind);
      const granted = bucketPermissions(durable, bucket, member(durable, need.who));
      const missing = need.permissions.filter((permission) => !granted.has(permission));
      expect(missing, `the ${need.who} identity lacks on the ${need.kind} bucket (${need.why})`).toEqual([]);
    }
    for (const grant of grants(durable).filter((each) => each.address.startsWith("google_storage_bucket_iam_"))) {
      expect(BUCKET_ADMIN_ROLES, `${grant.address} grants control of a bucket, not of its objects`).not.toContain(
        grant.attributes.role,
      );
    }
  });

  it("lets the jobs and the functions sign URLs as themselves (signBlob on their own account)", () => {
    for (const who of ["jobs", "functions"]) {
      const self = member(durable, who);
      const account = `projects/${PROJECT}/serviceAccounts/${self.slice("serviceAccount:".length)}`;
      const signs = grants(durable).some(
        (grant) =>
          grant.address.startsWith("google_service_account_iam_") &&
          grant.attributes.service_account_id === account &&
          grant.members.includes(self) &&
          (ROLE_PERMISSIONS[String(grant.attributes.role)] ?? []).includes("iam.serviceAccounts.signBlob"),
      );
      expect(signs, `the ${who} identity needs iam.serviceAccounts.signBlob on itself (Token Creator)`).toBe(true);
    }
  });

  it("lets the jobs read credentials from the project's Secret Manager, but not the network's own secrets", () => {
    const jobs = member(durable, "jobs");
    const reads = grants(durable).filter(
      (grant) =>
        grant.address.startsWith("google_project_iam_") &&
        grant.members.includes(jobs) &&
        (ROLE_PERMISSIONS[String(grant.attributes.role)] ?? []).includes("secretmanager.versions.access"),
    );
    expect(reads.length, "the jobs identity needs roles/secretmanager.secretAccessor in the project").toBe(1);
    const condition = reads[0]?.attributes.condition;
    expect(condition, "the jobs' Secret Manager access must be conditioned").toBeDefined();
    const expression = String(block(reads[0]?.attributes, "condition").expression);
    const pushSecret = String(durable.instances("google_secret_manager_secret.push_secret")[0]?.attributes.secret_id);
    const names = (secret: string) =>
      [PROJECT_NUMBER, PROJECT].flatMap((project) => [
        `projects/${project}/secrets/${secret}`,
        `projects/${project}/secrets/${secret}/versions/latest`,
        `projects/${project}/secrets/${secret}/versions/3`,
      ]);
    for (const name of [...names("OPENAI_API_KEY"), ...names("my_service_token")]) {
      expect(conditionAllows(expression, name), `a job must be able to read ${name}`).toBe(true);
    }
    for (const name of [...names(pushSecret), ...names("main-twined-anything")]) {
      expect(conditionAllows(expression, name), `a job must not be able to read ${name}`).toBe(false);
    }
  });

  it("lets the uploaders, and only them, upload datasets, to the uploads bucket only", async () => {
    const uploader = "group:analysts@example.com";
    expect(bucketPermissions(durable, bucketNamed(durable, "uploads"), uploader).size, "no uploaders by default").toBe(
      0,
    );
    const stack = await loadStack("durable", { uploaders: [uploader] });
    for (const kind of KINDS) {
      const granted = bucketPermissions(stack, bucketNamed(stack, kind), uploader);
      if (kind === "uploads") {
        const missing = WRITE.filter((permission) => !granted.has(permission));
        expect(missing, "an uploader lacks on the uploads bucket (shared/datasets uploadLocalDatasets)").toEqual([]);
      } else {
        expect([...granted], `an uploader must have nothing on the ${kind} bucket`).toEqual([]);
      }
    }
  });

  it("grants nothing to allUsers or allAuthenticatedUsers, in either stack", async () => {
    const stacks = {
      durable: await loadStack("durable", { uploaders: ["group:analysts@example.com"] }),
      compute: await loadStack("compute", { askers: ["group:analysts@example.com"] }),
      "compute (cloud-run)": await loadStack("compute", { launcher: "cloud-run" }),
    };
    for (const [name, stack] of Object.entries(stacks)) {
      const all = grants(stack);
      expect(all.length, `${name} has IAM grants to check`).toBeGreaterThan(0);
      for (const grant of all) {
        for (const each of grant.members) {
          expect(["allUsers", "allAuthenticatedUsers"], `${name}: ${grant.address} grants the public`).not.toContain(
            each,
          );
        }
      }
    }
  });
});
