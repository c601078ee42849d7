// Pod split of a canary step without a traffic router, against rows of Argo Rollouts'
// own table (TestApproximateWeightedNewStableReplicaCounts, utils/replicaset/canary_test.go, v1.9.0).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { canarySplit } from "../../../infra/delivery/canary-split.js";

describe("canarySplit", () => {
  const rows: [replicas: number, weight: number, maxSurge: number, canary: number, stable: number][] = [
    [0, 50, 1, 0, 0],
    [1, 0, 0, 0, 1],
    [1, 49, 0, 0, 1],
    [1, 50, 0, 1, 0],
    [1, 1, 1, 1, 1],
    [1, 100, 1, 1, 0],
    [2, 1, 0, 1, 1],
    [2, 50, 0, 1, 1],
    [2, 100, 0, 2, 0],
    [2, 1, 1, 1, 2],
    [2, 50, 1, 1, 1],
    [2, 99, 1, 2, 1],
  ];
  for (const [replicas, weight, maxSurge, canary, stable] of rows) {
    it(`${replicas} replicas at ${weight}% with maxSurge ${maxSurge}: ${canary} canary, ${stable} stable`, () => {
      const split = canarySplit(replicas, weight, maxSurge);
      assert.deepEqual([split.canary, split.stable], [canary, stable]);
    });
  }

  it("a surge pod can make the split exact: 3 replicas at 25% run 1 canary beside 3 stable", () => {
    assert.deepEqual(canarySplit(3, 25, 1), { canary: 1, stable: 3, trafficShare: 0.25 });
    assert.deepEqual(canarySplit(3, 50, 1), { canary: 2, stable: 2, trafficShare: 0.5 });
  });

  it("without surge the share is whatever pod counts allow: 3 replicas at 10% still give the canary a third", () => {
    assert.equal(canarySplit(3, 10, 0).trafficShare, 1 / 3);
  });

  it("refuses counts that are not whole or out of range", () => {
    assert.throws(() => canarySplit(-1, 10, 1), /replicas must be a whole number/);
    assert.throws(() => canarySplit(3, 101, 1), /weight must be a whole percentage 0-100, got 101/);
    assert.throws(() => canarySplit(3, 12.5, 1), /weight must be a whole percentage/);
  });
});
