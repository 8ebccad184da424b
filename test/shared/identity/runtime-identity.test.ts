import { describe, expect, it } from "vitest";
import { InvalidServiceID } from "../../../shared/errors/index.js";
import {
  createServiceRevisionId,
  generateRevisionTag,
  isServiceRevisionId,
  parseServiceId,
  resolveRuntimeIdentity,
} from "../../../shared/identity/index.js";

const configuration = { namespace: "octue", name: "svc" };

describe("resolveRuntimeIdentity", () => {
  it("prefers the --revision-tag option over the environment", () => {
    const identity = resolveRuntimeIdentity({
      configuration,
      env: { OCTUE_SERVICE_REVISION_TAG: "from-env" },
      revisionTagOption: "from-option",
    });
    expect(identity).toMatchObject({ sruid: "octue/svc:from-option", revisionTagSource: "option" });
  });

  it("uses OCTUE_SERVICE_REVISION_TAG when no option is given", () => {
    const identity = resolveRuntimeIdentity({ configuration, env: { OCTUE_SERVICE_REVISION_TAG: "1.0.0" } });
    expect(identity).toMatchObject({ sruid: "octue/svc:1.0.0", revisionTagSource: "environment" });
  });

  it("generates a tag when neither is set", () => {
    const identity = resolveRuntimeIdentity({ configuration, env: {}, generateTag: () => "curious-capybara" });
    expect(identity).toMatchObject({ sruid: "octue/svc:curious-capybara", revisionTagSource: "generated" });
  });

  it("lets the environment override namespace and name, warning when they differ", () => {
    const warnings: string[] = [];
    const identity = resolveRuntimeIdentity({
      configuration,
      env: { OCTUE_SERVICE_NAMESPACE: "other", OCTUE_SERVICE_NAME: "svc", OCTUE_SERVICE_REVISION_TAG: "t" },
      onWarning: (message) => warnings.push(message),
    });
    expect(identity.sruid).toBe("other/svc:t");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain("OCTUE_SERVICE_NAMESPACE='other'");
  });

  it("validates the result", () => {
    expect(() => resolveRuntimeIdentity({ configuration, env: { OCTUE_SERVICE_REVISION_TAG: "bad tag" } })).toThrow(
      InvalidServiceID,
    );
  });
});

describe("generated names", () => {
  it("generates valid two-word tags", () => {
    for (let i = 0; i < 200; i++) {
      const tag = generateRevisionTag();
      expect(tag).toMatch(/^[a-z]+-[a-z]+$/);
      expect(isServiceRevisionId(`a/b:${tag}`)).toBe(true);
    }
  });

  it("fills Octue's defaults into a new SRUID", () => {
    const parsed = parseServiceId(createServiceRevisionId(), { requireRevisionTag: true });
    expect(parsed.namespace).toBe("default");
    expect(parsed.name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    expect(createServiceRevisionId({ namespace: "octue", name: "x", revisionTag: "1" })).toBe("octue/x:1");
  });
});
