import { InvalidSubscriptionFilter } from "../errors/event-errors.js";
import type { FilterExpression, FilterNode } from "./filter-ast.js";
import { MAX_FILTER_BYTES } from "./filter-limits.js";
import { quoteFilterString } from "./string-literal.js";

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * Writes a filter in canonical form: single spaces around `=`, `!=`, AND and OR; `NOT` for every negation; parentheses
 * only where the grammar needs them (a chain inside a chain, a chain or negation under a negation); keys bare when
 * Pub/Sub allows it and quoted otherwise; values always quoted and escaped. Parsing the result gives back `filter`.
 * The length limit is not checked here; {@link subscriptionFilterText} does.
 */
export function formatSubscriptionFilter(filter: FilterExpression): string {
  return filter.kind === "matchAll" ? "" : formatNode(filter);
}

/**
 * Formats `filter` and checks it fits Pub/Sub's 256-byte limit, for filters about to be sent to Pub/Sub.
 *
 * @throws InvalidSubscriptionFilter if the text is too long.
 */
export function subscriptionFilterText(filter: FilterExpression): string {
  const text = formatSubscriptionFilter(filter);
  const bytes = Buffer.byteLength(text, "utf8");
  if (bytes > MAX_FILTER_BYTES) {
    throw new InvalidSubscriptionFilter(
      `filter is ${bytes} bytes; Pub/Sub allows at most ${MAX_FILTER_BYTES}`,
      text,
      MAX_FILTER_BYTES,
    );
  }
  return text;
}

function formatNode(node: FilterNode): string {
  switch (node.kind) {
    case "hasAttribute":
      return `attributes:${formatKey(node.key)}`;
    case "equals":
      return `attributes.${formatKey(node.key)} = ${quoteFilterString(node.value)}`;
    case "notEquals":
      return `attributes.${formatKey(node.key)} != ${quoteFilterString(node.value)}`;
    case "hasPrefix":
      return `hasPrefix(attributes.${formatKey(node.key)}, ${quoteFilterString(node.prefix)})`;
    case "not": {
      const operand = node.operand;
      const needsParentheses = operand.kind === "and" || operand.kind === "or" || operand.kind === "not";
      return `NOT ${needsParentheses ? `(${formatNode(operand)})` : formatNode(operand)}`;
    }
    case "and":
    case "or": {
      if (node.operands.length < 2) {
        throw new RangeError(`an ${node.kind.toUpperCase()} node needs at least two operands`);
      }
      const joiner = node.kind === "and" ? " AND " : " OR ";
      return node.operands
        .map((operand) =>
          operand.kind === "and" || operand.kind === "or" ? `(${formatNode(operand)})` : formatNode(operand),
        )
        .join(joiner);
    }
  }
}

function formatKey(key: string): string {
  if (key === "") throw new RangeError("an attribute name cannot be empty");
  return BARE_KEY.test(key) ? key : quoteFilterString(key);
}
