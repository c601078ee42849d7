// CI's wait before the smoke test: rollout done, NLB targets healthy, endpoint ready; a stack at zero is woken once.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { deploymentStatusFromKubectl, loadBalancerArnFromDescribe, nextWaitStep, targetGroupsFromDescribe, targetStatesFromDescribe, type WaitObservation } from "../../../scripts/smoke/wait-ready.js";

const base: WaitObservation = {
  now: 1000,
  deadline: 2000,
  deployment: { generation: 4, observedGeneration: 4, replicas: 3, updatedReplicas: 3, availableReplicas: 3 },
  targets: { http: { healthy: 3 }, grpc: { healthy: 3 } },
  endpointReady: true,
  woken: false,
};
const at = (over: Partial<WaitObservation>): WaitObservation => ({ ...base, ...over });

describe("nextWaitStep", () => {
  it("is ready when the rollout is done, every target is healthy and the endpoint answers", () => {
    assert.deepEqual(nextWaitStep(base), { action: "ready" });
  });

  it("waits while new targets are still in initial health checks, though the Deployment is available", () => {
    const step = nextWaitStep(at({ targets: { http: { healthy: 3 }, grpc: { healthy: 3, initial: 1, draining: 1 } } }));
    assert.equal(step.action, "wait");
    assert.match((step as { reason: string }).reason, /NLB targets \(grpc\): 3 healthy of 3 wanted, 1 still in initial health checks/);
    assert.equal(nextWaitStep(at({ targets: { http: { healthy: 2, draining: 1 }, grpc: { healthy: 3 } } })).action, "wait", "every target group counts");
  });

  it("waits for the controller and the rollout first", () => {
    assert.match(JSON.stringify(nextWaitStep(at({ deployment: { ...base.deployment, observedGeneration: 3 } }))), /generation 4/);
    assert.match(JSON.stringify(nextWaitStep(at({ deployment: { ...base.deployment, availableReplicas: 2 } }))), /2\/3 available/);
  });

  it("waits for the endpoint, and without an NLB (local) only for rollout and endpoint", () => {
    assert.equal(nextWaitStep(at({ endpointReady: false })).action, "wait");
    const { targets: _omit, ...local } = base;
    assert.deepEqual(nextWaitStep(local), { action: "ready" });
  });

  it("wakes a stack at zero once, then waits for it, then gives up at the deadline", () => {
    const zero = { ...base.deployment, replicas: 0, updatedReplicas: 0, availableReplicas: 0 };
    assert.equal(nextWaitStep(at({ deployment: zero, targets: { http: {} } })).action, "wake");
    assert.equal(nextWaitStep(at({ deployment: zero, targets: { http: {} }, woken: true })).action, "wait");
    assert.equal(nextWaitStep(at({ deployment: zero, targets: { http: {} }, woken: true, now: 2000 })).action, "fail");
  });

  it("fails at the deadline naming what was missing", () => {
    const step = nextWaitStep(at({ now: 2000, targets: { http: { healthy: 1, initial: 2 } } }));
    assert.equal(step.action, "fail");
    assert.match((step as { reason: string }).reason, /before the deadline: NLB targets \(http\): 1 healthy of 3 wanted/);
  });
});

describe("reading the CLIs' JSON", () => {
  it("counts target states from describe-target-health", () => {
    const json = { TargetHealthDescriptions: [{ TargetHealth: { State: "healthy" } }, { TargetHealth: { State: "initial" } }, { TargetHealth: { State: "healthy" } }] };
    assert.deepEqual(targetStatesFromDescribe(json), { healthy: 2, initial: 1 });
    assert.throws(() => targetStatesFromDescribe({}), /no TargetHealthDescriptions/);
  });

  it("reads a Deployment's status, defaulting spec.replicas to 1", () => {
    const status = deploymentStatusFromKubectl({ metadata: { generation: 2 }, spec: {}, status: { observedGeneration: 2, updatedReplicas: 1, availableReplicas: 1 } });
    assert.deepEqual(status, { generation: 2, observedGeneration: 2, replicas: 1, updatedReplicas: 1, availableReplicas: 1 });
    assert.throws(() => deploymentStatusFromKubectl({ kind: "Pod" }), /not a Deployment or Rollout/);
  });

  it("reads a Rollout, whose observedGeneration is a string", () => {
    const rollout = (observedGeneration: string) => ({ metadata: { generation: 5 }, spec: { replicas: 2 }, status: { observedGeneration, updatedReplicas: 2, availableReplicas: 1 } });
    assert.deepEqual(deploymentStatusFromKubectl(rollout("4")), { generation: 5, observedGeneration: 4, replicas: 2, updatedReplicas: 2, availableReplicas: 1 });
    assert.equal(deploymentStatusFromKubectl(rollout("7d9f8c6b5")).observedGeneration, 5, "a hash (older controllers) counts as observed");
  });

  it("finds the NLB by its DNS name and lists its target groups", () => {
    const lbs = { LoadBalancers: [{ DNSName: "other.elb.amazonaws.com", LoadBalancerArn: "arn:lb/other" }, { DNSName: "K8S-App.elb.us-east-1.amazonaws.com", LoadBalancerArn: "arn:lb/app" }] };
    assert.equal(loadBalancerArnFromDescribe(lbs, "k8s-app.elb.us-east-1.amazonaws.com."), "arn:lb/app");
    assert.throws(() => loadBalancerArnFromDescribe(lbs, "gone.elb.amazonaws.com"), /no load balancer named gone\.elb\.amazonaws\.com .*\(2 listed\)/);
    assert.throws(() => loadBalancerArnFromDescribe({}, "x"), /no LoadBalancers list/);
    const tgs = { TargetGroups: [{ TargetGroupArn: "arn:tg/a", TargetGroupName: "k8s-http" }, { TargetGroupArn: "arn:tg/b" }] };
    assert.deepEqual(targetGroupsFromDescribe(tgs), [{ name: "k8s-http", arn: "arn:tg/a" }, { name: "arn:tg/b", arn: "arn:tg/b" }]);
    assert.throws(() => targetGroupsFromDescribe({ TargetGroups: [] }), /no target groups/);
  });
});
