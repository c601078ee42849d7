// The cost estimate prices what a stack registers from the committed price table.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import prices from "../../../infra/cluster/prices.json" with { type: "json" };
import { estimateMonthlyCost } from "../../../scripts/lib/cost-estimate.js";
import { runStack, stackValue, stackWith, STACKS } from "../../support/pulumi-program.js";

const HOURS = prices.hoursPerMonth;
const price = (type: string) => (prices.instances as Record<string, { usdPerHour: number }>)[type]?.usdPerHour ?? NaN;
const line = (cost: ReturnType<typeof estimateMonthlyCost>, item: string) => {
  const found = cost.lines.find((l) => l.item === item);
  assert.ok(found, `cost line ${item}`);
  return found;
};

describe("monthly cost estimate", () => {
  it("the price table names its source and date and says it is approximate", () => {
    assert.match(prices.source, /aws\.amazon\.com/);
    assert.match(prices.date, /^\d{4}-\d{2}-\d{2}$/);
    assert.match(prices.note, /[Aa]pproximate/);
  });

  for (const stack of STACKS) {
    it(`${stack}: every priced line has a floor no higher than its ceiling`, async () => {
      const cost = estimateMonthlyCost(await runStack(stack));
      for (const l of cost.lines) assert.ok(l.low >= 0 && l.low <= l.high, `${l.item}: ${l.low} > ${l.high}`);
      assert.equal(cost.high, cost.lines.reduce((s, l) => s + l.high, 0));
    });
  }

  it("the local stack costs nothing on AWS", async () => {
    const cost = estimateMonthlyCost(await runStack("local"));
    assert.deepEqual(cost.lines, []);
    assert.equal(cost.high, 0);
  });

  it("prices the control plane, NAT per zone and the NLB from the table", async () => {
    const prod = estimateMonthlyCost(await runStack("prod"));
    assert.equal(line(prod, "EKS control plane").low, prices.eks.controlPlanePerHour * HOURS);
    const nat = prices.natGateway.perHour * HOURS + prices.assumptions.natGBPerMonth * prices.natGateway.perGB;
    assert.equal(line(prod, "NAT gateways").low, 3 * nat, "one NAT per zone in prod");
    const dev = estimateMonthlyCost(await runStack("dev"));
    assert.equal(line(dev, "NAT gateways").low, nat, "a single NAT in dev");
    assert.ok(line(prod, "network load balancer").low > prices.networkLoadBalancer.perHour * HOURS);
  });

  it("sizes a GPU pool from the pods' minimum (serving pods and warm-spare placeholders) and the pool's GPU limit, on the cheapest type that fits the pod", async () => {
    const prod = estimateMonthlyCost(await runStack("prod"));
    const pool = line(prod, "GPU pool l4");
    const [base] = stackValue("prod", "gpuPools");
    const minReplicas = stackValue("prod", "autoscaling")?.minReplicas ?? 3;
    // One GPU per replica in prod; the placeholders hold their GPUs on running nodes all month.
    const floor = minReplicas + (base.warmSpareGpus ?? 0);
    assert.match(pool.detail, new RegExp(`^${floor}-${base.maxGpus} x g6\\.xlarge \\(on-demand\\)$`));
    const perNode = price("g6.xlarge") * (1 + prices.eks.autoModeFeeFraction) * HOURS + prices.assumptions.nodeRootVolumeGiB * prices.ebs.gp3PerGBMonth;
    assert.ok(Math.abs(pool.high - base.maxGpus * perNode) < 1e-6);
    assert.ok(Math.abs(pool.low - floor * perNode) < 1e-6);
    assert.equal(line(prod, "GPU pool l4-spot").low, 0, "the burst pool is empty at the minimum");
  });

  it("a pod too big for the small sizes moves the estimate to a larger type", async () => {
    const app = { ...stackValue("dev", "app"), cpu: "6", memory: "24Gi" };
    const cost = estimateMonthlyCost(await runStack(stackWith("dev", { app })));
    assert.match(line(cost, "GPU pool l4").detail, /x g(4dn|5|6)\.2xlarge/);
  });

  it("spot lowers the floor, on-demand sets the ceiling", async () => {
    const pools = stackValue("dev", "gpuPools");
    const spotOnly = estimateMonthlyCost(await runStack(stackWith("dev", { gpuPools: [{ ...pools[0], capacityTypes: ["spot"] }] })));
    const both = estimateMonthlyCost(await runStack("dev"));
    assert.ok(line(spotOnly, "GPU pool l4").high < line(both, "GPU pool l4").high);
  });

  it("grows with a bigger cache and more zones", async () => {
    const prod = estimateMonthlyCost(await runStack("prod"));
    const dev = estimateMonthlyCost(await runStack("dev"));
    assert.ok(line(prod, "ElastiCache").low > line(dev, "ElastiCache").low);
    assert.ok(prod.low > dev.low && prod.high > dev.high);
    assert.equal(prod.low, prod.lines.reduce((s, l) => s + l.low, 0));
  });
});
