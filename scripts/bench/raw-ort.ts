// In-process onnxruntime throughput: the ceiling the server is compared with. It
// opens the model through the server's own session code, with the thread settings
// the server reads from the same environment, so both run onnxruntime alike.
import { pino } from "pino";
import { loadConfig } from "../../app/src/config.js";
import { openSession, type ModelSession } from "../../app/src/core/session.js";
import { mulberry32 } from "../models/prng.js";

export interface RawOrtResult {
  batchSize: number;
  runs: number;
  samplesPerSecond: number;
  /** Mean milliseconds per session.run. */
  msPerRun: number;
}

/** The onnxruntime thread settings the server reads from this environment (0 = onnxruntime's default). */
export function benchThreads(): { intraOpThreads: number; interOpThreads: number } {
  const { intraOpThreads, interOpThreads } = loadConfig(process.env);
  return { intraOpThreads, interOpThreads };
}

export async function openBenchSession(file: string): Promise<ModelSession> {
  return openSession(file, { provider: "cpu", ...benchThreads() }, pino({ level: "silent" }));
}

/** Runs the model back to back on random [batchSize, dim] inputs for about `seconds`. */
export async function rawOrtThroughput(session: ModelSession, batchSize: number, seconds: number): Promise<RawOrtResult> {
  const input = session.inputs[0]!;
  const dim = input.shape[1]!;
  const random = mulberry32(batchSize);
  const data = Float32Array.from({ length: batchSize * dim }, () => random() * 2 - 1);
  const feeds = [{ name: input.name, datatype: input.datatype, shape: [batchSize, dim], data }];
  const outputNames = session.outputs.map((o) => o.name);
  for (let i = 0; i < 3; i++) await session.run(feeds, outputNames); // warm-up
  let runs = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  while (performance.now() < until) {
    await session.run(feeds, outputNames);
    runs++;
  }
  const elapsed = (performance.now() - started) / 1000;
  return { batchSize, runs, samplesPerSecond: (runs * batchSize) / elapsed, msPerRun: (elapsed * 1000) / runs };
}
