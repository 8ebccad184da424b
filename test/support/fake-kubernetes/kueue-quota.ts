/** Quota arithmetic of the Kueue simulator: what a pod set requests, what a ClusterQueue offers, flavor assignment. */
import { arrayAt, at, type JsonObject, numberAt, recordAt, stringAt } from "./json.js";
import { formatQuantity, parseQuantity, quantityAtMost } from "./quantity.js";

/** Flavor → resource → quantity. */
export type Usage = Map<string, Map<string, number>>;

/** Sum of the pod set's requests (limits where a request is missing), times its count; init containers by maximum. */
export function podSetRequests(podSet: unknown): Map<string, number> {
  const perPod = new Map<string, number>();
  const requestsOf = (container: unknown): Map<string, number> => {
    const result = new Map<string, number>();
    const limits = recordAt(container, "resources", "limits") ?? {};
    const requests = { ...limits, ...(recordAt(container, "resources", "requests") ?? {}) };
    for (const [name, value] of Object.entries(requests)) {
      const quantity = parseQuantity(value);
      if (quantity !== undefined) result.set(name, quantity);
    }
    return result;
  };
  for (const container of arrayAt(podSet, "template", "spec", "containers")) {
    for (const [name, value] of requestsOf(container)) perPod.set(name, (perPod.get(name) ?? 0) + value);
  }
  for (const container of arrayAt(podSet, "template", "spec", "initContainers")) {
    for (const [name, value] of requestsOf(container)) perPod.set(name, Math.max(perPod.get(name) ?? 0, value));
  }
  const count = numberAt(podSet, "count") ?? 1;
  return new Map([...perPod].map(([name, value]) => [name, value * count]));
}

export function addUsage(usage: Usage, flavor: string, resource: string, amount: number): void {
  const byResource = usage.get(flavor) ?? new Map<string, number>();
  byResource.set(resource, (byResource.get(resource) ?? 0) + amount);
  usage.set(flavor, byResource);
}

export interface Assignment {
  readonly flavors: Record<string, string>;
  readonly usage: Map<string, number>;
}

export function nominalQuota(clusterQueue: JsonObject): Usage {
  const quota: Usage = new Map();
  for (const group of arrayAt(clusterQueue, "spec", "resourceGroups")) {
    for (const flavor of arrayAt(group, "flavors")) {
      for (const resource of arrayAt(flavor, "resources")) {
        const amount = parseQuantity(at(resource, "nominalQuota")) ?? 0;
        addUsage(quota, stringAt(flavor, "name") ?? "", stringAt(resource, "name") ?? "", amount);
      }
    }
  }
  return quota;
}

/** Picks a flavor per resource group where the requests fit in what is left, or says why none does. */
export function assignFlavors(
  clusterQueue: JsonObject,
  requests: Map<string, number>,
  used: Usage,
): Assignment | string {
  const nominal = nominalQuota(clusterQueue);
  const groups = arrayAt(clusterQueue, "spec", "resourceGroups");
  const flavors: Record<string, string> = {};
  const usage = new Map<string, number>();
  const wanted = [...requests].filter(([, amount]) => amount > 0);
  for (const [resource] of wanted) {
    if (!groups.some((group) => arrayAt(group, "coveredResources").includes(resource))) {
      return `resource ${resource} unavailable in ClusterQueue`;
    }
  }
  for (const group of groups) {
    const covered = arrayAt(group, "coveredResources");
    const needed = wanted.filter(([resource]) => covered.includes(resource));
    if (needed.length === 0) continue;
    let problem: string | undefined;
    let chosen: string | undefined;
    for (const flavor of arrayAt(group, "flavors")) {
      const flavorName = stringAt(flavor, "name") ?? "";
      let flavorProblem: string | undefined;
      for (const [resource, amount] of needed) {
        const quota = nominal.get(flavorName)?.get(resource) ?? 0;
        const free = quota - (used.get(flavorName)?.get(resource) ?? 0);
        if (!quantityAtMost(amount, quota)) {
          flavorProblem = `insufficient quota for ${resource} in flavor ${flavorName}, request > maximum capacity (${formatQuantity(amount)} > ${formatQuantity(quota)})`;
        } else if (!quantityAtMost(amount, free)) {
          flavorProblem = `insufficient unused quota for ${resource} in flavor ${flavorName}, ${formatQuantity(amount - free)} more needed`;
        }
        if (flavorProblem !== undefined) break;
      }
      if (flavorProblem === undefined) {
        chosen = flavorName;
        break;
      }
      problem ??= flavorProblem;
    }
    if (chosen === undefined) return problem ?? "no flavor";
    for (const [resource, amount] of needed) {
      flavors[resource] = chosen;
      usage.set(resource, amount);
    }
  }
  return { flavors, usage };
}
