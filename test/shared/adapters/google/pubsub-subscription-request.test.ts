import { describe, expect, it } from "vitest";
import { subscriptionRequest } from "../../../../shared/adapters/google/pubsub/subscription-request.js";
import { subscriptionSettings } from "../../../../shared/ports/subscription-settings.js";

describe("the createSubscription request", () => {
  it("makes a push subscription, signed with an OIDC token when a service account is given", () => {
    const options = {
      filter: 'attributes.sender_type = "CHILD"',
      enableMessageOrdering: true,
      pushEndpoint: "https://europe-west1-p.cloudfunctions.net/answer-forwarder",
      pushServiceAccount: "pubsub-pusher@p.iam.gserviceaccount.com",
      deadLetterPolicy: { deadLetterTopic: "main.twined.dead-letters", maxDeliveryAttempts: 10 },
    };
    expect(subscriptionRequest("p", options, subscriptionSettings("s", options))).toEqual({
      filter: 'attributes.sender_type = "CHILD"',
      enableMessageOrdering: true,
      pushConfig: {
        pushEndpoint: "https://europe-west1-p.cloudfunctions.net/answer-forwarder",
        oidcToken: {
          serviceAccountEmail: "pubsub-pusher@p.iam.gserviceaccount.com",
          audience: "https://europe-west1-p.cloudfunctions.net/answer-forwarder",
        },
      },
      deadLetterPolicy: { deadLetterTopic: "projects/p/topics/main.twined.dead-letters", maxDeliveryAttempts: 10 },
    });
  });

  it("makes a pull subscription when no endpoint is given", () => {
    expect(subscriptionRequest("p", {}, subscriptionSettings("s", {})).pushConfig).toBeUndefined();
  });
});
