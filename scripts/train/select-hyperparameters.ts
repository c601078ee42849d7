// Chooses the vocabulary size and L2 penalty on a validation split carved from the
// training split, so the test split stays unseen until the final evaluation.
// Usage: npx tsx scripts/train/select-hyperparameters.ts   (prints the grid; ~1 min)
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadExamples, splitExamples, type Example } from "./dataset.js";
import type { BinaryMetrics } from "./metrics.js";
import { TRAINING_CONFIG, evaluate, fitSpamClassifier, type FitConfig } from "./pipeline.js";

/** Seed of the validation split inside the training split. */
export const VALIDATION_SEED = 7;

export const GRID = {
  vocabularySize: [2000, 5000, 20000],
  l2: [3e-6, 1e-5, 3e-5, 1e-4],
};

export interface GridRow {
  config: FitConfig;
  validation: BinaryMetrics;
}

/** Fits every grid point on 80 % of `train` and scores it on the other 20 %; the best row (spam F1, then accuracy, then the smaller vocabulary) comes first. */
export function validationGrid(train: readonly Example[], grid: typeof GRID, base: FitConfig): GridRow[] {
  const { train: fit, test: validation } = splitExamples(train, 0.2, VALIDATION_SEED);
  const rows: GridRow[] = [];
  for (const vocabularySize of grid.vocabularySize) {
    for (const l2 of grid.l2) {
      const config = { ...base, vocabularySize, l2 };
      rows.push({ config, validation: evaluate(fitSpamClassifier(fit, config).params, validation) });
    }
  }
  return rows.sort(
    (a, b) =>
      b.validation.f1 - a.validation.f1 ||
      b.validation.accuracy - a.validation.accuracy ||
      a.config.vocabularySize - b.config.vocabularySize,
  );
}

function main(): void {
  const { train } = splitExamples(loadExamples(), TRAINING_CONFIG.testFraction, TRAINING_CONFIG.seed);
  const rows = validationGrid(train, GRID, TRAINING_CONFIG);
  console.log("vocabulary  l2       validation accuracy  spam F1");
  for (const { config, validation } of rows) {
    console.log(`${String(config.vocabularySize).padStart(10)}  ${config.l2.toExponential(0).padEnd(7)}  ${(validation.accuracy * 100).toFixed(2).padStart(18)} %  ${(validation.f1 * 100).toFixed(2)} %`);
  }
  const best = rows[0]!.config;
  console.log(`best: vocabularySize ${best.vocabularySize}, l2 ${best.l2} (TRAINING_CONFIG has ${TRAINING_CONFIG.vocabularySize}, ${TRAINING_CONFIG.l2})`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
