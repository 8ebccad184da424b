const HEX_32 = /^[0-9a-fA-F]{32}$/;

/**
 * Whether Python's `uuid.UUID(text)` would accept `text`: Octue only requires that a question UUID parses, and Python
 * tolerates `urn:uuid:` prefixes, braces and hyphens anywhere, so a stricter check would refuse questions Octue runs.
 */
export function isPythonParsableUuid(text: string): boolean {
  const bare = text
    .replace("urn:", "")
    .replace("uuid:", "")
    .replace(/^\{+|\}+$/g, "")
    .replaceAll("-", "");
  return HEX_32.test(bare);
}
