import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InvalidServiceID } from "../../../shared/errors/index.js";
import {
  formatServiceId,
  isServiceRevisionId,
  MAX_REVISION_TAG_LENGTH,
  parseServiceId,
} from "../../../shared/identity/index.js";

// octue-protocol §10, valid SRUIDs (the three `[A-z]` quirks are tested separately: we reject them on purpose).
const VALID_SRUIDS = [
  "my-org/my-service:1.9.4",
  "my-org1/my-service:1.9.4",
  "my-org/my-service9:1.9.4",
  "my-org/my-service:1-9-4",
  "my-org/my-service:1.9.4_",
  "my-org/my-service:1.9.4_beta",
  "my-org/my-service:some_TAG",
  "octue/my-service:0.12.4-production",
  "local/local:local",
  "1org/2svc:3",
  "octue/my-service:1..2",
  "octue/my-service:_x",
  "octue/my-service:1.-2",
  `octue/my-service:${"a".repeat(128)}`,
  "default/3fa85f64-5717-4562-b3fc-2c963f66afa6:purple-fruit",
];

const INVALID_SRUIDS = [
  "1.9.4",
  "my-service",
  "my-service:",
  "my-service:1.9.4",
  "my-org/my-service",
  "my-org/my-service-1.9.4",
  "/my-service",
  "/my-service:",
  "-my-org/my-service:1.9.4",
  "my-org/my-service:1.9.4-",
  "octue/-service:1.0",
  "octue/service-:1.0",
  "octue/my--service:1.0",
  "my_org/my-service:1.9.4",
  "my-org/my_service:1.9.4",
  "my.org/my-service:1.9.4",
  "my-org/my.service:1.9.4",
  "MY-ORG/my-service:1.9.4",
  "my-org/MY-SERVICE:1.9.4",
  "octue/my service:1",
  "my-org/MY-SERVICE:@",
  "octue/my-service:.1",
  "octue/my-service:-1",
  "octue/my-service:1.",
  "octue/my-service:a:b",
  `octue/my-service:${"a".repeat(129)}`,
  `a/b:${"a".repeat(24)}!`,
];

describe("parseServiceId", () => {
  it.each(VALID_SRUIDS)("accepts the SRUID %s and formats it back unchanged", (sruid) => {
    const parsed = parseServiceId(sruid, { requireRevisionTag: true });
    expect(formatServiceId(parsed)).toBe(sruid);
    expect(isServiceRevisionId(sruid)).toBe(true);
  });

  it.each(INVALID_SRUIDS)("rejects the SRUID %s with InvalidServiceID", (sruid) => {
    expect(() => parseServiceId(sruid, { requireRevisionTag: true })).toThrow(InvalidServiceID);
    expect(isServiceRevisionId(sruid)).toBe(false);
  });

  it.each(["octue/my-service:a^b", "octue/my-service:a[b]", "octue/my-service:a\\b", "x/y:a]b", "x/y:a`b"])(
    "rejects %s, which Octue's [A-z] range lets through (a documented deviation)",
    (sruid) => {
      expect(() => parseServiceId(sruid)).toThrow(/contains the character/);
    },
  );

  it("accepts a bare SUID unless a tag is required", () => {
    expect(parseServiceId("my-org/my-service")).toEqual({ namespace: "my-org", name: "my-service" });
    expect(() => parseServiceId("my-org/my-service", { requireRevisionTag: true })).toThrow(/revision tag is required/);
  });

  it("splits an SRUID into its parts", () => {
    expect(parseServiceId("octue/my-service:0.12.4-production")).toEqual({
      namespace: "octue",
      name: "my-service",
      revisionTag: "0.12.4-production",
    });
  });

  it.each([
    ["my-service:1.9.4", /no '\/'/],
    ["a/b/c:1", /exactly one '\/'/],
    ["octue/my-service:a:b", /at most one ':'/],
    ["/my-service:1", /namespace is empty/],
    ["MY-ORG/x:1", /uppercase letter 'M'/],
    ["octue/my service:1", /a space/],
    ["octue/my--service:1.0", /consecutive hyphens/],
    ["octue/my-service:.1", /starts with '.'/],
    ["octue/my-service:1-", /ends with '-'/],
    [`octue/s:${"a".repeat(129)}`, /129 characters long; the maximum is 128/],
  ])("explains why %s is invalid", (sruid, reason) => {
    expect(() => parseServiceId(sruid)).toThrow(reason);
  });

  it("carries the offending ID on the error", () => {
    try {
      parseServiceId("Bad/id:1");
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(InvalidServiceID);
      expect((error as InvalidServiceID).serviceId).toBe("Bad/id:1");
    }
  });

  it("rejects the pathological tag quickly (no exponential backtracking)", () => {
    const tag = `${"a".repeat(5000)}!`;
    expect(() => parseServiceId(`a/b:${"a".repeat(119)}!`)).toThrow(InvalidServiceID);
    expect(() => parseServiceId(`a/b:${tag}`)).toThrow(/maximum is 128/);
  });

  it("refuses to format an invalid ID", () => {
    expect(() => formatServiceId({ namespace: "ok", name: "Bad", revisionTag: "1" })).toThrow(InvalidServiceID);
    expect(formatServiceId({ namespace: "octue", name: "svc" })).toBe("octue/svc");
  });
});

const lowerAlnum = fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz0123456789".split(""));
const word = fc.constantFrom(..."abcXYZ019_".split(""));
const groups = fc.array(fc.string({ unit: lowerAlnum, minLength: 1, maxLength: 6 }), { minLength: 1, maxLength: 4 });
const namePart = groups.map((parts) => parts.join("-"));
const revisionTag = fc
  .tuple(
    fc.string({ unit: word, minLength: 1, maxLength: 10 }),
    fc.array(
      fc.tuple(fc.constantFrom("", "-", ".", "..", ".-"), fc.string({ unit: word, minLength: 1, maxLength: 5 })),
    ),
  )
  .map(([head, tail]) => head + tail.map(([separator, chunk]) => separator + chunk).join(""))
  .filter((tag) => tag.length <= MAX_REVISION_TAG_LENGTH);

describe("SRUID properties", () => {
  it("round-trips every generated valid SRUID through format and parse", () => {
    fc.assert(
      fc.property(namePart, namePart, revisionTag, (namespace, name, tag) => {
        const text = formatServiceId({ namespace, name, revisionTag: tag });
        expect(text).toBe(`${namespace}/${name}:${tag}`);
        expect(parseServiceId(text, { requireRevisionTag: true })).toEqual({ namespace, name, revisionTag: tag });
      }),
    );
  });

  it("never throws anything but InvalidServiceID on arbitrary text", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          const parsed = parseServiceId(text);
          expect(formatServiceId(parsed)).toBe(text);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidServiceID);
        }
      }),
    );
  });

  it("agrees with Octue's regexes on tags made only of characters both sides accept", () => {
    // Octue's own patterns with the five stray punctuation characters removed from the class; inputs are short, so
    // the backtracking stays cheap.
    const octueTag = /^([A-Za-z0-9_])+([-.]*([A-Za-z0-9_])+)*$/;
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(..."aZ9_-.".split("")), minLength: 1, maxLength: 12 }), (tag) => {
        expect(isServiceRevisionId(`ns/name:${tag}`)).toBe(octueTag.test(tag));
      }),
    );
  });
});
