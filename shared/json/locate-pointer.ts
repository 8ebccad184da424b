import { type Node, parseTree } from "jsonc-parser";
import type { SourceLocation } from "../errors/base.js";
import { pointerTokens } from "./json-pointer.js";
import { locationOfOffset } from "./text-position.js";

/**
 * Finds where the value a JSON pointer names starts in JSON text. Meant for error reports, so it never throws: a
 * pointer that leads nowhere (or text that does not parse) gives the deepest place found, or just the origin.
 */
export function locatePointer(text: string, pointer: string, origin?: string): SourceLocation {
  const fallback: SourceLocation = origin === undefined ? {} : { file: origin };
  let tokens: string[];
  try {
    tokens = pointerTokens(pointer);
  } catch {
    return fallback;
  }
  const root = parseTree(text, [], { disallowComments: true, allowTrailingComma: false });
  if (root === undefined) return fallback;
  let node: Node = root;
  for (const token of tokens) {
    const child = childNode(node, token);
    if (child === undefined) break;
    node = child;
  }
  return locationOfOffset(text, node.offset, origin);
}

function childNode(node: Node, token: string): Node | undefined {
  if (node.type === "array") {
    if (!/^(0|[1-9]\d*)$/.test(token)) return undefined;
    return node.children?.[Number(token)];
  }
  if (node.type !== "object") return undefined;
  // With duplicate keys the last wins, as with JSON.parse.
  let found: Node | undefined;
  for (const property of node.children ?? []) {
    if (property.children?.[0]?.value === token) found = property.children[1];
  }
  return found;
}
