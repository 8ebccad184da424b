import ipaddr from "ipaddr.js";

export type IpAddress = ipaddr.IPv4 | ipaddr.IPv6;

/**
 * What a push to an address would reach. Only `public` is somewhere on the internet; every other kind is inside a
 * network (this machine, a private network, the cloud's metadata server) or no single host at all.
 */
export type AddressKind =
  | "public"
  | "loopback"
  | "private"
  | "link-local"
  | "metadata"
  | "unspecified"
  | "carrier-grade NAT"
  | "unique-local"
  | "multicast"
  | "broadcast"
  | "reserved"
  | "special-use";

export interface AddressClass {
  readonly kind: AddressKind;
  /**
   * The IPv4 address an IPv6 one stands for (IPv4-mapped or -translated, NAT64, 6to4, Teredo), when that is what made
   * the IPv6 address refused: the packets end up there.
   */
  readonly via?: ipaddr.IPv4;
}

/** The cloud metadata servers (Google Cloud, AWS, Azure…, and AWS's IPv6 one), which hand out the caller's credentials. */
const METADATA_ADDRESSES = [ipaddr.IPv4.parse("169.254.169.254"), ipaddr.IPv6.parse("fd00:ec2::254")];

/** Global unicast (RFC 4291): every public IPv6 address is in it; what lies outside is special-use or unassigned. */
const GLOBAL_UNICAST = ipaddr.IPv6.parseCIDR("2000::/3");
/** NAT64 for one network's own use (RFC 8215): where its IPv4 address sits depends on that network's prefix length. */
const LOCAL_USE_NAT64 = ipaddr.IPv6.parseCIDR("64:ff9b:1::/48");
/** IPv4-compatible IPv6 (RFC 4291, deprecated): `::a.b.c.d`. */
const IPV4_COMPATIBLE = ipaddr.IPv6.parseCIDR("::/96");

const IPV4_KINDS: Readonly<Record<string, AddressKind>> = {
  unicast: "public",
  unspecified: "unspecified",
  broadcast: "broadcast",
  multicast: "multicast",
  linkLocal: "link-local",
  loopback: "loopback",
  carrierGradeNat: "carrier-grade NAT",
  private: "private",
  reserved: "reserved",
};

const IPV6_KINDS: Readonly<Record<string, AddressKind>> = {
  unicast: "public",
  unspecified: "unspecified",
  linkLocal: "link-local",
  multicast: "multicast",
  loopback: "loopback",
  uniqueLocal: "unique-local",
  benchmarking: "reserved",
  reserved: "reserved",
};

/** Parses an address as a resolver or a WHATWG URL gives it (`[…]` around IPv6 allowed); undefined when it is none. */
export function parseAddress(text: string): IpAddress | undefined {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  // Only canonical forms: `0x7f.1` and friends never come from a URL (which normalises them) or a resolver.
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return ipaddr.IPv4.parse(bare);
  if (ipaddr.IPv6.isValid(bare)) return ipaddr.IPv6.parse(bare);
  return undefined;
}

/** Parses `address/prefix-length` (IPv4 in four-part decimal); undefined when it is not one. */
export function parseAddressRange(text: string): readonly [IpAddress, number] | undefined {
  if (ipaddr.IPv4.isValidCIDRFourPartDecimal(text)) return ipaddr.IPv4.parseCIDR(text);
  if (ipaddr.IPv6.isValidCIDR(text)) return ipaddr.IPv6.parseCIDR(text);
  return undefined;
}

/** What kind of place an address is. Anything ipaddr.js does not know as ordinary unicast is not `public`. */
export function classifyAddress(address: IpAddress): AddressClass {
  if (METADATA_ADDRESSES.some((metadata) => sameAddress(metadata, address))) return { kind: "metadata" };
  if (address.kind() === "ipv4") return { kind: IPV4_KINDS[address.range()] ?? "special-use" };
  const ipv6 = address as ipaddr.IPv6;
  if (ipv6.match(LOCAL_USE_NAT64)) return { kind: "special-use" };
  const carried = carriedIPv4(ipv6);
  if (carried !== undefined) {
    const inside = carried.addresses
      .map((each) => ({ each, kind: classifyAddress(each).kind }))
      .find(({ kind }) => kind !== "public");
    if (inside !== undefined) return { kind: inside.kind, via: inside.each };
    return { kind: carried.routable ? "public" : "special-use" };
  }
  const kind = IPV6_KINDS[ipv6.range()] ?? "special-use";
  // Unicast outside 2000::/3 is unassigned or special (discard-only, the deprecated site-local…), never a host to push to.
  if (kind === "public" && !ipv6.match(GLOBAL_UNICAST)) return { kind: "special-use" };
  return { kind };
}

/**
 * The IPv4 addresses an IPv6 address carries, each of which a packet may end up at, and whether the IPv6 form is
 * routed at all (the IPv4-compatible form is not).
 */
function carriedIPv4(address: ipaddr.IPv6): { addresses: ipaddr.IPv4[]; routable: boolean } | undefined {
  const [, p1 = 0, p2 = 0, p3 = 0, , , p6 = 0, p7 = 0] = address.parts;
  const ipv4 = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  switch (address.range()) {
    // ::ffff:a.b.c.d, ::ffff:0:a.b.c.d (RFC 6145), 64:ff9b::a.b.c.d (RFC 6052): the last 32 bits.
    case "ipv4Mapped":
    case "rfc6145":
    case "rfc6052":
      return { addresses: [ipv4(p6, p7)], routable: true };
    // 2002:aabb:ccdd::/48 (RFC 3056): the 6to4 router's address follows the prefix.
    case "6to4":
      return { addresses: [ipv4(p1, p2)], routable: true };
    // 2001:0:server::client (RFC 4380): the Teredo server, then the client's address with every bit flipped.
    case "teredo":
      return { addresses: [ipv4(p6 ^ 0xffff, p7 ^ 0xffff), ipv4(p2, p3)], routable: true };
    default:
      break;
  }
  if (address.match(IPV4_COMPATIBLE)) {
    // `::` and `::1` are themselves, not IPv4 addresses.
    if (address.range() === "unspecified" || address.range() === "loopback") return undefined;
    return { addresses: [ipv4(p6, p7)], routable: false };
  }
  return undefined;
}

export function sameAddress(a: IpAddress, b: IpAddress): boolean {
  return a.kind() === b.kind() && a.toNormalizedString() === b.toNormalizedString();
}

/** Whether an address lies in a range; an IPv4 range also holds the IPv6 forms that carry one of its addresses. */
export function inRange(address: IpAddress, range: readonly [IpAddress, number]): boolean {
  const [network, bits] = range;
  if (address.kind() === network.kind()) return address.match([network, bits]);
  if (address.kind() === "ipv6" && network.kind() === "ipv4") {
    const carried = carriedIPv4(address as ipaddr.IPv6);
    return carried?.addresses.every((each) => each.match([network, bits])) === true;
  }
  return false;
}
