// Benchmark of the bundled spam classifier alone (no HTTP): milliseconds per message
// when messages run one by one vs. in batches, for short texts and for whole e-mails.
// Batch sizes are measured interleaved over several rounds and the median is
// reported, so that load from other processes hits all of them alike.
// Usage: npx tsx scripts/models/bench-spam-classifier.ts [messages=512] [rounds=5]
// It printed the figures behind app/models/spam-classifier/config.json (docs/model.md).
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { loadExamples, splitExamples } from "../train/dataset.js";
import { TRAINING_CONFIG } from "../train/pipeline.js";
import { MODEL_DIR } from "../train/train-spam-classifier.js";

const BATCH_SIZES = [1, 4, 8, 16, 64];

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!;

function positiveInteger(arg: string | undefined, fallback: number, what: string): number {
  const n = Number(arg ?? fallback);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${what} must be a positive integer, got ${arg}`);
  return n;
}

async function msPerMessage(session: ort.InferenceSession, texts: string[], batch: number): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < texts.length; i += batch) {
    const chunk = texts.slice(i, i + batch);
    await session.run({ text: new ort.Tensor("string", chunk, [chunk.length]) });
  }
  return (performance.now() - started) / texts.length;
}

async function main(): Promise<void> {
  const count = positiveInteger(process.argv[2], 512, "messages");
  const rounds = positiveInteger(process.argv[3], 5, "rounds");
  const session = await ort.InferenceSession.create(await readFile(path.join(MODEL_DIR, "1", "model.onnx")));
  const emails = splitExamples(loadExamples(), TRAINING_CONFIG.testFraction, TRAINING_CONFIG.seed).test.map((e) => e.text).slice(0, count);
  const sets = { "sentences (first 200 chars)": emails.map((t) => t.slice(0, 200)), "whole e-mails": emails };
  await msPerMessage(session, emails.slice(0, 32), 8); // warm-up
  for (const [name, texts] of Object.entries(sets)) {
    const samples = new Map<number, number[]>(BATCH_SIZES.map((b) => [b, []]));
    for (let r = 0; r < rounds; r++) for (const b of BATCH_SIZES) samples.get(b)!.push(await msPerMessage(session, texts, b));
    const baseline = median(samples.get(1)!);
    console.log(`${name}, ${texts.length} messages, median of ${rounds} rounds`);
    for (const b of BATCH_SIZES) {
      const ms = median(samples.get(b)!);
      console.log(`  batch ${String(b).padStart(3)}: ${ms.toFixed(3)} ms/message  speed-up vs batch 1: ${(baseline / ms).toFixed(2)}x`);
    }
  }
}

await main();
