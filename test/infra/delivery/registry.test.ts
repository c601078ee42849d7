// The image registry of the building stack: immutable, scanned, pruned, shareable across accounts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ofType, runStack, stackValue, stackWith } from "../../support/pulumi-program.js";

const REPO = "aws:ecr/repository:Repository";
const LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy";

describe("registry", () => {
  it("keeps images immutable and scanned, the build cache mutable beside them", async () => {
    const repos = ofType(await runStack("dev"), REPO);
    const byName = Object.fromEntries(repos.map((r) => [r.inputs.name, r.inputs]));
    assert.deepEqual(Object.keys(byName).sort(), ["inference-platform-dev", "inference-platform-dev-cache"]);
    assert.equal(byName["inference-platform-dev"].imageTagMutability, "IMMUTABLE");
    assert.equal(byName["inference-platform-dev"].imageScanningConfiguration.scanOnPush, true);
    assert.equal(byName["inference-platform-dev-cache"].imageTagMutability, "MUTABLE");
  });

  it("expires untagged layers and keeps the configured number of images", async () => {
    const policies = ofType(await runStack(stackWith("dev", { image: { build: true, keepImages: 7 } })), LIFECYCLE);
    const main = policies.find((p) => p.name === "registry");
    assert.ok(main);
    const rules = JSON.parse(main.inputs.policy).rules;
    assert.ok(rules.some((r: any) => r.selection.tagStatus === "untagged" && r.action.type === "expire"));
    assert.ok(rules.some((r: any) => r.selection.countType === "imageCountMoreThan" && r.selection.countNumber === 7));
  });

  it("lets other accounts pull only when asked", async () => {
    assert.deepEqual(ofType(await runStack("dev"), "aws:ecr/repositoryPolicy:RepositoryPolicy"), []);
    const image = { ...stackValue("dev", "image"), pullAccountIds: ["444455556666"] };
    const [policy] = ofType(await runStack(stackWith("dev", { image })), "aws:ecr/repositoryPolicy:RepositoryPolicy");
    assert.ok(policy);
    const statement = JSON.parse(policy.inputs.policy).Statement[0];
    assert.deepEqual(statement.Principal.AWS, ["arn:aws:iam::444455556666:root"]);
    assert.ok(statement.Action.includes("ecr:BatchGetImage") && !statement.Action.some((a: string) => a.startsWith("ecr:Put")));
  });

  it("is refused an account id that is not 12 digits", async () => {
    const image = { ...stackValue("dev", "image"), pullAccountIds: ["4444"] };
    await assert.rejects(runStack(stackWith("dev", { image })), /image\.pullAccountIds\[0\]: must be a 12-digit AWS account id/);
  });
});
