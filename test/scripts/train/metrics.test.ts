import { test } from "node:test";
import assert from "node:assert/strict";
import { binaryMetrics } from "../../../scripts/train/metrics.js";

test("accuracy, precision, recall and F1 of the spam class from the confusion counts", () => {
  //            tp tp fn fp tn tn tn tn
  const actual = [1, 1, 1, 0, 0, 0, 0, 0];
  const predicted = [1, 1, 0, 1, 0, 0, 0, 0];
  const m = binaryMetrics(actual, predicted);
  assert.deepEqual(m.confusion, { truePositive: 2, falsePositive: 1, trueNegative: 4, falseNegative: 1 });
  assert.equal(m.accuracy, 6 / 8);
  assert.equal(m.precision, 2 / 3);
  assert.equal(m.recall, 2 / 3);
  assert.equal(m.f1, 4 / 6);
});

test("no positives predicted gives precision 0 rather than NaN; mismatched lengths are rejected", () => {
  assert.equal(binaryMetrics([1, 0], [0, 0]).precision, 0);
  assert.throws(() => binaryMetrics([1], [1, 0]), /1 labels but 2 predictions/);
});
