import type { FilterExpression, FilterNode } from "./filter-ast.js";
import { parseSubscriptionFilter } from "./parse-filter.js";

/**
 * Whether a message with `attributes` would be delivered by a subscription with `filter` (text or parsed). The empty
 * filter matches everything; `!=` matches when the attribute is absent, as in Pub/Sub.
 *
 * @throws InvalidSubscriptionFilter if `filter` is text that does not parse.
 */
export function matchesFilter(
  filter: FilterExpression | string,
  attributes: Readonly<Record<string, string>>,
): boolean {
  const expression = typeof filter === "string" ? parseSubscriptionFilter(filter) : filter;
  return expression.kind === "matchAll" || matchesNode(expression, attributes);
}

function matchesNode(node: FilterNode, attributes: Readonly<Record<string, string>>): boolean {
  switch (node.kind) {
    case "hasAttribute":
      return Object.hasOwn(attributes, node.key);
    case "equals":
      return ownValue(attributes, node.key) === node.value;
    case "notEquals":
      return ownValue(attributes, node.key) !== node.value;
    case "hasPrefix":
      return ownValue(attributes, node.key)?.startsWith(node.prefix) ?? false;
    case "not":
      return !matchesNode(node.operand, attributes);
    case "and":
      return node.operands.every((operand) => matchesNode(operand, attributes));
    case "or":
      return node.operands.some((operand) => matchesNode(operand, attributes));
  }
}

// Own properties only, so a key such as "constructor" is not found on Object.prototype.
function ownValue(attributes: Readonly<Record<string, string>>, key: string): string | undefined {
  return Object.hasOwn(attributes, key) ? attributes[key] : undefined;
}
