// GPU pools as Karpenter NodePools: what the stack files ask for, and the same
// component for self-managed Karpenter (EC2NodeClass) as the other way to run it.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { runProgram } from "../../../scripts/lib/mock-program.js";
import { crdValidatorsByKind, validateWithCrd } from "../../support/k8s-schemas.js";
import { ofType, REPO_ROOT, runStack, stackValue, stackWith } from "../../support/pulumi-program.js";
import { allowedDisruptions, AUTO_MODE_MAX_NODE_HOURS, durationHours, placeReplicas } from "../../../infra/cluster/karpenter-rules.js";

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

describe("GPU pools against Karpenter's rules (infra/cluster/karpenter-rules.ts)", () => {
  const nodePools = async (stack: "dev" | "staging" | "prod") => ofType(await runStack(stack), NODEPOOL).map((p) => p.inputs);

  for (const stack of ["dev", "staging", "prod"] as const) {
    it(`${stack}: nodes expire within Auto Mode's 21 days; only empty nodes are consolidated; busy ones are replaced one at a time`, async () => {
      for (const pool of await nodePools(stack)) {
        assert.ok(durationHours(pool.spec.template.spec.expireAfter) <= AUTO_MODE_MAX_NODE_HOURS, `${pool.metadata.name} expireAfter ${pool.spec.template.spec.expireAfter}`);
        assert.equal(pool.spec.disruption.consolidationPolicy, "WhenEmpty");
        const budgets = pool.spec.disruption.budgets;
        for (const hour of [0, 4, 9, 15, 21]) {
          assert.ok(allowedDisruptions(budgets, "Drifted", hour, 10) <= 1, `${pool.metadata.name} at ${hour}:00 drains at most one node for drift`);
          assert.ok(allowedDisruptions(budgets, "Underutilized", hour, 10) <= 1);
        }
        assert.equal(allowedDisruptions(budgets, "Empty", 12, 10), 10);
      }
    });
  }

  it("prod replaces drifted nodes only in its maintenance window", async () => {
    const [base] = (await nodePools("prod")).filter((p) => p.metadata.name === "gpu-l4");
    const window = stackValue("prod", "gpuPools")[0].maintenanceWindow;
    const budgets = base!.spec.disruption.budgets;
    assert.equal(allowedDisruptions(budgets, "Drifted", window.startHourUtc, 10), 1);
    assert.equal(allowedDisruptions(budgets, "Drifted", (window.startHourUtc + window.hours) % 24, 10), 0);
    assert.equal(allowedDisruptions(budgets, "Drifted", 12, 10), 0);
  });

  it("prod: the on-demand pool carries the baseline, every replica above it goes to spot", async () => {
    const pools = (await nodePools("prod")).map((p) => ({ name: p.metadata.name, weight: p.spec.weight, maxGpus: Number(p.spec.limits["nvidia.com/gpu"]) }));
    const { minReplicas, maxReplicas } = { minReplicas: 3, maxReplicas: 12, ...stackValue("prod", "autoscaling") };
    assert.deepEqual(placeReplicas(pools, minReplicas, 1), { "gpu-l4": minReplicas, "gpu-l4-spot": 0 });
    const atMax = placeReplicas(pools, maxReplicas, 1);
    assert.ok(atMax["gpu-l4-spot"]! >= maxReplicas - (minReplicas + 1), `spot carries the burst: ${JSON.stringify(atMax)}`);
    assert.equal(atMax["(unschedulable)"], undefined);
  });

  it("a stack whose baseline pool absorbs the whole range is refused, naming the unused pool", async () => {
    const pools = stackValue("prod", "gpuPools").map((p: any) => (p.name === "l4" ? { ...p, maxGpus: 12 } : p));
    await assert.rejects(runStack(stackWith("prod", { gpuPools: pools })), /pool l4-spot is never used: l4 \(higher weight\) hold all 12 replicas/);
  });

  it("a node lifetime beyond 21 days is refused", async () => {
    const pools = stackValue("dev", "gpuPools").map((p: any) => ({ ...p, expireAfter: "720h" }));
    await assert.rejects(runStack(stackWith("dev", { gpuPools: pools })), /expireAfter: must be at most 504h: EKS Auto Mode caps node lifetime at 21 days/);
  });
});
