import { cpSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { validate } from "dockerfile-utils";
import { describe, expect, it } from "vitest";
import { createQuestionAttributes } from "../../shared/events/index.js";
import { runTwined } from "../cli/run-cli.js";

const dockerfile = readFileSync(path.resolve("runtime/Dockerfile"), "utf8");

/** The instructions of a Dockerfile with their arguments, continuation lines joined. */
function instructions(text: string): { keyword: string; argument: string }[] {
  return text
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [keyword = "", ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), argument: rest.join(" ") };
    });
}

describe("runtime/Dockerfile", () => {
  it("passes the Dockerfile linter with no diagnostics", () => {
    expect(validate(dockerfile)).toEqual([]);
  });

  it("is checked by a linter that does catch mistakes", () => {
    const broken = 'FROM\nRUNN echo hi\nEXPOSE port\nENTRYPOINT ["a",\n';
    expect(validate(broken).length).toBeGreaterThanOrEqual(3);
  });

  it("pins its base images by version, runs as a non-root user and uses an exec-form entry point", () => {
    const steps = instructions(dockerfile);
    const bases = steps.filter((step) => step.keyword === "FROM").map((step) => step.argument);
    // The `${…}` are Dockerfile build arguments, not template placeholders.
    const dollar = "$";
    expect(bases).toEqual([
      `node:${dollar}{NODE_VERSION}-bookworm-slim AS node`,
      `python:${dollar}{PYTHON_VERSION}-slim-bookworm`,
    ]);
    const users = steps.filter((step) => step.keyword === "USER").map((step) => step.argument);
    expect(users.at(-1)).toBe("twined");
    const entrypoint = steps.find((step) => step.keyword === "ENTRYPOINT")?.argument ?? "";
    expect(JSON.parse(entrypoint)).toEqual(["twined", "service", "answer"]);
    expect(dockerfile).toMatch(/requirements\.txt/);
    expect(dockerfile).toMatch(/pyproject\.toml/);
    expect(dockerfile).toMatch(/setup\.py/);
  });

  it("has an entry point that answers a question given inline, as the container would run it", async () => {
    const service = path.join(mkdtempSync(path.join(tmpdir(), "twined-image-")), "workspace");
    cpSync(path.resolve("examples/child-services/elevation"), service, { recursive: true });
    const question = {
      event: { kind: "question", input_values: { locations: [{ longitude: 1, latitude: 1 }] } },
      attributes: createQuestionAttributes({ sender: "octue/asker:1.0.0", recipient: "examples/elevation:0.1.0" }),
    };
    const steps = instructions(dockerfile);
    const entrypoint = JSON.parse(steps.find((step) => step.keyword === "ENTRYPOINT")?.argument ?? "[]") as string[];
    expect(entrypoint[0]).toBe("twined");
    writeFileSync(path.join(service, "question.json"), JSON.stringify(question));
    const result = await runTwined([...entrypoint.slice(1), "--question", "@question.json"], service);
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split("\n");
    expect(JSON.parse(lines.at(-1) ?? "{}")).toMatchObject({
      event: { kind: "result", output_values: [548] },
      attributes: { sender: "examples/elevation:0.1.0", recipient: "octue/asker:1.0.0" },
    });
  });
});
