import type { LookupAddress } from "node:dns";
import { isIP, type LookupFunction } from "node:net";
import { PushEndpointUnresolvable } from "../../errors/index.js";
import {
  checkPushEndpointAddresses,
  checkPushEndpointUrl,
  type PushEndpointPolicy,
  type PushTarget,
  pushEndpointPolicy,
} from "./push-endpoint-policy.js";
import { resolveWithSystemResolver } from "./system-resolver.js";

/** Every address a host resolves to. */
export type ResolveHost = (host: string) => Promise<readonly string[]>;

export interface PushEndpointGuardSettings {
  /** Loopback receivers, and plain http to them only: true on a network on one machine, never in the cloud. */
  readonly allowLoopback: boolean;
  /** Hostnames, addresses and CIDR ranges that may be private (see `parsePushEndpointAllowList`). */
  readonly allowList?: readonly string[];
  /** How the operator adds to the allow-list, named in refusals. */
  readonly allowListSetting?: string;
  /** How hosts are resolved; default the system resolver. Tests inject one, and so never resolve a real name. */
  readonly resolve?: ResolveHost;
}

/**
 * Applies a network's push-endpoint policy: when a question is asked (`check`), and again for every push (`lookup`),
 * against what the name resolves to at that moment, since a name may resolve to a public address when asked and to a
 * private one when pushed to (DNS rebinding).
 */
export class PushEndpointGuard {
  readonly policy: PushEndpointPolicy;
  private readonly resolve: ResolveHost;

  /** @throws InvalidPushEndpointAllowList for an allow-list entry that is not a hostname, address or range. */
  constructor(settings: PushEndpointGuardSettings) {
    this.policy = pushEndpointPolicy(settings);
    this.resolve = settings.resolve ?? resolveWithSystemResolver;
  }

  /** The cloud's policy with nothing added: https to public addresses only. What a handler given no guard applies. */
  static publicHttpsOnly(): PushEndpointGuard {
    return new PushEndpointGuard({ allowLoopback: false });
  }

  /**
   * The checks that need no resolution (see `checkPushEndpointUrl`).
   * @throws PushEndpointRefused
   */
  target(endpoint: string): PushTarget {
    return checkPushEndpointUrl(endpoint, this.policy);
  }

  /**
   * Checks an endpoint and every address its host resolves to now.
   * @throws PushEndpointRefused, or PushEndpointUnresolvable when its host resolves to nothing.
   */
  async check(endpoint: string): Promise<{ readonly target: PushTarget; readonly addresses: readonly string[] }> {
    const target = this.target(endpoint);
    return { target, addresses: await this.addressesOf(target) };
  }

  /**
   * For `http.request`: resolves the target's host as the connection is made and checks every address then, failing
   * the lookup (so no socket ever connects) when any is refused; the connection goes to an address just checked.
   * Node skips `lookup` for a URL naming an address, which `target()` has checked already.
   */
  lookup(target: PushTarget): LookupFunction {
    return (_hostname, options, callback) => {
      this.addressesOf(target).then(
        (addresses) => {
          const family = options.family === "IPv4" ? 4 : options.family === "IPv6" ? 6 : (options.family ?? 0);
          const found: LookupAddress[] = addresses
            .map((address) => ({ address, family: isIP(address) }))
            .filter((each) => family === 0 || each.family === family);
          const [first] = found;
          if (first === undefined) {
            callback(new PushEndpointUnresolvable(target.origin, target.host, `no IPv${family} address`), "");
          } else if (options.all === true) callback(null, found);
          else callback(null, first.address, first.family);
        },
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), ""),
      );
    };
  }

  private async addressesOf(target: PushTarget): Promise<readonly string[]> {
    if (target.address !== undefined) return [target.host];
    let addresses: readonly string[];
    try {
      addresses = await this.resolve(target.host);
    } catch (error) {
      throw new PushEndpointUnresolvable(target.origin, target.host, errorCode(error), { cause: error });
    }
    if (addresses.length === 0) throw new PushEndpointUnresolvable(target.origin, target.host, undefined);
    checkPushEndpointAddresses(target, addresses, this.policy);
    return addresses;
  }
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
