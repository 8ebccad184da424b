import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";
import { Namespace, ServiceAccount } from "kubernetes-models/v1";
import { beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { deployedFunctionName, NETWORK_FUNCTIONS } from "../../platform/function-catalog.js";
import { parsePriorityClasses } from "../../platform/job-launcher-settings.js";
import {
  deadLetterKeeperSubscription,
  deadLetterSubscription,
  networkSubscriptions,
} from "../../platform/network-wiring.js";
import { topicNames } from "../../shared/control-plane/index.js";
import type { StackEvaluator } from "../../tools/deploy-checks/terraform-stack.js";
import { unknownFields } from "../support/fake-kubernetes/field-tree.js";
import { type KueueKind, validateKueueObject } from "../support/fake-kubernetes/kueue-schemas.js";
import {
  buildValues,
  flag,
  loadNetworkBuild,
  loadStack,
  type NetworkBuild,
  PROJECT,
  PROJECT_NUMBER,
  ROOT,
  stageEnvironment,
} from "./deployment-fixture.js";

type Attributes = Record<string, unknown>;
type Manifest = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } } & Attributes;

let build: NetworkBuild;
let staged: Record<string, string>;
let durable: StackEvaluator;
let compute: StackEvaluator;

beforeAll(async () => {
  build = loadNetworkBuild();
  staged = stageEnvironment(build, buildValues(build));
  durable = await loadStack("durable");
  compute = await loadStack("compute");
});

/** The first block of a nested block list, as hcl2json gives it. */
function block(attributes: Attributes | undefined, name: string): Attributes {
  const list = attributes?.[name];
  if (!Array.isArray(list) || list.length !== 1) throw new Error(`expected one ${name} block`);
  return list[0] as Attributes;
}

function attributesOf(evaluator: StackEvaluator, address: string, key?: string | number): Attributes {
  const instance = evaluator.instances(address).find((each) => each.key === key);
  if (instance === undefined) throw new Error(`${address} has no instance ${String(key)}`);
  return instance.attributes;
}

function functionUrl(target: string, environment = "main"): string {
  return `https://europe-west1-${PROJECT}.cloudfunctions.net/${deployedFunctionName(environment, target)}`;
}

/**
 * The subscription pushes to the function's deployed address, wrapped (a delivery names its subscription, which tells
 * the launcher's two feeds apart), signed by the push identity for that address, and the function gives up before the
 * push's acknowledgement deadline passes (after which Pub/Sub would deliver it again).
 */
function expectPushedTo(subscription: Attributes | undefined, target: string): void {
  const push = block(subscription, "push_config");
  expect(push.push_endpoint, target).toBe(functionUrl(target));
  expect(push.no_wrapper, target).toBeUndefined();
  expect(block(push, "oidc_token"), target).toEqual({
    service_account_email: `main-twined-push@${PROJECT}.iam.gserviceaccount.com`,
    audience: functionUrl(target),
  });
  const deploy = build.steps.find((step) => flag(step.args, "--entry-point") === target);
  const timeout = Number.parseInt(flag(deploy?.args ?? [], "--timeout") ?? "", 10);
  expect(timeout, `${target}'s --timeout`).toBeLessThanOrEqual(Number(subscription?.ack_deadline_seconds));
}

function manifests(evaluator: StackEvaluator = compute): Manifest[] {
  return ["namespace", "cluster_scoped", "priority_class", "namespaced"].flatMap((name) =>
    evaluator.instances(`kubectl_manifest.${name}`).map((each) => parseYaml(String(each.attributes.yaml_body))),
  );
}

/** Whether the `terraform` command is installed (it is not needed for the checks above, which read the files). */
function terraformInstalled(): boolean {
  try {
    execFileSync("terraform", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const terraform = terraformInstalled();
if (!terraform) console.warn("infra: `terraform fmt -check` is skipped (terraform is not installed)");

describe.skipIf(!terraform)("the Terraform files, by terraform itself", () => {
  it("are formatted as `terraform fmt` writes them", () => {
    const check = spawnSync("terraform", ["fmt", "-check", "-recursive", "-list=true", "infra"], {
      cwd: ROOT,
      encoding: "utf8",
    });
    expect({ status: check.status, unformatted: check.stdout.trim() }).toEqual({ status: 0, unformatted: "" });
  });
});

describe("infra/durable", () => {
  it("creates the topics the functions name, for any environment and a kept services topic name", async () => {
    for (const [variables, env] of [
      [{}, {}],
      [{ environment: "staging" }, {}],
      [{ services_topic_name: "octue.services" }, { TWINED_SERVICES_TOPIC_NAME: "octue.services" }],
    ] as const) {
      const stack = await loadStack("durable", variables);
      const topics = topicNames(String(stack.variable("environment")), env);
      const created = stack.instances("google_pubsub_topic.network").map((each) => each.attributes.name);
      expect(created.sort()).toEqual(Object.values(topics).sort());
      expect(attributesOf(stack, "google_pubsub_subscription.dead_letters_kept").name).toBe(
        deadLetterSubscription(topics),
      );
    }
  });

  it("feeds each Pub/Sub function from the subscriptions networkSubscriptions() names, pushed to its address", () => {
    const topics = topicNames("main");
    const subscriptions = durable.instances("google_pubsub_subscription.function").map((each) => each.attributes);
    const specs = networkSubscriptions(topics);
    expect(subscriptions.map((each) => each.name).sort()).toEqual(specs.map((spec) => spec.subscription).sort());
    for (const spec of specs) {
      const subscription = subscriptions.find((each) => each.name === spec.subscription);
      expect(subscription?.topic, spec.subscription).toBe(`projects/${PROJECT}/topics/${spec.topic}`);
      expect(subscription?.filter, spec.subscription).toBe(spec.options.filter ?? "");
      expect(subscription?.enable_message_ordering, spec.subscription).toBe(
        spec.options.enableMessageOrdering === true,
      );
      expectPushedTo(subscription, spec.functionName);
      // Messages wait a week for a function that is gone; a message it keeps refusing becomes a dead letter.
      expect(subscription?.message_retention_duration, spec.subscription).toBe("604800s");
      expect(block(subscription, "retry_policy")).toEqual({ minimum_backoff: "10s", maximum_backoff: "600s" });
      expect(block(subscription, "dead_letter_policy")).toEqual({
        dead_letter_topic: `projects/${PROJECT}/topics/${topics.deadLetters}`,
        max_delivery_attempts: 10,
      });
      expect(block(subscription, "expiration_policy")).toEqual({ ttl: "" });
    }
  });

  it("keeps every dead letter for the dead-letter keeper, pushed to it, retried rather than dead-lettered again", () => {
    const topics = topicNames("main");
    const keeper = deadLetterKeeperSubscription(topics);
    const kept = attributesOf(durable, "google_pubsub_subscription.dead_letters_kept");
    expect(kept.name).toBe(keeper.subscription);
    expect(kept.topic).toBe(`projects/${PROJECT}/topics/${keeper.topic}`);
    expect(kept.filter ?? "").toBe(keeper.options.filter ?? "");
    expect(kept.enable_message_ordering ?? false).toBe(keeper.options.enableMessageOrdering === true);
    expect(kept.dead_letter_policy).toBeUndefined();
    expect(kept.retain_acked_messages).toBe(true);
    expectPushedTo(kept, keeper.functionName);
  });

  it("lets Pub/Sub's service agent dead-letter from each function subscription and sign the pushes", () => {
    const agent = `serviceAccount:service-${PROJECT_NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com`;
    const acknowledges = durable
      .instances("google_pubsub_subscription_iam_member.service_agent_acknowledges")
      .map((each) => each.attributes);
    expect(acknowledges.map((each) => each.subscription).sort()).toEqual(
      networkSubscriptions(topicNames("main"))
        .map((spec) => spec.subscription)
        .sort(),
    );
    for (const grant of acknowledges) expect(grant).toMatchObject({ role: "roles/pubsub.subscriber", member: agent });
    expect(attributesOf(durable, "google_pubsub_topic_iam_member.service_agent_dead_letters")).toMatchObject({
      topic: topicNames("main").deadLetters,
      role: "roles/pubsub.publisher",
      member: agent,
    });
    expect(attributesOf(durable, "google_service_account_iam_member.service_agent_signs_pushes")).toMatchObject({
      service_account_id: `projects/${PROJECT}/serviceAccounts/main-twined-push@${PROJECT}.iam.gserviceaccount.com`,
      role: "roles/iam.serviceAccountTokenCreator",
      member: agent,
    });
  });

  it("creates the Firestore database the functions use, with every index and exemption of firestore.indexes.json", () => {
    expect(attributesOf(durable, "google_firestore_database.twined").name).toBe(staged.TWINED_FIRESTORE_DATABASE);
    const file = JSON.parse(readFileSync(path.join(ROOT, "infra", "firestore.indexes.json"), "utf8")) as {
      indexes: { collectionGroup: string; queryScope: string; fields: { fieldPath: string; order: string }[] }[];
      fieldOverrides: { collectionGroup: string; fieldPath: string; indexes: unknown[] }[];
    };
    const indexes = durable.instances("google_firestore_index.query").map((each) => each.attributes);
    expect(
      indexes.map((index) => ({
        collectionGroup: index.collection,
        queryScope: index.query_scope,
        fields: (index.fields as { field_path: string; order: string }[]).map((field) => ({
          fieldPath: field.field_path,
          order: field.order,
        })),
      })),
    ).toEqual(file.indexes);
    for (const index of indexes) expect(index.database).toBe(staged.TWINED_FIRESTORE_DATABASE);
    const overrides = durable.instances("google_firestore_field.override").map((each) => each.attributes);
    expect(overrides.map((field) => `${field.collection}.${field.field}`)).toEqual(
      file.fieldOverrides.map((field) => `${field.collectionGroup}.${field.fieldPath}`),
    );
    const exempt = overrides.find((field) => field.field === "answer");
    expect(block(exempt, "index_config").indexes).toEqual([]);
  });

  it("holds the identities and the secret that cloudbuild.yaml and the compute stack name", () => {
    const accounts = durable.instances("google_service_account.twined").map((each) => each.attributes.account_id);
    const looked = compute.instances("data.google_service_account.twined").map((each) => each.attributes.account_id);
    expect(accounts).toEqual(expect.arrayContaining(looked));
    for (const account of accounts) expect(String(account)).toMatch(/^[a-z][-a-z0-9]{4,28}[a-z0-9]$/);
    expect(accounts).toContain("main-twined-deployer");
  });

  it("names the image repository that the services' template pushes to", () => {
    const template = parseYaml(
      readFileSync(path.join(ROOT, "runtime", "service-deployment", "cloudbuild.yaml"), "utf8"),
    ) as {
      substitutions: Record<string, string>;
    };
    const repository = attributesOf(durable, "google_artifact_registry_repository.services");
    expect(repository.repository_id).toBe(template.substitutions._REPOSITORY);
    expect(repository.location).toBe(template.substitutions._REGION);
    expect(repository.format).toBe("DOCKER");
  });
});

describe("infra/compute", () => {
  it("owns no subscription: destroying compute loses no message", () => {
    const subscriptions = [...compute.stack.resources.keys()].filter((address) => address.includes("pubsub"));
    expect(subscriptions).toEqual([]);
  });

  it("lets each function be called only by its callers: Pub/Sub, Cloud Scheduler, askers", async () => {
    const topics = topicNames("main");
    const fed = new Set(
      [...networkSubscriptions(topics), deadLetterKeeperSubscription(topics)].map((spec) => spec.functionName),
    );
    expect([...fed].sort()).toEqual(
      NETWORK_FUNCTIONS.filter((each) => each.caller === "pubsub")
        .map((each) => each.target)
        .sort(),
    );
    const pushed = compute.instances("google_cloud_run_v2_service_iam_member.push").map((each) => each.attributes);
    expect(pushed.map((each) => each.name).sort()).toEqual([...fed].map((target) => `main-twined-${target}`).sort());
    for (const each of pushed)
      expect(each.member).toBe(`serviceAccount:main-twined-push@${PROJECT}.iam.gserviceaccount.com`);

    const scheduled = NETWORK_FUNCTIONS.filter((each) => each.caller === "scheduler").map((each) => each.target);
    expect(attributesOf(compute, "google_cloud_run_v2_service_iam_member.scheduler").name).toBe(
      deployedFunctionName("main", scheduled[0] ?? ""),
    );
    const job = attributesOf(compute, "google_cloud_scheduler_job.reconciler");
    const target = block(job, "http_target");
    expect(target.uri).toBe(functionUrl("question-reconciler"));
    expect(target.http_method).toBe("POST");
    expect(block(target, "oidc_token").audience).toBe(functionUrl("question-reconciler"));

    // A job asks its children through the questions API, where its environment says (cloudJobEnvironment).
    expect(attributesOf(compute, "google_cloud_run_v2_service_iam_member.jobs")).toMatchObject({
      name: new URL(staged.TWINED_NETWORK_URL ?? "").pathname.slice(1),
      member: `serviceAccount:main-twined-jobs@${PROJECT}.iam.gserviceaccount.com`,
    });

    const withAskers = await loadStack("compute", { askers: ["group:analysts@example.com"] });
    const asked = withAskers.instances("google_cloud_run_v2_service_iam_member.askers").map((each) => each.attributes);
    expect(asked.map((each) => each.name).sort()).toEqual(
      NETWORK_FUNCTIONS.filter((each) => each.caller === "askers")
        .map((each) => deployedFunctionName("main", each.target))
        .sort(),
    );
  });

  it("creates the cluster where the functions look for it, and none for Cloud Run", async () => {
    const cluster = attributesOf(compute, "google_container_cluster.jobs", 0);
    expect(`projects/${PROJECT}/locations/${cluster.location}/clusters/${cluster.name}`).toBe(
      staged.TWINED_GKE_CLUSTER,
    );
    expect(cluster.enable_autopilot).toBe(true);
    const cloudRun = await loadStack("compute", { launcher: "cloud-run" });
    expect(cloudRun.instances("google_container_cluster.jobs")).toEqual([]);
    expect(manifests(cloudRun)).toEqual([]);
    expect(cloudRun.instances("google_project_iam_member.launcher_runs_cloud_run_jobs")).toHaveLength(1);
  });

  it("renders Kueue v1beta2 and Kubernetes objects that their schemas accept, with no unknown field", () => {
    const objects = manifests();
    expect(objects.map((each) => each.kind).sort()).toEqual([
      "ClusterQueue",
      "ClusterRole",
      "ClusterRoleBinding",
      "LocalQueue",
      "Namespace",
      "ResourceFlavor",
      "Role",
      "RoleBinding",
      "ServiceAccount",
      "WorkloadPriorityClass",
      "WorkloadPriorityClass",
      "WorkloadPriorityClass",
    ]);
    const kubernetes = { Namespace, ServiceAccount, Role, RoleBinding, ClusterRole, ClusterRoleBinding } as const;
    for (const object of objects) {
      if (object.apiVersion === "kueue.x-k8s.io/v1beta2") {
        expect(validateKueueObject(object.kind as KueueKind, object), object.kind).toEqual([]);
      } else {
        const kind = object.kind as keyof typeof kubernetes;
        expect(() => new kubernetes[kind](object as never).validate(), kind).not.toThrow();
        expect(unknownFields(object, kind), kind).toEqual([]);
      }
    }
  });

  it("catches a v1beta1 field or a typo in a manifest (the check itself)", () => {
    const queue = manifests().find((each) => each.kind === "ClusterQueue") as Manifest;
    const old = { ...queue, spec: { ...(queue.spec as Attributes), cohort: "team" } };
    expect(validateKueueObject("ClusterQueue", old).map((cause) => cause.field)).toContain("spec.cohort");
    const role = manifests().find((each) => each.kind === "Role") as Manifest;
    expect(unknownFields({ ...role, rule: [] }, "Role").map((cause) => cause.field)).toEqual(["rule"]);
  });

  it("queues Jobs where the launcher sends them, with the classes their priorities map to", () => {
    const objects = manifests();
    const find = (kind: string) => objects.filter((each) => each.kind === kind);
    const localQueue = find("LocalQueue")[0] as Manifest;
    expect(localQueue.metadata).toEqual({
      name: staged.TWINED_KUEUE_LOCAL_QUEUE,
      namespace: staged.TWINED_KUEUE_NAMESPACE,
    });
    const clusterQueue = find("ClusterQueue")[0] as Manifest;
    expect((localQueue.spec as Attributes).clusterQueue).toBe(clusterQueue.metadata.name);
    const spec = clusterQueue.spec as { resourceGroups: { coveredResources: string[]; flavors: { name: string }[] }[] };
    const groups = spec.resourceGroups;
    // A Job requests cpu, memory and ephemeral-storage (shared/ports/job-container.ts): the quota must cover all three.
    expect(groups[0]?.coveredResources.sort()).toEqual(["cpu", "ephemeral-storage", "memory"]);
    expect(groups[0]?.flavors[0]?.name).toBe(find("ResourceFlavor")[0]?.metadata.name);
    const classes = Object.fromEntries(find("WorkloadPriorityClass").map((each) => [each.metadata.name, each.value]));
    expect(classes).toEqual(parsePriorityClasses(staged.TWINED_KUEUE_PRIORITY_CLASSES ?? "", "test"));
  });

  it("runs Jobs as the account workload identity maps to the jobs' identity, and lets the functions manage them", () => {
    const objects = manifests();
    const account = objects.find((each) => each.kind === "ServiceAccount");
    expect(account?.metadata).toMatchObject({
      name: staged.TWINED_JOB_SERVICE_ACCOUNT,
      namespace: staged.TWINED_KUEUE_NAMESPACE,
      annotations: { "iam.gke.io/gcp-service-account": `main-twined-jobs@${PROJECT}.iam.gserviceaccount.com` },
    });
    expect(attributesOf(compute, "google_service_account_iam_member.pods_act_as_jobs", 0).member).toBe(
      `serviceAccount:${PROJECT}.svc.id.goog[${staged.TWINED_KUEUE_NAMESPACE}/${staged.TWINED_JOB_SERVICE_ACCOUNT}]`,
    );
    const binding = objects.find((each) => each.kind === "RoleBinding");
    expect(binding?.subjects).toEqual([
      {
        kind: "User",
        apiGroup: "rbac.authorization.k8s.io",
        name: `main-twined-functions@${PROJECT}.iam.gserviceaccount.com`,
      },
    ]);
    const rules = objects.find((each) => each.kind === "Role")?.rules as {
      apiGroups: string[];
      resources: string[];
      verbs: string[];
    }[];
    const allows = (group: string, resource: string, verb: string) =>
      rules.some(
        (rule) => rule.apiGroups.includes(group) && rule.resources.includes(resource) && rule.verbs.includes(verb),
      );
    // What shared/adapters/kueue calls: create, read, list and delete Jobs; list pods and Workloads; queue positions.
    for (const [group, resource, verb] of [
      ["batch", "jobs", "create"],
      ["batch", "jobs", "get"],
      ["batch", "jobs", "list"],
      ["batch", "jobs", "delete"],
      ["", "pods", "list"],
      ["kueue.x-k8s.io", "workloads", "list"],
      ["visibility.kueue.x-k8s.io", "localqueues/pendingworkloads", "get"],
    ] as const) {
      expect(allows(group, resource, verb), `${verb} ${group}/${resource}`).toBe(true);
    }
    // The cluster's WorkloadPriorityClasses are cluster-scoped: a ClusterRole, bound to the same identity.
    const clusterRole = objects.find((each) => each.kind === "ClusterRole") as Manifest;
    expect(clusterRole.rules).toEqual([
      { apiGroups: ["kueue.x-k8s.io"], resources: ["workloadpriorityclasses"], verbs: ["get", "list", "watch"] },
    ]);
    const clusterBinding = objects.find((each) => each.kind === "ClusterRoleBinding");
    expect(clusterBinding?.roleRef).toEqual({
      kind: "ClusterRole",
      apiGroup: "rbac.authorization.k8s.io",
      name: clusterRole.metadata.name,
    });
    expect(clusterBinding?.subjects).toEqual(binding?.subjects);
  });
});
