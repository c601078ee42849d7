// `npm run train`: retrains the bundled spam classifier and writes it into the app's
// model repository with its metrics and model card.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { runCli, type CommandSpec } from "../lib/cli-args.js";
import { modelCard } from "./model-card.js";
import { trainSpamClassifier, type TrainedSpamClassifier } from "./pipeline.js";

/** app/models/spam-classifier, where the server's model repository expects it. */
export const MODEL_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../app/models/spam-classifier");

/** The files `npm run train` writes, relative to MODEL_DIR, with their contents. */
export function trainingOutputs(trained: TrainedSpamClassifier): Record<string, Uint8Array | string> {
  return {
    "1/model.onnx": trained.modelBytes,
    "metrics.json": `${JSON.stringify(trained.metrics, null, 2)}\n`,
    "MODEL_CARD.md": modelCard(trained.metrics),
  };
}

export const TRAIN: CommandSpec = {
  command: "npm run train",
  usage: `usage: npm run train
Retrains the bundled spam classifier from the SpamAssassin corpus (deterministic: the same bytes every run)
and writes app/models/spam-classifier/{1/model.onnx,metrics.json,MODEL_CARD.md}. Takes no arguments.`,
  positionals: [0, 0],
};

async function main(): Promise<void> {
  const trained = trainSpamClassifier();
  for (const [file, content] of Object.entries(trainingOutputs(trained))) {
    const target = path.join(MODEL_DIR, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, content);
    console.log(`wrote ${path.relative(process.cwd(), target)}`);
  }
  const t = trained.metrics.testMetrics;
  console.log(`held-out test (${t.n} messages): accuracy ${(t.accuracy * 100).toFixed(2)} %, spam F1 ${(t.f1 * 100).toFixed(2)} %`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await runCli(TRAIN, process.argv.slice(2), main);
}
