import type { SourceLocation } from "../errors/index.js";
import { isPlainObject } from "../json/index.js";

/**
 * What `twined service init` writes as the namespace when it could not ask for one (no terminal, no --namespace).
 * Uppercase, so Octue's own rule rejects it too: it can never be taken for, or deployed as, a real namespace.
 */
export const NAMESPACE_PLACEHOLDER = "SET-YOUR-NAMESPACE";

const RULE = "lowercase letters a-z, digits and single hyphens, e.g. 'my-org'";

/**
 * The problems a namespace left as the placeholder causes: in the service's own `namespace`, and in each child's
 * `id` that still starts with it. Empty when there is none.
 */
export function namespacePlaceholderProblems(
  entry: Readonly<Record<string, unknown>>,
  at: (...keys: (string | number)[]) => SourceLocation,
): { message: string; location: SourceLocation }[] {
  const problems: { message: string; location: SourceLocation }[] = [];
  if (entry.namespace === NAMESPACE_PLACEHOLDER) {
    problems.push({
      message: `set your namespace: '${NAMESPACE_PLACEHOLDER}' is a placeholder 'twined service init' wrote; replace it with your organisation's namespace (${RULE})`,
      location: at("namespace"),
    });
  }
  const children = Array.isArray(entry.children) ? entry.children : [];
  children.forEach((child: unknown, index) => {
    if (isPlainObject(child) && typeof child.id === "string" && child.id.startsWith(`${NAMESPACE_PLACEHOLDER}/`)) {
      problems.push({
        message: `set your namespace: this child's ID starts with the placeholder '${NAMESPACE_PLACEHOLDER}'; replace it with the namespace the child is registered under (${RULE})`,
        location: at("children", index, "id"),
      });
    }
  });
  return problems;
}
