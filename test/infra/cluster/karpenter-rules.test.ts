// Karpenter's lifetime, budget and weight rules (rules and sources: infra/cluster/karpenter-rules.ts).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { allowedDisruptions, AUTO_MODE_MAX_NODE_HOURS, durationHours, placeReplicas, servingDisruptionBudgets } from "../../../infra/cluster/karpenter-rules.js";

describe("Karpenter rules", () => {
  it("durations and Auto Mode's 21-day cap", () => {
    assert.equal(AUTO_MODE_MAX_NODE_HOURS, 504);
    assert.equal(durationHours("480h"), 480);
    assert.equal(durationHours("90m"), 1.5);
    assert.ok(Number.isNaN(durationHours("30d")));
  });

  it("serving budgets: empty nodes go freely, busy ones one at a time", () => {
    const budgets = servingDisruptionBudgets();
    assert.equal(allowedDisruptions(budgets, "Empty", 12, 8), 8);
    assert.equal(allowedDisruptions(budgets, "Drifted", 12, 8), 1);
    assert.equal(allowedDisruptions(budgets, "Underutilized", 3, 8), 1);
  });

  it("a maintenance window allows drift replacement inside it and none outside", () => {
    const budgets = servingDisruptionBudgets({ startHourUtc: 2, hours: 3 });
    assert.deepEqual([2, 3, 4].map((h) => allowedDisruptions(budgets, "Drifted", h, 8)), [1, 1, 1]);
    assert.deepEqual([5, 12, 23, 0, 1].map((h) => allowedDisruptions(budgets, "Drifted", h, 8)), [0, 0, 0, 0, 0]);
    assert.equal(allowedDisruptions(budgets, "Empty", 12, 8), 8);
  });

  it("without any budget for a reason Karpenter disrupts without limit", () => {
    assert.equal(allowedDisruptions([], "Drifted", 0, 5), Number.POSITIVE_INFINITY);
  });

  it("replicas fill pools by weight, each up to its GPU limit", () => {
    const pools = [{ name: "spot", weight: 10, maxGpus: 8 }, { name: "od", weight: 100, maxGpus: 4 }];
    assert.deepEqual(placeReplicas(pools, 3, 1), { od: 3, spot: 0 });
    assert.deepEqual(placeReplicas(pools, 10, 1), { od: 4, spot: 6 });
    assert.deepEqual(placeReplicas(pools, 14, 1), { od: 4, spot: 8, "(unschedulable)": 2 });
    assert.deepEqual(placeReplicas(pools, 3, 2), { od: 2, spot: 1 });
  });
});
