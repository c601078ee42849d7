import { test } from "node:test";
import assert from "node:assert/strict";
import { logit, trainLogistic } from "../../../scripts/train/logistic-regression.js";
import type { SparseRow } from "../../../scripts/train/text-features.js";

const row = (entries: Record<number, number>): SparseRow => {
  const cols = Object.keys(entries).map(Number).sort((a, b) => a - b);
  return { cols: Int32Array.from(cols), vals: Float64Array.from(cols, (c) => entries[c]!) };
};

test("training drives the gradient to ~0 and separates separable data", () => {
  // column 0 marks spam, column 1 marks ham, column 2 is noise in both
  const rows = [row({ 0: 0.8, 2: 0.6 }), row({ 0: 1 }), row({ 1: 0.8, 2: 0.6 }), row({ 1: 1 })];
  const labels = [1, 1, 0, 0];
  const { model, report } = trainLogistic(rows, labels, 3, { l2: 1e-2, iterations: 500 });
  assert.ok(report.gradientNorm < 1e-6, `gradient norm ${report.gradientNorm}`);
  rows.forEach((x, i) => assert.equal(logit(model, x) > 0 ? 1 : 0, labels[i]));
  assert.ok(model.weights[0]! > 0 && model.weights[1]! < 0);
  assert.ok(Math.abs(model.weights[2]!) < 1e-6, "a feature equal in both classes gets no weight");
});

test("at the optimum the gradient condition holds: mean (p - y) x + l2 w = 0 (checked independently)", () => {
  const rows = [row({ 0: 1 }), row({ 0: 0.6, 1: 0.8 }), row({ 1: 1 }), row({ 0: 1 })];
  const labels = [1, 0, 0, 0];
  const l2 = 0.05;
  const { model } = trainLogistic(rows, labels, 2, { l2, iterations: 2000 });
  const g = [l2 * model.weights[0]!, l2 * model.weights[1]!];
  let gb = 0;
  rows.forEach((x, i) => {
    const r = (1 / (1 + Math.exp(-logit(model, x))) - labels[i]!) / rows.length;
    gb += r;
    x.cols.forEach((c, k) => (g[c]! += r * x.vals[k]!));
  });
  for (const v of [...g, gb]) assert.ok(Math.abs(v) < 1e-9, `gradient component ${v}`);
});

test("the same data gives bit-identical weights", () => {
  const rows = [row({ 0: 1 }), row({ 1: 1 }), row({ 0: 0.6, 1: 0.8 })];
  const a = trainLogistic(rows, [1, 0, 1], 2, { l2: 1e-3, iterations: 50 });
  const b = trainLogistic(rows, [1, 0, 1], 2, { l2: 1e-3, iterations: 50 });
  assert.deepEqual(a, b);
});
