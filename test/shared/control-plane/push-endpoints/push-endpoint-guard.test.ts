import type { LookupAddress, LookupOptions } from "node:dns";
import { describe, expect, it } from "vitest";
import { PushEndpointGuard } from "../../../../shared/control-plane/push-endpoints/push-endpoint-guard.js";
import {
  InvalidPushEndpointAllowList,
  PushEndpointRefused,
  PushEndpointUnresolvable,
} from "../../../../shared/errors/index.js";
import { rejectionOf } from "../../../support/error-of.js";

/** A resolver that answers from a table and records what it was asked; nothing here resolves a real name. */
function resolver(table: Record<string, readonly string[] | Error>) {
  const asked: string[] = [];
  const resolve = async (host: string): Promise<readonly string[]> => {
    asked.push(host);
    const answer = table[host];
    if (answer === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    if (answer instanceof Error) throw answer;
    return answer;
  };
  return { resolve, asked };
}

/** What a `lookup` gives `net.connect`: the addresses, or the error that stops the connection. */
function lookUp(
  guard: PushEndpointGuard,
  url: string,
  options: LookupOptions,
): Promise<{ error: Error | null; address: string | LookupAddress[]; family: number | undefined }> {
  const target = guard.target(url);
  return new Promise((resolve) => {
    guard.lookup(target)(target.host, options, (error, address, family) => resolve({ error, address, family }));
  });
}

describe("PushEndpointGuard", () => {
  it("checks every address the host resolves to when asked", async () => {
    const { resolve, asked } = resolver({ "hooks.example.com": ["93.184.216.34", "2606:2800:220:1::1"] });
    const guard = new PushEndpointGuard({ allowLoopback: false, resolve });
    const checked = await guard.check("https://hooks.example.com/twined");
    expect(checked.addresses).toEqual(["93.184.216.34", "2606:2800:220:1::1"]);
    expect(asked).toEqual(["hooks.example.com"]);
  });

  it("refuses a host that does not resolve, or resolves to nothing, saying so", async () => {
    const { resolve } = resolver({ "empty.example.com": [] });
    const guard = new PushEndpointGuard({ allowLoopback: false, resolve });
    const missing = await rejectionOf(guard.check("https://missing.example.com/x"));
    expect(missing).toBeInstanceOf(PushEndpointUnresolvable);
    expect(missing.message).toBe(
      "push_endpoint https://missing.example.com: its host missing.example.com does not resolve to any address (ENOTFOUND); check the name, or give an endpoint whose host resolves",
    );
    expect((await rejectionOf(guard.check("https://empty.example.com/"))).message).toMatch(
      /its host empty\.example\.com does not resolve to any address; check the name/,
    );
  });

  it("resolves no name for a URL that names an address, nor for one refused before resolving", async () => {
    const { resolve, asked } = resolver({});
    const guard = new PushEndpointGuard({ allowLoopback: false, resolve });
    await expect(guard.check("https://93.184.216.34/")).resolves.toMatchObject({ addresses: ["93.184.216.34"] });
    await expect(guard.check("http://hooks.example.com/")).rejects.toBeInstanceOf(PushEndpointRefused);
    await expect(guard.check("https://metadata.google.internal/")).rejects.toBeInstanceOf(PushEndpointRefused);
    expect(asked).toEqual([]);
  });

  it("looks up for a connection: every checked address, or the first, or one of the family asked for", async () => {
    const { resolve, asked } = resolver({ "receiver.test": ["127.0.0.1", "::1"] });
    const guard = new PushEndpointGuard({ allowLoopback: true, resolve });
    expect(await lookUp(guard, "http://receiver.test:8080/", { all: true })).toMatchObject({
      error: null,
      address: [
        { address: "127.0.0.1", family: 4 },
        { address: "::1", family: 6 },
      ],
    });
    expect(await lookUp(guard, "http://receiver.test:8080/", {})).toEqual({
      error: null,
      address: "127.0.0.1",
      family: 4,
    });
    expect(await lookUp(guard, "http://receiver.test:8080/", { family: 6 })).toEqual({
      error: null,
      address: "::1",
      family: 6,
    });
    // Resolved again for each connection: what the name says now is what is checked.
    expect(asked).toEqual(["receiver.test", "receiver.test", "receiver.test"]);
  });

  it("fails the lookup, so that no socket connects, when any address is refused", async () => {
    const { resolve } = resolver({ "receiver.test": ["93.184.216.34", "10.0.0.1"] });
    const guard = new PushEndpointGuard({ allowLoopback: false, resolve });
    const { error } = await lookUp(guard, "https://receiver.test/", { all: true });
    expect(error).toBeInstanceOf(PushEndpointRefused);
    expect(error?.message).toMatch(/resolves to 10\.0\.0\.1, a private address/);
    const unresolvable = await lookUp(guard, "https://gone.test/", { all: true });
    expect(unresolvable.error).toBeInstanceOf(PushEndpointUnresolvable);
  });

  it("refuses an allow-list entry it cannot read when it is made", () => {
    expect(() => new PushEndpointGuard({ allowLoopback: false, allowList: ["10.0.0.0/40"] })).toThrow(
      InvalidPushEndpointAllowList,
    );
  });
});
