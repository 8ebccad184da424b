import { describe, expect, it } from "vitest";
import {
  checkPushEndpointAddresses,
  checkPushEndpointUrl,
  parsePushEndpointAllowList,
  pushEndpointPolicy,
} from "../../../../shared/control-plane/push-endpoints/push-endpoint-policy.js";
import { InvalidPushEndpointAllowList, PushEndpointRefused } from "../../../../shared/errors/index.js";
import { errorOf } from "../../../support/error-of.js";

/** The deployed network's policy: https to public addresses, and what the allow-list adds. */
const cloud = pushEndpointPolicy({
  allowLoopback: false,
  allowList: ["hooks.internal.example.com", "10.20.0.0/16", "fd12:3456::/48", "172.16.5.5"],
  allowListSetting: "TWINED_PUSH_ENDPOINT_ALLOW_LIST",
});
/** An embedded network's: loopback receivers too, over http or https. */
const embedded = pushEndpointPolicy({ allowLoopback: true, allowListSetting: "pushEndpoints.allowList" });

/** "allowed", or the refusal's message; the addresses stand for what the URL's host resolves to. */
function verdict(url: string, addresses: readonly string[] = [], policy = cloud): string {
  try {
    const target = checkPushEndpointUrl(url, policy);
    if (target.address === undefined) checkPushEndpointAddresses(target, addresses, policy);
    return "allowed";
  } catch (error) {
    expect(error).toBeInstanceOf(PushEndpointRefused);
    return (error as Error).message;
  }
}

describe("the push-endpoint policy", () => {
  it("allows https to public addresses, IPv4 and IPv6, with any port", () => {
    expect(verdict("https://hooks.example.com/twined?token=abc", ["93.184.216.34"])).toBe("allowed");
    expect(verdict("https://hooks.example.com:8443/", ["2606:2800:220:1:248:1893:25c8:1946", "93.184.216.34"])).toBe(
      "allowed",
    );
    expect(verdict("https://93.184.216.34/")).toBe("allowed");
    expect(verdict("https://[2606:4700:4700::1111]:444/")).toBe("allowed");
    // IPv6 forms of public IPv4 addresses reach those addresses.
    expect(verdict("https://[::ffff:93.184.216.34]/")).toBe("allowed");
    expect(verdict("https://[64:ff9b::5db8:d822]/")).toBe("allowed");
  });

  it("refuses plain http in the cloud, and on a local network to anything but loopback", () => {
    expect(verdict("http://hooks.example.com/x", ["93.184.216.34"])).toBe(
      "push_endpoint http://hooks.example.com must use https; plain http is only allowed to loopback on a local network",
    );
    expect(verdict("http://127.0.0.1:8080/")).toMatch(/must use https; plain http is only allowed to loopback/);
    expect(verdict("http://hooks.example.com/x", ["93.184.216.34"], embedded)).toBe(
      "push_endpoint http://hooks.example.com resolves to 93.184.216.34, a public address; plain http is only allowed to loopback on a local network: use https",
    );
    // Even to a host the allow-list names: http is for this machine only.
    expect(verdict("http://hooks.internal.example.com/", ["10.20.1.1"])).toMatch(/must use https/);
  });

  it("allows loopback, over http or https, on an embedded network only", () => {
    for (const url of ["http://127.0.0.1:8080/hook", "https://127.0.0.1/", "http://[::1]:9000/", "http://127.9.9.9/"]) {
      expect(verdict(url, [], embedded), url).toBe("allowed");
    }
    expect(verdict("http://localhost:8080/", ["127.0.0.1", "::1"], embedded)).toBe("allowed");
    expect(verdict("https://receiver.test/", ["127.0.0.1"])).toBe(
      "push_endpoint https://receiver.test resolves to 127.0.0.1, a loopback address; the network only pushes to public addresses unless its allow-list names the host or a range holding the address (TWINED_PUSH_ENDPOINT_ALLOW_LIST)",
    );
    expect(verdict("https://[::1]/")).toMatch(/names ::1, a loopback address/);
  });

  it("refuses credentials in the URL without repeating them", () => {
    const message = verdict("https://alice:s3cret@hooks.example.com/", ["93.184.216.34"]);
    expect(message).toBe(
      "push_endpoint must not carry credentials (user:password@); the network signs every push (x-twined-signature) so the receiver can check it is from this network",
    );
    expect(verdict("https://alice@hooks.example.com/", ["93.184.216.34"])).toBe(message);
  });

  it("refuses what is not an http(s) URL", () => {
    expect(verdict("ftp://hooks.example.com/")).toBe("push_endpoint must use https, not ftp");
    expect(verdict("https://[::1/")).toMatch(/^push_endpoint is not a URL/);
  });

  it.each([
    // Names and addresses of the metadata server: never, whatever the allow-list says.
    ["https://metadata.google.internal/computeMetadata/v1/", [], /names the cloud metadata server, which is never/],
    ["https://METADATA.google.internal./", [], /names the cloud metadata server/],
    ["https://metadata/", [], /names the cloud metadata server/],
    [
      "https://169.254.169.254/computeMetadata/v1/",
      [],
      /169\.254\.169\.254, the cloud metadata server's address; it is never a push endpoint/,
    ],
    ["https://[fd00:ec2::254]/", [], /the cloud metadata server's address/],
    [
      "https://innocent.example.com/",
      ["93.184.216.34", "169.254.169.254"],
      /resolves to 169\.254\.169\.254, the cloud metadata/,
    ],
    [
      "https://[::ffff:169.254.169.254]/",
      [],
      /\(which carries 169\.254\.169\.254\), the cloud metadata server's address/,
    ],
    // Private networks (RFC 1918), link-local, carrier-grade NAT, unique-local.
    [
      "https://10.1.2.3/",
      [],
      /names 10\.1\.2\.3, a private address; the network only pushes to public addresses unless its allow-list names the host/,
    ],
    ["https://x.example.com/", ["10.1.2.3"], /resolves to 10\.1\.2\.3, a private address/],
    ["https://172.16.0.1/", [], /a private address/],
    ["https://192.168.1.1/", [], /a private address/],
    ["https://169.254.1.1/", [], /a link-local address/],
    ["https://[fe80::1]/", [], /a link-local address/],
    ["https://100.64.0.1/", [], /a carrier-grade NAT address/],
    ["https://[fc00::1]/", [], /a unique-local address/],
    ["https://[fd12:9999::1]/", [], /a unique-local address/],
    // No single host: unspecified, multicast, broadcast.
    ["https://0.0.0.0/", [], /0\.0\.0\.0, the unspecified address \(this host\); it is never a push endpoint/],
    ["https://0/", [], /names 0\.0\.0\.0, the unspecified address/],
    ["https://[::]/", [], /names ::, the unspecified address/],
    ["https://224.0.0.1/", [], /a multicast address/],
    ["https://[ff02::1]/", [], /a multicast address/],
    ["https://255.255.255.255/", [], /the broadcast address/],
    // Reserved, benchmarking and documentation ranges, and other special-use ones.
    ["https://192.0.2.10/", [], /a reserved address/],
    ["https://198.51.100.1/", [], /a reserved address/],
    ["https://203.0.113.1/", [], /a reserved address/],
    ["https://198.18.0.1/", [], /a reserved address/],
    ["https://240.0.0.1/", [], /a reserved address/],
    ["https://[2001:db8::1]/", [], /a reserved address/],
    ["https://[2001:2::1]/", [], /a reserved address/],
    ["https://[100::1]/", [], /a special-use address/],
    ["https://[64:ff9b:1::a00:1]/", [], /a special-use address/],
    ["https://[fec0::1]/", [], /a special-use address/],
    // Loopback written so that it does not look like it: WHATWG URLs normalise these to 127.0.0.1.
    ["https://2130706433/", [], /names 127\.0\.0\.1, a loopback address/],
    ["https://0x7f.1/", [], /names 127\.0\.0\.1, a loopback address/],
    ["https://127.1/", [], /names 127\.0\.0\.1, a loopback address/],
    ["https://0177.0.0.1/", [], /names 127\.0\.0\.1, a loopback address/],
    // IPv6 forms that carry an IPv4 address: mapped, translated, NAT64, 6to4, Teredo, IPv4-compatible.
    ["https://[::ffff:7f00:1]/", [], /\(which carries 127\.0\.0\.1\), a loopback address/],
    ["https://[::ffff:127.0.0.1]/", [], /\(which carries 127\.0\.0\.1\), a loopback address/],
    ["https://[::ffff:0:a00:1]/", [], /\(which carries 10\.0\.0\.1\), a private address/],
    ["https://[64:ff9b::a00:1]/", [], /\(which carries 10\.0\.0\.1\), a private address/],
    ["https://[2002:a9fe:a9fe::1]/", [], /\(which carries 169\.254\.169\.254\), the cloud metadata/],
    ["https://[2002:c0a8:101::1]/", [], /\(which carries 192\.168\.1\.1\), a private address/],
    ["https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", [], /\(which carries 127\.0\.0\.1\), a loopback address/],
    ["https://[::7f00:1]/", [], /\(which carries 127\.0\.0\.1\), a loopback address/],
    ["https://[::5db8:d822]/", [], /a special-use address/],
    [
      "https://x.example.com/",
      ["::ffff:10.0.0.1"],
      /resolves to ::ffff:10\.0\.0\.1 \(which carries 10\.0\.0\.1\), a private/,
    ],
  ] as const)("refuses %s (resolving to %j)", (url, addresses, message) => {
    expect(verdict(url, addresses)).toMatch(message);
  });

  it("refuses a name when any of its addresses is refused, since a connection may go to any", () => {
    expect(verdict("https://x.example.com/", ["93.184.216.34", "10.0.0.1"])).toMatch(/resolves to 10\.0\.0\.1/);
    expect(verdict("https://x.example.com/", ["2606:4700::1", "fd00::1"])).toMatch(
      /resolves to fd00::1, a unique-local/,
    );
    expect(verdict("https://x.example.com/", ["not-an-address"])).toMatch(
      /resolves to 'not-an-address'; that is not an IP address/,
    );
  });

  it("allows what the allow-list names: a host exactly (any case), an address, or a range holding the address", () => {
    expect(verdict("https://hooks.internal.example.com/twined", ["10.99.0.1", "fd99::1"])).toBe("allowed");
    expect(verdict("https://HOOKS.Internal.Example.com./twined", ["192.168.0.1"])).toBe("allowed");
    expect(verdict("https://other.internal.example.com/", ["192.168.0.1"])).toMatch(/a private address/);
    expect(verdict("https://internal.example.com/", ["192.168.0.1"])).toMatch(/a private address/);
    expect(verdict("https://receiver.test/", ["10.20.7.8"])).toBe("allowed");
    expect(verdict("https://10.20.255.255/")).toBe("allowed");
    expect(verdict("https://10.21.0.1/")).toMatch(/a private address/);
    expect(verdict("https://[::ffff:10.20.0.9]/")).toBe("allowed");
    expect(verdict("https://[fd12:3456:0:1::1]/")).toBe("allowed");
    expect(verdict("https://172.16.5.5/")).toBe("allowed");
    expect(verdict("https://172.16.5.6/")).toMatch(/a private address/);
    // Every address must be allowed, by the list or as public.
    expect(verdict("https://receiver.test/", ["10.20.7.8", "10.30.0.1"])).toMatch(/resolves to 10\.30\.0\.1/);
  });

  it("never lets the allow-list open the metadata server or the unspecified address", () => {
    const wide = pushEndpointPolicy({
      allowLoopback: false,
      allowList: ["0.0.0.0/0", "::/0", "metadata.google.internal"],
    });
    expect(verdict("https://10.1.2.3/", [], wide)).toBe("allowed");
    expect(verdict("https://169.254.169.254/", [], wide)).toMatch(/it is never a push endpoint/);
    expect(verdict("https://metadata.google.internal/", [], wide)).toMatch(/names the cloud metadata server/);
    expect(verdict("https://0.0.0.0/", [], wide)).toMatch(/it is never a push endpoint/);
    expect(verdict("https://x.example.com/", ["fd00:ec2::254"], wide)).toMatch(/the cloud metadata server's address/);
  });

  it("names the network's own allow-list setting in refusals", () => {
    expect(verdict("https://10.0.0.1/", [], embedded)).toMatch(
      /only pushes to public and loopback addresses unless its allow-list names the host or a range holding the address \(pushEndpoints\.allowList\)$/,
    );
  });
});

describe("parsePushEndpointAllowList", () => {
  it("reads hostnames, addresses and ranges", () => {
    const list = parsePushEndpointAllowList([
      " Hooks.Example.COM ",
      "bücher.example",
      "internal.",
      "10.0.0.0/8",
      "::1",
      "fd00::/8",
    ]);
    expect([...list.hostnames]).toEqual(["hooks.example.com", "xn--bcher-kva.example", "internal"]);
    expect(list.ranges.map(([address, bits]) => `${address.toString()}/${bits}`)).toEqual([
      "10.0.0.0/8",
      "::1/128",
      "fd00::/8",
    ]);
  });

  it.each([
    ["10.0.0.0/33", /'10\.0\.0\.0\/33': is not an address range; write one as address\/prefix-length/],
    ["fd00::/129", /is not an address range/],
    ["0x0a.0.0.0/8", /is not an address range/],
    ["*.example.com", /wildcards are not supported; name each host, or give the address range/],
    ["https://hooks.example.com", /give the host alone, not a URL/],
    [
      "hooks.example.com:443",
      /is neither a hostname \(e\.g\. hooks\.example\.com\), an address \(e\.g\. 10\.20\.0\.5\) nor an address range/,
    ],
    ["user@hooks.example.com", /is neither a hostname/],
    ["two words", /is neither a hostname/],
    ["-bad-.example", /is neither a hostname/],
    ["10.0.0", /is read as the address 10\.0\.0\.0; write the address in full/],
  ])("refuses %j, saying why", (entry, message) => {
    const error = errorOf(() => parsePushEndpointAllowList(["ok.example.com", entry]));
    expect(error).toBeInstanceOf(InvalidPushEndpointAllowList);
    expect((error as InvalidPushEndpointAllowList).entry).toBe(entry);
    expect((error as Error).message).toMatch(message);
  });
});
