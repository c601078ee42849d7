import { test } from "node:test";
import assert from "node:assert/strict";
import { loadExamples, splitExamples } from "../../../scripts/train/dataset.js";
import { TRAINING_CONFIG } from "../../../scripts/train/pipeline.js";
import { GRID, validationGrid } from "../../../scripts/train/select-hyperparameters.js";

test("the validation grid scores every point on held-back training data and ranks the best first", () => {
  // every third training message keeps the test quick
  const train = splitExamples(loadExamples(), TRAINING_CONFIG.testFraction, TRAINING_CONFIG.seed).train.filter((_, i) => i % 3 === 0);
  const rows = validationGrid(train, { vocabularySize: [1000], l2: [1e-1, 1e-5] }, { ...TRAINING_CONFIG, iterations: 100 });
  assert.equal(rows.length, 2);
  assert.equal(rows[0]!.config.l2, 1e-5, "a grossly over-regularised model ranks last");
  assert.ok(rows[0]!.validation.f1 > rows[1]!.validation.f1);
  // 20 % of the training split, never the test split
  assert.equal(rows[0]!.validation.n, Math.round(train.filter((e) => e.label === 0).length * 0.2) + Math.round(train.filter((e) => e.label === 1).length * 0.2));
});

test("the shipped settings are a point of the grid", () => {
  assert.ok(GRID.vocabularySize.includes(TRAINING_CONFIG.vocabularySize));
  assert.ok(GRID.l2.includes(TRAINING_CONFIG.l2));
});
