// GPU pools as Karpenter NodePools: what the stack files ask for, and the same
// component for self-managed Karpenter (EC2NodeClass) as the other way to run it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { runProgram } from "../../../scripts/lib/mock-program.js";
import { crdValidatorsByKind, validateWithCrd } from "../../support/k8s-schemas.js";
import { ofType, REPO_ROOT, runStack, stackValue } from "../../support/pulumi-program.js";

const NODEPOOL = "kubernetes:karpenter.sh/v1:NodePool";
const requirement = (pool: any, key: string) => pool.spec.template.spec.requirements.find((r: any) => r.key === key)?.values;

describe("GPU node pools", () => {
  it("prod has an on-demand base pool tried before the spot burst pool", async () => {
    const pools = ofType(await runStack("prod"), NODEPOOL).map((p) => p.inputs);
    const [base, burst] = ["gpu-l4", "gpu-l4-spot"].map((n) => pools.find((p) => p.metadata.name === n));
    assert.ok(base && burst);
    assert.deepEqual(requirement(base, "karpenter.sh/capacity-type"), ["on-demand"]);
    assert.deepEqual(requirement(burst, "karpenter.sh/capacity-type"), ["spot"]);
    assert.ok(base.spec.weight > burst.spec.weight);
  });

  it("takes families, GPU count, limit, labels and consolidation from the stack file", async () => {
    const [cfg] = stackValue("dev", "gpuPools");
    const [pool] = ofType(await runStack("dev"), NODEPOOL).map((p) => p.inputs);
    assert.ok(pool);
    assert.deepEqual(requirement(pool, "eks.amazonaws.com/instance-family"), cfg.instanceFamilies);
    assert.deepEqual(requirement(pool, "eks.amazonaws.com/instance-gpu-count"), [String(cfg.gpuCount)]);
    assert.equal(pool.spec.limits["nvidia.com/gpu"], String(cfg.maxGpus));
    assert.equal(pool.spec.disruption.consolidateAfter, cfg.consolidateAfter);
    assert.deepEqual(pool.spec.template.metadata.labels, { ...cfg.labels, "inference-platform/pool": cfg.name });
    assert.deepEqual(pool.spec.template.spec.nodeClassRef, { group: "eks.amazonaws.com", kind: "NodeClass", name: "private" });
  });

  it("also serves self-managed Karpenter: EC2NodeClass reference and karpenter.k8s.aws labels, valid against the upstream CRD", async () => {
    const run = await runProgram({ stack: "fixture", config: {} }, path.join(REPO_ROOT, "test/infra/cluster/fixtures/self-managed-pools.ts"));
    const [pool] = ofType(run, NODEPOOL).map((p) => p.inputs);
    assert.ok(pool);
    assert.deepEqual(pool.spec.template.spec.nodeClassRef, { group: "karpenter.k8s.aws", kind: "EC2NodeClass", name: "gpu" });
    assert.deepEqual(requirement(pool, "karpenter.k8s.aws/instance-family"), ["g5"]);
    assert.deepEqual(requirement(pool, "karpenter.k8s.aws/instance-gpu-count"), ["4"]);
    assert.equal(pool.spec.weight, 50);
    if (crdValidatorsByKind().size > 0) assert.equal(validateWithCrd(pool as { apiVersion: string; kind: string }), undefined);
  });
});
