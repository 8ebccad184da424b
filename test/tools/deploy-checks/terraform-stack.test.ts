/** biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are Terraform, whose ${…} is an interpolation */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TerraformStackProblem } from "../../../shared/errors/index.js";
import { Unknown } from "../../../tools/deploy-checks/hcl-expression.js";
import { TerraformStack } from "../../../tools/deploy-checks/terraform-stack.js";

function stack(files: Record<string, string>): string {
  const directory = mkdtempSync(path.join(tmpdir(), "twined-terraform-"));
  mkdirSync(path.join(directory, "templates"));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(directory, name), text);
  return directory;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}

describe("a Terraform stack, read and evaluated offline", () => {
  it("expands for_each, count and dynamic blocks, renders templatefile(), and leaves provider values Unknown", async () => {
    const directory = stack({
      "main.tf": `
variable "environment" { default = "main" }
variable "kinds" { default = { a = 1, b = 2 } }
locals { prefix = "\${var.environment}-twined" }
resource "thing" "each" {
  for_each = var.kinds
  name     = "\${local.prefix}-\${each.key}"
  size     = each.value
  dynamic "part" {
    for_each = ["x", "y"]
    content { label = "\${part.value}\${each.value}" }
  }
}
resource "thing" "maybe" {
  count = var.environment == "main" ? 1 : 0
  body  = templatefile("\${path.module}/templates/object.yaml.tftpl", { name = thing.each["a"].name })
  ref   = thing.each["b"].id
}
`,
      "templates/object.yaml.tftpl": "name: ${name}\n",
    });
    const evaluator = (await TerraformStack.load(directory)).evaluator();
    expect(evaluator.instances("thing.each")).toEqual([
      { key: "a", attributes: { name: "main-twined-a", size: 1, part: [{ label: "x1" }, { label: "y1" }] } },
      { key: "b", attributes: { name: "main-twined-b", size: 2, part: [{ label: "x2" }, { label: "y2" }] } },
    ]);
    const [maybe] = evaluator.instances("thing.maybe");
    expect(maybe?.attributes.body).toBe("name: main-twined-a\n");
    expect(maybe?.attributes.ref).toBeInstanceOf(Unknown);
    const other = (await TerraformStack.load(directory)).evaluator({ variables: { environment: "dev" } });
    expect(other.instances("thing.maybe")).toEqual([]);
  });

  it("names the file of invalid HCL, and the variable a check must be given", async () => {
    const broken = await rejection(TerraformStack.load(stack({ "broken.tf": 'resource "x" {\n' })));
    expect(broken).toBeInstanceOf(TerraformStackProblem);
    expect(broken.message).toMatch(/broken\.tf: is not valid HCL/);

    const evaluator = (
      await TerraformStack.load(
        stack({ "main.tf": 'variable "project" {}\nresource "r" "x" { name = var.project }\n' }),
      )
    ).evaluator();
    expect(() => evaluator.instances("r.x")).toThrow(/var\.project has no default; give the check a value for it/);
    expect(() => evaluator.instances("r.missing")).toThrow(/has no r\.missing/);
  });
});
