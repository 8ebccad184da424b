import { describe, expect, it } from "vitest";
import { InvalidServiceID } from "../../../shared/errors/index.js";
import {
  answerSubscriptionName,
  pubSubResourceNameProblem,
  serviceIdFromPubSubForm,
  toPubSubForm,
} from "../../../shared/identity/index.js";

describe("Pub/Sub forms of service IDs", () => {
  it.each([
    ["octue/my-service:0.1.7", "octue.my-service.0-1-7"],
    ["octue/my-service", "octue.my-service"],
    ["my-service:3.1.9", "my-service.3-1-9"],
  ])("%s → %s", (id, form) => {
    expect(toPubSubForm(id)).toBe(form);
  });

  it("reverses the transform lossily, as Octue does", () => {
    expect(serviceIdFromPubSubForm("octue.example-service.0-3-2")).toBe("octue/example-service:0.3.2");
    expect(serviceIdFromPubSubForm("octue.my-service.0-12-4-prod")).toBe("octue/my-service:0.12.4.prod");
    expect(serviceIdFromPubSubForm("octue.my-service")).toBe("octue/my-service");
    expect(() => serviceIdFromPubSubForm("a.b.c.d")).toThrow(InvalidServiceID);
  });

  it("names a parent's answer subscription", () => {
    expect(answerSubscriptionName("local/local:local", "Q")).toBe("local.local.local.answers.Q");
    expect(() => answerSubscriptionName("local/local", "Q")).toThrow(InvalidServiceID);
  });

  it("flags valid SRUIDs whose Pub/Sub names Google would refuse", () => {
    expect(pubSubResourceNameProblem(toPubSubForm("1org/2svc:3"))).toMatch(/must start with a letter/);
    expect(pubSubResourceNameProblem("octue.my-service.0-1-7")).toBeUndefined();
    expect(pubSubResourceNameProblem("ab")).toMatch(/3 to 255/);
    expect(pubSubResourceNameProblem("goog.x")).toMatch(/goog/);
    expect(pubSubResourceNameProblem("abc:d")).toMatch(/":"/);
  });
});
