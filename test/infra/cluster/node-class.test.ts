// Nodes stay in the private subnets and enforce NetworkPolicy: the AWS stacks create the private
// NodeClass and the network policy controller's ConfigMap, and every GPU pool launches through it
// (EKS User Guide: "Create a Node Class for Amazon EKS", "Use Network Policies with EKS Auto Mode").
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ofType, one, runStack } from "../../support/pulumi-program.js";

const NODECLASS = "kubernetes:eks.amazonaws.com/v1:NodeClass";

for (const stack of ["dev", "staging", "prod"] as const) {
  describe(`${stack}: private, policy-enforcing nodes`, () => {
    it("the NodeClass selects the private subnets by id, the cluster security group and Auto Mode's node role", async () => {
      const run = await runStack(stack);
      const vpc = one(run, "awsx:ec2:Vpc").state;
      const nodeClass = one(run, NODECLASS).inputs;
      assert.equal(nodeClass.metadata.name, "private");
      const subnets = nodeClass.spec.subnetSelectorTerms.map((t: { id: string }) => t.id);
      assert.deepEqual(subnets, vpc.privateSubnetIds);
      assert.equal(subnets.some((id: string) => vpc.publicSubnetIds.includes(id)), false);
      assert.deepEqual(nodeClass.spec.securityGroupSelectorTerms, [{ id: one(run, "eks:index:Cluster").state.clusterSecurityGroupId }]);
      assert.equal(nodeClass.spec.role, one(run, "eks:index:Cluster").state.autoModeNodeRoleName);
    });

    it("network policy is enforced: the controller's ConfigMap first, then a NodeClass with networkPolicy", async () => {
      const run = await runStack(stack);
      const configMap = ofType(run, "kubernetes:core/v1:ConfigMap").find((c) => c.inputs.metadata.name === "amazon-vpc-cni");
      assert.ok(configMap, "kube-system/amazon-vpc-cni exists");
      assert.equal(configMap.inputs.metadata.namespace, "kube-system");
      assert.deepEqual(configMap.inputs.data, { "enable-network-policy-controller": "true" });
      const nodeClass = one(run, NODECLASS);
      assert.match(nodeClass.inputs.spec.networkPolicy, /^Default(Allow|Deny)$/);
      assert.ok(nodeClass.opts.dependsOn.includes(configMap.urn), "the NodeClass waits for the controller's ConfigMap");
    });

    it("every GPU NodePool launches through the private NodeClass", async () => {
      const pools = ofType(await runStack(stack), "kubernetes:karpenter.sh/v1:NodePool");
      assert.ok(pools.length > 0);
      for (const pool of pools) {
        assert.deepEqual(pool.inputs.spec.template.spec.nodeClassRef, { group: "eks.amazonaws.com", kind: "NodeClass", name: "private" });
      }
    });

    it("the cluster's own subnets are the private ones, so the built-in pools' default NodeClass is private too", async () => {
      const run = await runStack(stack);
      const cluster = one(run, "eks:index:Cluster").inputs;
      assert.deepEqual(cluster.privateSubnetIds, one(run, "awsx:ec2:Vpc").state.privateSubnetIds);
      assert.equal(cluster.publicSubnetIds, undefined);
      assert.equal(cluster.subnetIds, undefined);
    });
  });
}

describe("local stack", () => {
  it("creates no NodeClass and leaves kube-system alone", async () => {
    const run = await runStack("local");
    assert.deepEqual(ofType(run, NODECLASS), []);
    assert.equal(ofType(run, "kubernetes:core/v1:ConfigMap").some((c) => c.inputs.metadata.namespace === "kube-system"), false);
  });
});
