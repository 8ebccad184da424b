/** `attributes:key`: the attribute is present, whatever its value. */
export interface HasAttribute {
  readonly kind: "hasAttribute";
  readonly key: string;
}

/** `attributes.key = "value"`: present with exactly this value. */
export interface AttributeEquals {
  readonly kind: "equals";
  readonly key: string;
  readonly value: string;
}

/** `attributes.key != "value"`: absent, or present with another value. */
export interface AttributeNotEquals {
  readonly kind: "notEquals";
  readonly key: string;
  readonly value: string;
}

/** `hasPrefix(attributes.key, "prefix")`: present and starting with the prefix. */
export interface AttributeHasPrefix {
  readonly kind: "hasPrefix";
  readonly key: string;
  readonly prefix: string;
}

export type FilterCondition = HasAttribute | AttributeEquals | AttributeNotEquals | AttributeHasPrefix;

/** `NOT x` or `-x`; both parse to this node, which formats as `NOT`. */
export interface Negation {
  readonly kind: "not";
  readonly operand: FilterNode;
}

/** A chain `a AND b AND …`; a parenthesised chain inside another stays a separate node. */
export interface Conjunction {
  readonly kind: "and";
  readonly operands: readonly FilterNode[];
}

export interface Disjunction {
  readonly kind: "or";
  readonly operands: readonly FilterNode[];
}

export type FilterNode = FilterCondition | Negation | Conjunction | Disjunction;

/** The empty filter: every message matches. Only ever the whole filter, never part of one. */
export interface MatchAll {
  readonly kind: "matchAll";
}

/** A parsed subscription filter. */
export type FilterExpression = FilterNode | MatchAll;

export function hasAttribute(key: string): HasAttribute {
  return { kind: "hasAttribute", key };
}

export function attributeEquals(key: string, value: string): AttributeEquals {
  return { kind: "equals", key, value };
}

export function attributeNotEquals(key: string, value: string): AttributeNotEquals {
  return { kind: "notEquals", key, value };
}

export function attributeHasPrefix(key: string, prefix: string): AttributeHasPrefix {
  return { kind: "hasPrefix", key, prefix };
}

export function filterNot(operand: FilterNode): Negation {
  return { kind: "not", operand };
}

/** `a AND b AND …`; a single operand is returned as it is. */
export function filterAnd(first: FilterNode, ...rest: FilterNode[]): FilterNode {
  return rest.length === 0 ? first : { kind: "and", operands: [first, ...rest] };
}

/** `a OR b OR …`; a single operand is returned as it is. */
export function filterOr(first: FilterNode, ...rest: FilterNode[]): FilterNode {
  return rest.length === 0 ? first : { kind: "or", operands: [first, ...rest] };
}
