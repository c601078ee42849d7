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

  it("hands the cluster only the private subnets; load balancers find the public ones by their role tag", async () => {
    const run = await runStack("dev");
    const cluster = one(run, "eks:index:Cluster").inputs;
    const vpc = one(run, VPC);
    assert.deepEqual(cluster.privateSubnetIds, vpc.state.privateSubnetIds);
    assert.equal(cluster.publicSubnetIds, undefined);
    assert.equal(cluster.vpcId, vpc.state.vpcId);
    // Subnet discovery of the AWS Load Balancer Controller and of Auto Mode: kubernetes.io/role/elb marks
    // the subnets of internet-facing load balancers, kubernetes.io/role/internal-elb those of internal ones.
    const tagsOf = (type: string) => vpc.inputs.subnetSpecs.find((s: { type: string }) => s.type === type).tags;
    assert.equal(tagsOf("Public")["kubernetes.io/role/elb"], "1");
    assert.equal(tagsOf("Private")["kubernetes.io/role/internal-elb"], "1");
  });
});
