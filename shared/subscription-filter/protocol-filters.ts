import { attributeEquals, filterAnd } from "./filter-ast.js";
import { subscriptionFilterText } from "./format-filter.js";

/**
 * The filter of a child's question subscription in `service start` mode: questions addressed to `childSruid`.
 *
 * @throws InvalidSubscriptionFilter if the SRUID makes the filter longer than Pub/Sub allows.
 */
export function questionsForServiceFilter(childSruid: string): string {
  return subscriptionFilterText(
    filterAnd(attributeEquals("recipient", childSruid), attributeEquals("sender_type", "PARENT")),
  );
}

/**
 * The filter of a parent's answer subscription: the child events of one question, addressed to `parentSruid`.
 *
 * @throws InvalidSubscriptionFilter if the values make the filter longer than Pub/Sub allows.
 */
export function answersToQuestionFilter(parentSruid: string, questionUuid: string): string {
  return subscriptionFilterText(
    filterAnd(
      attributeEquals("recipient", parentSruid),
      attributeEquals("question_uuid", questionUuid),
      attributeEquals("sender_type", "CHILD"),
    ),
  );
}
