// The VPC: zones and NAT gateways from config, subnet sizes that fit any allowed CIDR.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { one, runStack, stackValue, stackWith } from "../../support/pulumi-program.js";

const VPC = "awsx:ec2:Vpc";

describe("network", () => {
  for (const [stack, strategy] of [["dev", "Single"], ["staging", "Single"], ["prod", "OnePerAz"]] as const) {
    it(`${stack}: ${stackValue(stack, "network").azCount} zones, NAT ${strategy}, the stack's CIDR`, async () => {
      const vpc = one(await runStack(stack), VPC).inputs;
      assert.equal(vpc.cidrBlock, stackValue(stack, "network").cidr);
      assert.equal(vpc.numberOfAvailabilityZones, stackValue(stack, "network").azCount);
      assert.equal(vpc.natGateways.strategy, strategy);
      assert.equal(vpc.enableDnsHostnames, true);
    });
  }

  it("sizes subnets relative to the VPC so three zones fit even in a /22", async () => {
    const network = { ...stackValue("prod", "network"), cidr: "10.40.0.0/22" };
    const vpc = one(await runStack(stackWith("prod", { network })), VPC).inputs;
    const masks = Object.fromEntries(vpc.subnetSpecs.map((s: any) => [s.type, s.cidrMask]));
    assert.deepEqual(masks, { Private: 25, Public: 28 });
    // 3 x /25 + 3 x /28 = 432 of 1024 addresses
    assert.ok(3 * 2 ** (32 - masks.Private) + 3 * 2 ** (32 - masks.Public) <= 2 ** (32 - 22));
  });

  it("hands the cluster the private subnets for nodes and the public ones for load balancers", async () => {
    const run = await runStack("dev");
    const cluster = one(run, "eks:index:Cluster").inputs;
    const vpc = one(run, VPC).state;
    assert.deepEqual(cluster.privateSubnetIds, vpc.privateSubnetIds);
    assert.deepEqual(cluster.publicSubnetIds, vpc.publicSubnetIds);
    assert.equal(cluster.vpcId, vpc.vpcId);
  });
});
