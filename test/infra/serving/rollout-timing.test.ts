// Rollout timing from the NLB's health-check settings (the rule and its sources: infra/serving/rollout-timing.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { rolloutTiming, secondsToHealthy, spotNoticeProblem } from "../../../infra/serving/rollout-timing.js";
import { ofType, runStack, stackValue, stackWith } from "../../support/pulumi-program.js";

const hc = { intervalSeconds: 10, healthyThreshold: 2, unhealthyThreshold: 2 };

describe("rollout timing behind an NLB", () => {
  it("a surged pod counts as available only after registration plus healthyThreshold checks", () => {
    assert.equal(secondsToHealthy(hc), 20);
    const t = rolloutTiming({ healthCheck: hc, registrationSeconds: 180, deregistrationSeconds: 60, drainSeconds: 20 });
    assert.equal(t.minReadySeconds, 200);
    assert.ok(t.progressDeadlineSeconds > t.minReadySeconds);
  });

  it("a leaving pod serves until the NLB stops sending, then drains, and the NLB waits for the drain", () => {
    const t = rolloutTiming({ healthCheck: hc, registrationSeconds: 180, deregistrationSeconds: 60, drainSeconds: 20 });
    assert.equal(t.preStopSeconds, 60);
    assert.equal(t.deregistrationDelaySeconds, 80);
    assert.equal(t.terminationGracePeriodSeconds, 85);
  });

  it("slower health checks mean a longer minReadySeconds", () => {
    const slow = rolloutTiming({ healthCheck: { ...hc, intervalSeconds: 30, healthyThreshold: 3 }, registrationSeconds: 180, deregistrationSeconds: 60, drainSeconds: 20 });
    assert.equal(slow.minReadySeconds, 270);
  });

  it("flags a termination longer than the two-minute spot notice", () => {
    assert.equal(spotNoticeProblem(85), undefined);
    assert.match(String(spotNoticeProblem(125)), /125 s to stop, longer than the 120 s spot interruption notice/);
  });
});

describe("the AWS stacks roll out by the NLB's clock", () => {
  for (const stack of ["dev", "staging", "prod"] as const) {
    it(`${stack}: minReadySeconds, preStop, deregistration delay and grace follow the target group's health check`, async () => {
      const run = await runStack(stack);
      const deployment = ofType(run, "kubernetes:apps/v1:Deployment").find((d) => d.name === "inference")!.inputs;
      const service = ofType(run, "kubernetes:core/v1:Service").find((s) => s.inputs.spec.loadBalancerClass === "eks.amazonaws.com/nlb")!.inputs;
      const a = (key: string) => service.metadata.annotations[`service.beta.kubernetes.io/aws-load-balancer-${key}`];
      const healthCheck = { intervalSeconds: Number(a("healthcheck-interval")), healthyThreshold: Number(a("healthcheck-healthy-threshold")), unhealthyThreshold: Number(a("healthcheck-unhealthy-threshold")) };
      const pod = deployment.spec.template.spec;
      const preStop = pod.containers[0].lifecycle.preStop.sleep.seconds;
      const drain = Math.ceil(Number(pod.containers[0].env.find((e: any) => e.name === "SHUTDOWN_GRACE_MS").value) / 1000);
      const registration = { ...{ targetRegistrationSeconds: 180 }, ...stackValue(stack, "loadBalancer") }.targetRegistrationSeconds;
      const expected = rolloutTiming({ healthCheck, registrationSeconds: registration, deregistrationSeconds: preStop, drainSeconds: drain });

      // A surged pod is available (and lets an old one go) only once its target can be healthy.
      assert.ok(deployment.spec.minReadySeconds >= registration + secondsToHealthy(healthCheck));
      assert.equal(deployment.spec.minReadySeconds, expected.minReadySeconds);
      assert.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0);
      assert.ok(deployment.spec.progressDeadlineSeconds > deployment.spec.minReadySeconds);
      // The NLB holds a leaving pod's connections until its preStop and drain are over; SIGKILL comes after both.
      assert.equal(a("target-group-attributes"), `deregistration_delay.timeout_seconds=${expected.deregistrationDelaySeconds}`);
      assert.equal(pod.terminationGracePeriodSeconds, expected.terminationGracePeriodSeconds);
      // Spot pools: the whole stop fits the two-minute notice.
      assert.equal(spotNoticeProblem(pod.terminationGracePeriodSeconds), undefined);
    });
  }

  it("a stop longer than the spot notice is refused on spot pools", async () => {
    const app = { ...stackValue("dev", "app"), preStopSeconds: 100, shutdownGraceMs: 30_000 };
    await assert.rejects(runStack(stackWith("dev", { app })), /app\.preStopSeconds: a pod needs 135 s to stop, longer than the 120 s spot interruption notice/);
  });
});
