import { InvalidPushEndpointAllowList, PushEndpointRefused } from "../../errors/index.js";
import {
  type AddressKind,
  classifyAddress,
  type IpAddress,
  inRange,
  parseAddress,
  parseAddressRange,
} from "./address-classes.js";

/**
 * Where a network sends the events of questions that name a `push_endpoint`. The forwarder sends them as the network
 * (in the cloud, as its service account, from inside its VPC), so an asker must not be able to aim it at the cloud's
 * metadata server, at the network's own machine or at a private network behind it (server-side request forgery).
 */
export interface PushEndpointPolicy {
  /**
   * Whether loopback addresses are allowed (over http or https), plain http being allowed to them only: a network on
   * one machine (embedded, `twined dev`), whose askers run their receivers beside it. Never in the cloud.
   */
  readonly allowLoopback: boolean;
  /** Hosts and address ranges the operator trusts, which may be private. */
  readonly allowList: PushEndpointAllowList;
  /** How this network's operator adds to its allow-list, named in refusals (an environment variable, an option). */
  readonly allowListSetting: string;
}

export interface PushEndpointAllowList {
  /** Hostnames, lowercase (internationalised ones in their `xn--` form), without a trailing dot. */
  readonly hostnames: ReadonlySet<string>;
  readonly ranges: readonly (readonly [IpAddress, number])[];
}

/** A push endpoint that passed the checks that need no DNS. */
export interface PushTarget {
  readonly url: URL;
  /** `scheme://host:port`: what messages show, never the path or query (which may hold a token). */
  readonly origin: string;
  /** The host to connect to: a name as the URL gives it, or an address without brackets. */
  readonly host: string;
  /** The address the URL names, when it names one rather than a host. */
  readonly address: IpAddress | undefined;
}

/** Names of the cloud metadata servers, which hand out the network's own credentials: never a push endpoint. */
const METADATA_HOSTNAMES = new Set(["metadata.google.internal", "metadata.goog", "metadata"]);

const LOCAL_HTTP_ONLY = "plain http is only allowed to loopback on a local network";

/** Lowercase labels of letters, digits, `-` and `_`, as WHATWG URLs give hostnames (IDNs already `xn--`). */
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?(?:\.[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** A policy from settings: the allow-list's entries are hostnames, addresses or CIDR ranges. */
export function pushEndpointPolicy(settings: {
  readonly allowLoopback: boolean;
  readonly allowList?: readonly string[];
  readonly allowListSetting?: string;
}): PushEndpointPolicy {
  return {
    allowLoopback: settings.allowLoopback,
    allowList: parsePushEndpointAllowList(settings.allowList ?? []),
    allowListSetting: settings.allowListSetting ?? "the network's push-endpoint allow-list",
  };
}

/**
 * Reads allow-list entries: a hostname (`hooks.internal.example.com`, matched exactly, in any case), an address
 * (`10.20.0.5`, `fd12::5`) or a range in CIDR notation (`10.20.0.0/16`, `fd12::/48`).
 * @throws InvalidPushEndpointAllowList naming the first entry that is none of these.
 */
export function parsePushEndpointAllowList(entries: readonly string[]): PushEndpointAllowList {
  const hostnames = new Set<string>();
  const ranges: (readonly [IpAddress, number])[] = [];
  for (const raw of entries) {
    const entry = raw.trim();
    if (entry.includes("/") && !entry.includes("://")) {
      const range = parseAddressRange(entry);
      if (range === undefined) {
        throw new InvalidPushEndpointAllowList(
          entry,
          "is not an address range; write one as address/prefix-length, e.g. 10.20.0.0/16 or fd12:3456::/48",
        );
      }
      ranges.push(range);
      continue;
    }
    const address = parseAddress(entry);
    if (address !== undefined) {
      ranges.push([address, address.kind() === "ipv4" ? 32 : 128]);
      continue;
    }
    hostnames.add(parseHostnameEntry(entry));
  }
  return { hostnames, ranges };
}

function parseHostnameEntry(entry: string): string {
  if (entry.includes("*")) {
    throw new InvalidPushEndpointAllowList(
      entry,
      "wildcards are not supported; name each host, or give the address range its hosts are in (e.g. 10.20.0.0/16)",
    );
  }
  if (entry.includes("://")) {
    throw new InvalidPushEndpointAllowList(entry, "give the host alone, not a URL (e.g. hooks.example.com)");
  }
  let hostname: string | undefined;
  try {
    // The URL parser lowercases and encodes internationalised names as the asker's URLs will be.
    hostname = /[:/@?#\s]/.test(entry) ? undefined : new URL(`https://${entry}/`).hostname;
  } catch {
    hostname = undefined;
  }
  if (hostname !== undefined && parseAddress(hostname) !== undefined) {
    throw new InvalidPushEndpointAllowList(
      entry,
      `is read as the address ${hostname}; write the address in full (e.g. 10.0.0.1) or give a range (e.g. 10.0.0.0/24)`,
    );
  }
  const name = hostname === undefined ? undefined : withoutTrailingDot(hostname);
  if (name === undefined || !HOSTNAME.test(name)) {
    throw new InvalidPushEndpointAllowList(
      entry,
      "is neither a hostname (e.g. hooks.example.com), an address (e.g. 10.20.0.5) nor an address range (e.g. 10.20.0.0/16)",
    );
  }
  return name;
}

/**
 * The checks a push endpoint must pass before its host is resolved: https (http only to loopback, on a network that
 * allows loopback), no credentials, not the metadata server by name; and, for a URL naming an address, that address.
 * @throws PushEndpointRefused
 */
export function checkPushEndpointUrl(text: string, policy: PushEndpointPolicy): PushTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new PushEndpointRefused(
      "",
      "push_endpoint is not a URL; give an https URL such as https://hooks.example.com/twined",
    );
  }
  const origin = `${url.protocol}//${url.host}`;
  if (url.protocol !== "https:" && url.protocol !== "http:") {
    throw new PushEndpointRefused(origin, `push_endpoint must use https, not ${url.protocol.slice(0, -1)}`);
  }
  if (url.username !== "" || url.password !== "") {
    // Never echoed: the point is that they are secrets.
    throw new PushEndpointRefused(
      origin,
      "push_endpoint must not carry credentials (user:password@); the network signs every push (x-twined-signature) so the receiver can check it is from this network",
    );
  }
  if (url.protocol === "http:" && !policy.allowLoopback) {
    throw new PushEndpointRefused(origin, `push_endpoint ${origin} must use https; ${LOCAL_HTTP_ONLY}`);
  }
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  if (METADATA_HOSTNAMES.has(withoutTrailingDot(host))) {
    throw new PushEndpointRefused(
      origin,
      `push_endpoint ${origin} names the cloud metadata server, which is never a push endpoint`,
    );
  }
  const target: PushTarget = { url, origin, host, address: parseAddress(host) };
  if (target.address !== undefined) checkPushEndpointAddresses(target, [host], policy);
  return target;
}

/**
 * Whether the network may push to a target at these addresses: all of them, as a connection may go to any.
 * @throws PushEndpointRefused for the first that is not allowed.
 */
export function checkPushEndpointAddresses(
  target: PushTarget,
  addresses: readonly string[],
  policy: PushEndpointPolicy,
): void {
  const verb = target.address === undefined ? "resolves to" : "names";
  const refuse = (what: string, advice: string) =>
    new PushEndpointRefused(target.origin, `push_endpoint ${target.origin} ${verb} ${what}; ${advice}`);
  for (const text of addresses) {
    const address = parseAddress(text);
    if (address === undefined) throw refuse(`'${text}'`, "that is not an IP address");
    const { kind, via } = classifyAddress(address);
    const what = `${text}${via === undefined ? "" : ` (which carries ${via.toString()})`}, ${KIND_DESCRIPTIONS[kind]}`;
    if (kind === "metadata" || kind === "unspecified") throw refuse(what, "it is never a push endpoint");
    if (target.url.protocol === "http:") {
      if (policy.allowLoopback && kind === "loopback") continue;
      throw refuse(what, `${LOCAL_HTTP_ONLY}: use https`);
    }
    if (kind === "public" || (kind === "loopback" && policy.allowLoopback)) continue;
    if (policy.allowList.hostnames.has(withoutTrailingDot(target.host))) continue;
    if (policy.allowList.ranges.some((range) => inRange(address, range))) continue;
    throw refuse(
      what,
      `the network only pushes to ${policy.allowLoopback ? "public and loopback" : "public"} addresses unless its allow-list names the host or a range holding the address (${policy.allowListSetting})`,
    );
  }
}

const KIND_DESCRIPTIONS: Readonly<Record<AddressKind, string>> = {
  public: "a public address",
  loopback: "a loopback address",
  private: "a private address",
  "link-local": "a link-local address",
  metadata: "the cloud metadata server's address",
  unspecified: "the unspecified address (this host)",
  "carrier-grade NAT": "a carrier-grade NAT address",
  "unique-local": "a unique-local address",
  multicast: "a multicast address",
  broadcast: "the broadcast address",
  reserved: "a reserved address (documentation, benchmarking or future use)",
  "special-use": "a special-use address",
};

function withoutTrailingDot(name: string): string {
  return name.endsWith(".") ? name.slice(0, -1) : name;
}
