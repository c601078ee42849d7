// The image registry of the building stack: immutable, scanned, pruned, shareable across accounts.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ofType, runStack, stackValue, stackWith } from "../../support/pulumi-program.js";
import { expiredImages, releaseTag } from "../../../infra/delivery/released-images.js";

const REPO = "aws:ecr/repository:Repository";
const LIFECYCLE = "aws:ecr/lifecyclePolicy:LifecyclePolicy";

describe("registry", () => {
  it("keeps release tags immutable and lets only build tags be pushed again; scanned; the build cache mutable beside it", async () => {
    const repos = ofType(await runStack("dev"), REPO);
    const byName = Object.fromEntries(repos.map((r) => [r.inputs.name, r.inputs]));
    assert.deepEqual(Object.keys(byName).sort(), ["inference-platform-dev", "inference-platform-dev-cache"]);
    const images = byName["inference-platform-dev"];
    assert.equal(images.imageTagMutability, "IMMUTABLE_WITH_EXCLUSION");
    // The tag the build pushes matches an exclusion, so rebuilding the same tree (a revert, lost state) pushes it again.
    const pushed = ofType(await runStack("dev"), "docker-build:index:Image")[0]!.inputs.tags[0].split(":").pop();
    const excluded = (tag: string) => images.imageTagMutabilityExclusionFilters.some((f: any) => new RegExp(`^${f.filter.replace("*", ".*")}$`).test(tag));
    assert.equal(excluded(pushed), true, `build tag ${pushed} is excluded from immutability`);
    assert.equal(excluded(releaseTag("prod", `sha256:${"a".repeat(64)}`)), false, "release tags stay immutable");
    assert.equal(images.imageScanningConfiguration.scanOnPush, true);
    assert.equal(byName["inference-platform-dev-cache"].imageTagMutability, "MUTABLE");
  });

  it("outlives `pulumi destroy -s dev`: never force-deleted, retained on delete", async () => {
    const repo = ofType(await runStack("dev"), REPO).find((r) => r.inputs.name === "inference-platform-dev")!;
    assert.equal(repo.inputs.forceDelete, false);
    assert.equal(repo.opts.retainOnDelete, true);
  });

  it("never expires an image promoted to a stack, however many builds follow; keeps the configured number of builds", async () => {
    const policies = ofType(await runStack(stackWith("dev", { image: { build: true, keepImages: 7 } })), LIFECYCLE);
    const main = policies.find((p) => p.name === "registry");
    assert.ok(main);
    const rules = JSON.parse(main.inputs.policy).rules;
    const builds = Array.from({ length: 200 }, (_, i) => ({ digest: `sha256:${String(i).padStart(64, "0")}`, tags: [`cuda-${i}`], ageDays: i }));
    const promoted = builds[150]!;
    promoted.tags.push(releaseTag("prod", promoted.digest));
    const expired = expiredImages(rules, builds);
    assert.equal(expired.has(promoted.digest), false, "the digest prod runs stays pullable");
    assert.equal(expired.size, 200 - 7 - 1);
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
