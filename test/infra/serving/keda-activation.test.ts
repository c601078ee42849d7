// KEDA's activation rule over a ScaledObject's triggers (rule and source: infra/serving/keda-activation.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { scaledObjectActive, triggerActive } from "../../../infra/serving/keda-activation.js";

const prom = (name: string, activationThreshold?: string) => ({
  type: "prometheus",
  name,
  metadata: { query: "q", threshold: "10", ...(activationThreshold === undefined ? {} : { activationThreshold }) },
});
const cron = { type: "cron", name: "hours", metadata: { start: "0 7 * * *", end: "0 19 * * *", timezone: "UTC", desiredReplicas: "1" } };

describe("KEDA activation", () => {
  it("a Prometheus trigger is active above its activation threshold, 0 by default", () => {
    assert.equal(triggerActive(prom("cpu"), 0.5), true);
    assert.equal(triggerActive(prom("cpu"), 0), false);
    assert.equal(triggerActive(prom("cpu", "70"), 5), false);
    assert.equal(triggerActive(prom("cpu", "70"), 71), true);
    assert.equal(triggerActive(prom("cpu"), undefined), false);
  });

  it("a cron trigger is active inside its window only", () => {
    assert.equal(triggerActive(cron, true), true);
    assert.equal(triggerActive(cron, false), false);
  });

  it("the ScaledObject is active while any trigger is, and always at minReplicaCount 1 or more", () => {
    const spec = { minReplicaCount: 0, triggers: [prom("latency"), prom("cpu", "70"), cron] };
    assert.equal(scaledObjectActive(spec, { latency: 0, cpu: 3, hours: false }), false);
    assert.equal(scaledObjectActive(spec, { latency: 0.2, cpu: 3, hours: false }), true);
    assert.equal(scaledObjectActive(spec, { latency: 0, cpu: 3, hours: true }), true);
    assert.equal(scaledObjectActive({ ...spec, minReplicaCount: 1 }, { latency: 0, cpu: 0, hours: false }), true);
  });

  it("refuses trigger types it does not model", () => {
    assert.throws(() => triggerActive({ type: "kafka", name: "k", metadata: {} }, 1), /"kafka" is not modelled/);
  });
});
