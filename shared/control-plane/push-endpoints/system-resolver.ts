import { lookup } from "node:dns/promises";

/**
 * Every address a host resolves to, as the system resolves it for connections (`/etc/hosts`, then DNS), in the
 * resolver's order: all of them are checked, as a connection may go to any.
 */
export async function resolveWithSystemResolver(host: string): Promise<readonly string[]> {
  return (await lookup(host, { all: true, verbatim: true })).map((each) => each.address);
}
