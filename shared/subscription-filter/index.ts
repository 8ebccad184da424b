export * from "./filter-ast.js";
export { MAX_FILTER_BYTES } from "./filter-limits.js";
export { formatSubscriptionFilter, subscriptionFilterText } from "./format-filter.js";
export { matchesFilter } from "./match-filter.js";
export { type ParseFilterOptions, parseSubscriptionFilter } from "./parse-filter.js";
export { answersToQuestionFilter, questionsForServiceFilter } from "./protocol-filters.js";
export { quoteFilterString } from "./string-literal.js";
