// What promote and rollback deploy, run through the real program under mocks: the stack file
// with image.ref pinned by pinImageInStackFile deploys that digest without building, keeps a
// building stack's registry, and records the release.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { pinImageInStackFile } from "../../scripts/release/stack-file.js";
import { ofType, runStack, stackFile, type ProgramRun, type StackName } from "../support/pulumi-program.js";

const digest = `sha256:${"7e".repeat(32)}`;
const ref = `111122223333.dkr.ecr.us-east-1.amazonaws.com/inference-platform-dev@${digest}`;

async function pinned(stack: StackName): Promise<ProgramRun> {
  const text = pinImageInStackFile(readFileSync(stackFile(stack), "utf8"), ref, stackFile(stack));
  return runStack({ stack, config: (parse(text) as { config: Record<string, unknown> }).config });
}

function appImage(run: ProgramRun): string {
  const app = ofType(run, "kubernetes:apps/v1:Deployment").find((d) => d.name === "inference");
  assert.ok(app, "the app Deployment");
  return app.inputs.spec.template.spec.containers[0].image;
}

describe("a stack deployed with a pinned release", () => {
  it("dev (a building stack) deploys the pinned digest, builds nothing and keeps its registry", async () => {
    const run = await pinned("dev");
    assert.equal(appImage(run), ref);
    assert.equal(ofType(run, "docker-build:index:Image").length, 0, "no image build");
    assert.ok(ofType(run, "aws:ecr/repository:Repository").length > 0, "the ECR repository (rollback targets) stays");
    assert.equal(run.outputs.imageDigest, digest);
    const releases = run.outputs.releases as { digest: string; imageRef: string }[];
    assert.deepEqual([releases.at(-1)?.digest, releases.at(-1)?.imageRef], [digest, ref]);
  });

  it("prod deploys the pinned digest instead of what promoteFrom's stack runs", async () => {
    const unpinned = await runStack("prod");
    assert.notEqual(appImage(unpinned), ref);
    const run = await pinned("prod");
    assert.equal(appImage(run), ref);
    assert.equal(run.outputs.imageDigest, digest);
  });
});
