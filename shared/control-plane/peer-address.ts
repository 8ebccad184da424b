/** Whether a peer's address (as a socket reports it) is this machine's loopback: IPv4, IPv6, or IPv4 in IPv6. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (address === undefined) return false;
  const ipv4 = address.startsWith("::ffff:") ? address.slice("::ffff:".length) : address;
  return address === "::1" || /^127(\.\d{1,3}){3}$/.test(ipv4);
}
