// Where the bundled spam classifier spends its time: onnxruntime's own profiler
// (SessionOptions.enableProfiling) summed per node at batch 1 and batch 32, and the
// time per text of each model given, measured interleaved so that other load on the
// machine hits them alike. Usage:
//   npx tsx scripts/models/profile-spam-classifier.ts [model.onnx ...]
// (default: the committed model). To compare with an earlier model:
//   git show <rev>:app/models/spam-classifier/1/model.onnx > /tmp/before.onnx
//   npx tsx scripts/models/profile-spam-classifier.ts /tmp/before.onnx app/models/spam-classifier/1/model.onnx
// Texts are held-out messages cut to 200 characters (sentence-sized requests, as the
// benchmark sends). One intra-op thread, so that the process CPU time is the model's:
// on a shared machine CPU time per text moves far less than wall time.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-node";
import { loadExamples, splitExamples } from "../train/dataset.js";
import { TRAINING_CONFIG } from "../train/pipeline.js";
import { MODEL_DIR } from "../train/train-spam-classifier.js";
import { median } from "../bench/report.js";

const BATCHES = [1, 32] as const;
const PROFILED_RUNS = 500;
const ROUNDS = 7;

/** One complete event of onnxruntime's Chrome-trace profile. */
export interface TraceEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}

export interface NodeTime {
  node: string;
  op: string;
  /** Mean microseconds per session run. */
  usPerRun: number;
}

/**
 * Mean time per run of every node's kernel, slowest first, from a profile of `runs` runs.
 * onnxruntime names kernel events "<node>_kernel_time" and puts the operator in args.op_name.
 */
export function nodeTimes(events: readonly TraceEvent[], runs: number): NodeTime[] {
  const byNode = new Map<string, NodeTime>();
  for (const e of events) {
    if (e.cat !== "Node" || !e.name.endsWith("_kernel_time")) continue;
    const node = e.name.slice(0, -"_kernel_time".length);
    const entry = byNode.get(node) ?? { node, op: e.args?.op_name ?? "?", usPerRun: 0 };
    entry.usPerRun += e.dur / runs;
    byNode.set(node, entry);
  }
  return [...byNode.values()].sort((a, b) => b.usPerRun - a.usPerRun);
}

const openSession = (file: string, extra: ort.InferenceSession.SessionOptions = {}) =>
  ort.InferenceSession.create(file, { graphOptimizationLevel: "all", intraOpNumThreads: 1, ...extra });

const feed = (texts: readonly string[], batch: number, run: number) => {
  const start = (run * batch) % (texts.length - batch);
  const chunk = texts.slice(start, start + batch);
  return { text: new ort.Tensor("string", chunk, [chunk.length]) };
};

async function profileNodes(file: string, texts: readonly string[], batch: number): Promise<NodeTime[]> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "ort-profile-"));
  try {
    const session = await openSession(file, { enableProfiling: true, profileFilePrefix: path.join(dir, "profile") });
    for (let r = 0; r < PROFILED_RUNS; r++) await session.run(feed(texts, batch, r));
    session.endProfiling();
    await session.release();
    const events = JSON.parse(readFileSync(path.join(dir, readdirSync(dir)[0]!), "utf8")) as TraceEvent[];
    return nodeTimes(events, PROFILED_RUNS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}


/** Wall and process CPU microseconds per text, median of interleaved rounds, per model and batch size. */
async function timePerText(files: readonly string[], texts: readonly string[]): Promise<Map<string, { wall: number; cpu: number }>> {
  const sessions = await Promise.all(files.map((f) => openSession(f)));
  const samples = new Map<string, { wall: number[]; cpu: number[] }>();
  for (let round = 0; round < ROUNDS; round++) {
    for (const batch of BATCHES) {
      for (const [i, session] of sessions.entries()) {
        const runs = batch === 1 ? 400 : 40;
        const cpu0 = process.cpuUsage();
        const wall0 = performance.now();
        for (let r = 0; r < runs; r++) await session.run(feed(texts, batch, r + round));
        const cpu = process.cpuUsage(cpu0);
        const key = `${i}/${batch}`;
        const s = samples.get(key) ?? { wall: [], cpu: [] };
        s.wall.push(((performance.now() - wall0) * 1000) / (runs * batch));
        s.cpu.push((cpu.user + cpu.system) / (runs * batch));
        samples.set(key, s);
      }
    }
  }
  await Promise.all(sessions.map((s) => s.release()));
  return new Map([...samples].map(([k, s]) => [k, { wall: median(s.wall), cpu: median(s.cpu) }]));
}

async function main(): Promise<void> {
  const files = process.argv.length > 2 ? process.argv.slice(2) : [path.join(MODEL_DIR, "1", "model.onnx")];
  const texts = splitExamples(loadExamples(), TRAINING_CONFIG.testFraction, TRAINING_CONFIG.seed).test.map((e) => e.text.slice(0, 200));
  console.log(`${new Date().toISOString()}, ${os.cpus().length} CPUs, load average ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}; one intra-op thread`);
  for (const file of files) {
    for (const batch of BATCHES) {
      const nodes = await profileNodes(file, texts, batch);
      const total = nodes.reduce((s, n) => s + n.usPerRun, 0);
      console.log(`\n${file}, batch ${batch}: ${nodes.length} nodes, kernels ${total.toFixed(1)} µs per run (onnxruntime profiler, wall time)`);
      for (const n of nodes) {
        console.log(`  ${n.node.padEnd(28)} ${n.op.padEnd(18)} ${n.usPerRun.toFixed(1).padStart(8)} µs  ${((n.usPerRun / total) * 100).toFixed(1).padStart(5)} %`);
      }
    }
  }
  const times = await timePerText(files, texts);
  console.log(`\ntime per text, median of ${ROUNDS} interleaved rounds (ratio: first model / this one)`);
  for (const batch of BATCHES) {
    const base = times.get(`0/${batch}`)!;
    for (const [i, file] of files.entries()) {
      const t = times.get(`${i}/${batch}`)!;
      console.log(
        `  batch ${String(batch).padStart(2)}  ${file.padEnd(48)} CPU ${t.cpu.toFixed(1).padStart(6)} µs (${(base.cpu / t.cpu).toFixed(2)}x)  wall ${t.wall.toFixed(1).padStart(6)} µs (${(base.wall / t.wall).toFixed(2)}x)`,
      );
    }
  }
  console.log(`load average at the end ${os.loadavg().map((l) => l.toFixed(1)).join(" ")}`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
