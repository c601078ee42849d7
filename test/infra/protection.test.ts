// What `protect` covers: a transform that protects only the listed types among a component's
// descendants (the engine runs it on each of them, including the children of remote components).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { PROTECTED, PROTECTED_TYPES, protectTypes } from "../../infra/protection.js";

describe("protectTypes", () => {
  const transform = protectTypes([PROTECTED.eksCluster]);
  const args = (type: string) => ({ custom: true, type, name: "x", props: { name: "inference-prod" }, opts: { ignoreChanges: ["tags"] } });

  it("protects a resource of a listed type, keeping its inputs and its other options", () => {
    assert.deepEqual(transform(args("aws:eks/cluster:Cluster")), {
      props: { name: "inference-prod" },
      opts: { ignoreChanges: ["tags"], protect: true },
    });
  });

  it("leaves every other resource as it is (undefined: no change), so roles, access entries and providers stay replaceable", () => {
    for (const type of ["aws:iam/role:Role", "aws:eks/accessEntry:AccessEntry", "pulumi:providers:kubernetes", "eks:index:Cluster", "aws:ec2/vpc:Vpc"]) {
      assert.equal(transform(args(type)), undefined, type);
    }
  });

  it("the protected types are the data and the cluster: VPC, EKS cluster, cache, image repository", () => {
    assert.deepEqual([...PROTECTED_TYPES].sort(), [
      "aws:ec2/vpc:Vpc",
      "aws:ecr/repository:Repository",
      "aws:eks/cluster:Cluster",
      "aws:elasticache/replicationGroup:ReplicationGroup",
    ]);
  });
});
