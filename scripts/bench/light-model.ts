// The light-model part of the benchmark: the bundled spam classifier, whose graph runs
// in a fraction of a millisecond, so that HTTP, JSON and the server's own bookkeeping
// are what the figures show. Request bodies carry distinct texts (nothing is coalesced
// or cached) as JSON or as binary BYTES tensors; the raw baseline runs the same model
// file in onnxruntime through the server's session code at the same batch size.
import path from "node:path";
import { planProcesses } from "../../app/src/cluster/cpus.js";
import type { ModelSession } from "../../app/src/core/session.js";
import { loadExamples } from "../train/dataset.js";
import { load, type LoadResult } from "./load.js";
import { REPO_ROOT, startBareProcess, startServerProcess, type BenchProcess } from "./processes.js";
import { fmt, meanBatchSize, median } from "./report.js";

export const LIGHT_MODEL = "spam-classifier";
/** Characters kept of each message: sentence-sized requests, as a chat or form would send. */
const TEXT_CHARS = 200;

/** Distinct texts: every corpus message cut to TEXT_CHARS characters, duplicates dropped. */
export function lightTexts(): string[] {
  return [...new Set(loadExamples().map((e) => e.text.slice(0, TEXT_CHARS)))];
}

/** The texts of request `i` when each carries `perRequest` of them (a rotation over all texts). */
function slice(texts: readonly string[], perRequest: number, i: number): string[] {
  return Array.from({ length: perRequest }, (_, k) => texts[(i * perRequest + k) % texts.length]!);
}

const requestCount = (texts: readonly string[], perRequest: number) => Math.floor(texts.length / perRequest);

/** JSON request bodies, `perRequest` texts each. */
export function lightJsonBodies(texts: readonly string[], perRequest: number): string[] {
  return Array.from({ length: requestCount(texts, perRequest) }, (_, i) =>
    JSON.stringify({ inputs: [{ name: "text", datatype: "BYTES", shape: [perRequest], data: slice(texts, perRequest, i) }] }),
  );
}

/** One BYTES tensor as the binary extension lays it out: per element a 4-byte length, then UTF-8. */
export function bytesTensor(texts: readonly string[]): Buffer {
  return Buffer.concat(
    texts.flatMap((t) => {
      const utf8 = Buffer.from(t, "utf8");
      const length = Buffer.alloc(4);
      length.writeUInt32LE(utf8.length);
      return [length, utf8];
    }),
  );
}

/**
 * Binary request bodies (texts as a binary BYTES tensor, outputs asked for in binary). The
 * JSON headers are padded with spaces to one length, so one Inference-Header-Content-Length
 * fits every body and the load generator can send fixed headers.
 */
export function lightBinaryBodies(texts: readonly string[], perRequest: number): { bodies: Buffer[]; headers: Record<string, string> } {
  const parts = Array.from({ length: requestCount(texts, perRequest) }, (_, i) => {
    const data = bytesTensor(slice(texts, perRequest, i));
    const header = JSON.stringify({
      inputs: [{ name: "text", datatype: "BYTES", shape: [perRequest], parameters: { binary_data_size: data.length } }],
      parameters: { binary_data_output: true },
    });
    return { header, data };
  });
  const width = Math.max(...parts.map((p) => Buffer.byteLength(p.header)));
  const bodies = parts.map((p) => Buffer.concat([Buffer.from(p.header.padEnd(width, " ")), p.data]));
  return { bodies, headers: { "content-type": "application/octet-stream", "inference-header-content-length": String(width) } };
}

/** A response body of the size and shape the server's JSON answer has, for the bare endpoint to send. */
export function lightAnswer(perRequest: number): string {
  return JSON.stringify({
    model_name: LIGHT_MODEL,
    model_version: "1",
    outputs: [
      { name: "probabilities", datatype: "FP32", shape: [perRequest, 2], data: Array.from({ length: perRequest }, () => [0.01623639650642872, 0.983763575553894]).flat() },
      { name: "label", datatype: "BYTES", shape: [perRequest], data: Array.from({ length: perRequest }, (_, i) => (i % 2 ? "spam" : "ham")) },
    ],
  });
}

export interface RawTextResult {
  batchSize: number;
  /** Texts per second. */
  samplesPerSecond: number;
  msPerRun: number;
}

/** The model run back to back on distinct texts, `batchSize` at a time, for about `seconds`. */
export async function rawOrtTexts(session: ModelSession, texts: readonly string[], batchSize: number, seconds: number): Promise<RawTextResult> {
  const outputNames = session.outputs.map((o) => o.name);
  const feeds = (i: number) => [{ name: "text", datatype: "BYTES" as const, shape: [batchSize], data: slice(texts, batchSize, i) }];
  for (let i = 0; i < 3; i++) await session.run(feeds(i), outputNames);
  let runs = 0;
  const started = performance.now();
  const until = started + seconds * 1000;
  while (performance.now() < until) await session.run(feeds(runs++), outputNames);
  const elapsed = (performance.now() - started) / 1000;
  return { batchSize, samplesPerSecond: (runs * batchSize) / elapsed, msPerRun: (elapsed * 1000) / runs };
}

export interface LightRow {
  texts: number;
  format: "JSON" | "binary";
  connections: number;
  /** Server process count (WORKERS). */
  workers: number;
  /** The slices together (see pairSlices). */
  server: LoadResult;
  bare: LoadResult;
  raw: RawTextResult;
  meanBatch: number;
  /** Median over the slices of server req/s / bare req/s in the same slice. */
  bareRatio: number;
  /** Median over the slices of server p99 / bare p99 (bare floored at 1 ms). */
  p99Ratio: number;
  /** Median over the slices of server texts/s / raw onnxruntime texts/s in the same slice. */
  rawRatio: number;
  /**
   * Median over the slices of the most server/bare could read for a server that did nothing but
   * the bare endpoint's work and onnxruntime's, one after the other on one thread: the bare
   * endpoint's time per request over that plus the model's time for the request's texts at the
   * server's mean batch, 1 / (1 + bare req/s × texts / raw texts/s).
   */
  oneThreadBound: number;
}

/** One slice of a row: the server, the bare endpoint and raw onnxruntime, back to back. */
export interface Slice {
  server: LoadResult;
  bare: LoadResult;
  raw: RawTextResult;
  meanBatch: number;
}

/**
 * A row from its slices. This VM's speed drifts by 2-3x over seconds to minutes (docs/bench.md),
 * so a server run and a bare run measured one after the other for the whole duration can see two
 * different machines. Alternating short slices and taking the median of the per-slice ratios
 * compares each figure with its baseline on the same machine. Throughputs are the slices' mean,
 * latencies their median, counts their sum.
 */
export function pairSlices(
  slices: readonly Slice[],
  texts: number,
): Pick<LightRow, "server" | "bare" | "raw" | "meanBatch" | "bareRatio" | "p99Ratio" | "rawRatio" | "oneThreadBound"> {
  if (slices.length === 0) throw new Error("a row needs at least one slice");
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const combine = (runs: readonly LoadResult[]): LoadResult => ({
    connections: runs[0]!.connections,
    requestsPerSecond: mean(runs.map((r) => r.requestsPerSecond)),
    p50Ms: median(runs.map((r) => r.p50Ms)),
    p99Ms: median(runs.map((r) => r.p99Ms)),
    failures: runs.reduce((n, r) => n + r.failures, 0),
    total: runs.reduce((n, r) => n + r.total, 0),
  });
  const raws = slices.map((s) => s.raw);
  return {
    server: combine(slices.map((s) => s.server)),
    bare: combine(slices.map((s) => s.bare)),
    raw: { batchSize: median(raws.map((r) => r.batchSize)), samplesPerSecond: mean(raws.map((r) => r.samplesPerSecond)), msPerRun: median(raws.map((r) => r.msPerRun)) },
    meanBatch: mean(slices.map((s) => s.meanBatch)),
    bareRatio: median(slices.map((s) => s.server.requestsPerSecond / s.bare.requestsPerSecond)),
    p99Ratio: median(slices.map((s) => s.server.p99Ms / Math.max(1, s.bare.p99Ms))),
    rawRatio: median(slices.map((s) => (s.server.requestsPerSecond * texts) / s.raw.samplesPerSecond)),
    oneThreadBound: median(slices.map((s) => 1 / (1 + (s.bare.requestsPerSecond * texts) / s.raw.samplesPerSecond))),
  };
}

/** Slices per row: the row's seconds split into this many server / bare / raw rounds. */
export const SLICES = 4;

export interface LightResults {
  rows: LightRow[];
  /** Peak RSS of the single-process server, and of each process when WORKERS is the CPU count. */
  singleRss: number;
  clusterRss: { pid: number; peakRss: number }[];
  clusterWorkers: number;
}

export interface LightBenchContext {
  main: string;
  seconds: number;
  /** onnxruntime intra-op threads of a single server process (ORT_INTRA_OP_THREADS; 0 = its default). */
  singleThreads: number;
  /** Opens the bundled model through the server's session code with `intraOpThreads`. */
  openSession(intraOpThreads: number): Promise<ModelSession>;
  scrape(server: BenchProcess): Promise<string>;
  log(line: string): void;
}

const CONNECTIONS = [1, 16, 64] as const;

/**
 * Every light-model row: 1 and 32 texts per request, JSON and binary, at 1/16/64 connections
 * against one server process (WORKERS=1, onnxruntime's default threads), each beside the bare
 * endpoint with the same bodies and raw onnxruntime at the server's mean batch; then the
 * one-text and 32-text JSON rows at 64 connections with one process per CPU (WORKERS=0).
 */
export async function lightModelRuns(ctx: LightBenchContext, cpus: number): Promise<LightResults> {
  const texts = lightTexts();
  const repo = path.join(REPO_ROOT, "app/models");
  const env = { MODEL_REPOSITORY: repo, CACHE_ENABLED: "false" };
  const bodiesFor = (n: number, format: LightRow["format"]) =>
    format === "JSON" ? { bodies: lightJsonBodies(texts, n), headers: undefined } : lightBinaryBodies(texts, n);
  const rows: LightRow[] = [];
  const sessions = new Map<number, ModelSession>();
  const session = async (threads: number) => sessions.get(threads) ?? sessions.set(threads, await ctx.openSession(threads)).get(threads)!;
  const measure = async (server: BenchProcess, bare: BenchProcess, workers: number, threads: number, n: number, format: LightRow["format"], connections: number) => {
    const { bodies, headers } = bodiesFor(n, format);
    const url = `${server.url}/v2/models/${LIGHT_MODEL}/infer`;
    const sliceSeconds = Math.max(1, ctx.seconds / SLICES);
    const slices: Slice[] = [];
    for (let i = 0; i < SLICES; i++) {
      const before = await ctx.scrape(server);
      const result = await load(url, bodies, connections, sliceSeconds, headers);
      const after = await ctx.scrape(server);
      const meanBatch = meanBatchSize(before, after, LIGHT_MODEL);
      const bareRun = await load(`${bare.url}/infer`, bodies, connections, sliceSeconds, headers);
      const raw = await rawOrtTexts(await session(threads), texts, Math.max(1, Math.round(meanBatch)), Math.max(0.5, sliceSeconds / 2));
      slices.push({ server: result, bare: bareRun, raw, meanBatch });
    }
    const row: LightRow = { texts: n, format, connections, workers, ...pairSlices(slices, n) };
    rows.push(row);
    ctx.log(
      `  ${n} text(s)/request, ${format}, ${connections} conns, WORKERS=${workers}: ${fmt.rate(row.server.requestsPerSecond)} req/s (bare ${fmt.rate(row.bare.requestsPerSecond)}; ` +
        `per slice ${slices.map((s) => `${((s.server.requestsPerSecond / s.bare.requestsPerSecond) * 100).toFixed(0)} %`).join(" ")}), ` +
        `p50/p99 ${fmt.ms(row.server.p50Ms)}/${fmt.ms(row.server.p99Ms)} (bare ${fmt.ms(row.bare.p50Ms)}/${fmt.ms(row.bare.p99Ms)}), mean batch ${row.meanBatch.toFixed(1)}, ` +
        `raw ORT ${fmt.rate(row.raw.samplesPerSecond)} texts/s at batch ${row.raw.batchSize}`,
    );
  };

  const barePer = new Map<number, BenchProcess>();
  try {
    for (const n of [1, 32]) barePer.set(n, await startBareProcess(lightAnswer(n)));
    const single = await startServerProcess(ctx.main, { ...env, WORKERS: "1" });
    let singleRss = 0;
    try {
      for (const n of [1, 32]) {
        await load(`${single.url}/v2/models/${LIGHT_MODEL}/infer`, lightJsonBodies(texts, n), 16, 1);
        for (const format of ["JSON", "binary"] as const) for (const c of CONNECTIONS) await measure(single, barePer.get(n)!, 1, ctx.singleThreads, n, format, c);
      }
      singleRss = single.peakRss();
    } finally {
      await single.stop();
    }
    const plan = planProcesses({ workers: 0, intraOpThreads: 0 }, cpus);
    const pod = await startServerProcess(ctx.main, { ...env, WORKERS: "0" });
    let clusterRss: { pid: number; peakRss: number }[] = [];
    try {
      for (const n of [1, 32]) {
        await load(`${pod.url}/v2/models/${LIGHT_MODEL}/infer`, lightJsonBodies(texts, n), 16, 1);
        await measure(pod, barePer.get(n)!, plan.workers, plan.intraOpThreads, n, "JSON", 64);
      }
      clusterRss = pod.processes();
    } finally {
      await pod.stop();
    }
    return { rows, singleRss, clusterRss, clusterWorkers: plan.workers };
  } finally {
    for (const b of barePer.values()) await b.stop();
    for (const s of sessions.values()) await s.release();
  }
}
