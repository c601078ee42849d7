// npm run bench: throughput, latency, readiness and memory of the inference server,
// each figure next to the baseline it is judged against. Every baseline is measured
// in this run right beside its figure (raw onnxruntime right after each server run,
// the bare endpoint right after the cache-hit run), so that load from elsewhere on a
// shared machine shifts both alike. Loopback only; BENCH_DURATION (seconds per load
// run, default 8) bounds the whole run to a few minutes. Models and the compiled
// server live in a temp dir.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { ModelSession } from "../app/src/core/session.js";
import { buildSyntheticMlp, type SyntheticMlpOptions } from "./models/synthetic-mlp.js";
import { mulberry32 } from "./models/prng.js";
import { load, type LoadResult } from "./bench/load.js";
import { overloadSection } from "./bench/overload.js";
import { grpcLoad } from "./bench/grpc-load.js";
import { compileApp, REPO_ROOT, startBareProcess, startServerProcess, type BenchProcess } from "./bench/processes.js";
import { SERVER_NODE_OPTIONS } from "./image/node-options.js";
import { freePort } from "./lib/free-port.js";
import { benchThreads, openBenchSession, rawOrtThroughput, type RawOrtResult } from "./bench/raw-ort.js";
import { runCli } from "./lib/cli-args.js";
import { BENCH } from "./bench/cli.js";
import { benchDuration, benchSections, fmt, formatTable, formatTarget, meanBatchSize, meanComputeMs, sampleValue, type Target } from "./bench/report.js";
import { pino } from "pino";
import { cpuCount } from "../app/src/cluster/cpus.js";
import { openSession } from "../app/src/core/session.js";
import { benchChart } from "./bench/chart.js";
import { chartPanels, lightTable, lightTargets } from "./bench/light-report.js";
import { LIGHT_MODEL, lightModelRuns } from "./bench/light-model.js";

const MODEL = "mlp";
// Compute-heavy on purpose (35 M multiply-adds per row, 140 MB of weights): onnxruntime,
// not HTTP, must be the bottleneck, or "server vs raw onnxruntime" would measure Express.
// One row alone is memory-bound (~24 ms on 2 cores); a batch of 32 costs ~2x that, not 32x.
const MLP: SyntheticMlpOptions = { inputDim: 256, hidden: 4096, layers: 3, outputDim: 16, seed: 7 };
const MODEL_LIMITS = { maxBatchSize: 32, maxQueueDelayMs: 2, maxQueueSize: 1024 };
const CONNECTIONS = [1, 16, 64] as const;
const DISTINCT_BODIES = 4096;
const CACHED_BODIES = 64;

const seconds = benchDuration(process.env.BENCH_DURATION);
const rawSeconds = Math.max(1, seconds / 2);
const log = (line = "") => process.stdout.write(`${line}\n`);

/** Input rows of [1, inputDim] each, all different (seeded). */
function requestRows(count: number): number[][] {
  const random = mulberry32(1234);
  return Array.from({ length: count }, () => Array.from({ length: MLP.inputDim }, () => Math.round((random() * 2 - 1) * 1e4) / 1e4));
}

const jsonBody = (row: number[]) => JSON.stringify({ inputs: [{ name: "input", datatype: "FP32", shape: [1, MLP.inputDim], data: row }] });

// The same rows as binary tensors, outputs in binary too. Every header is the same, so one length fits all.
const BINARY_HEADER = Buffer.from(
  JSON.stringify({ inputs: [{ name: "input", datatype: "FP32", shape: [1, MLP.inputDim], parameters: { binary_data_size: MLP.inputDim * 4 } }], parameters: { binary_data_output: true } }),
);
const BINARY_HEADERS = { "content-type": "application/octet-stream", "inference-header-content-length": String(BINARY_HEADER.length) };
const binaryBody = (row: number[]) => Buffer.concat([BINARY_HEADER, Buffer.from(new Float32Array(row).buffer)]);

async function scrape(server: BenchProcess): Promise<string> {
  return (await fetch(`${server.url}/metrics`)).text();
}

interface ServerRun extends LoadResult {
  meanBatch: number;
  /** onnxruntime time per batch inside the server: tells model time from HTTP and queueing overhead. */
  computeMs: number;
  /** In-process onnxruntime at the run's mean batch size, measured right after it. */
  raw: RawOrtResult;
}

/** Load runs at each connection count against one server process (a short warm-up first), each followed by its raw baseline. */
async function serverRuns(
  server: BenchProcess,
  bodies: readonly (string | Buffer)[],
  session: ModelSession,
  connectionCounts: readonly number[] = CONNECTIONS,
  headers?: Record<string, string>,
): Promise<ServerRun[]> {
  const url = `${server.url}/v2/models/${MODEL}/infer`;
  await load(url, bodies, 16, 1, headers);
  const runs: ServerRun[] = [];
  for (const connections of connectionCounts) {
    const before = await scrape(server);
    const result = await load(url, bodies, connections, seconds, headers);
    const after = await scrape(server);
    const meanBatch = meanBatchSize(before, after, MODEL);
    const raw = await rawOrtThroughput(session, Math.max(1, Math.round(meanBatch)), rawSeconds);
    const run = { ...result, meanBatch, computeMs: meanComputeMs(before, after, MODEL), raw };
    runs.push(run);
    log(
      `  ${connections} connections: ${fmt.rate(run.requestsPerSecond)} samples/s, p50 ${fmt.ms(run.p50Ms)}, p99 ${fmt.ms(run.p99Ms)}, ` +
        `mean batch ${meanBatch.toFixed(1)}, ORT ${fmt.ms(run.computeMs)} per batch, failures ${run.failures}; ` +
        `raw ORT at batch ${raw.batchSize}: ${fmt.rate(raw.samplesPerSecond)} samples/s (${fmt.ms(raw.msPerRun)} per run)`,
    );
  }
  return runs;
}

async function main(): Promise<void> {
  const sections = benchSections(process.env.BENCH_SECTIONS);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "inference-bench-"));
  let session: ModelSession | undefined;
  try {
    log(`inference-platform benchmark — ${new Date().toISOString()}, node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), load average ${os.loadavg()[0]!.toFixed(1)}, ${seconds} s per load run`);
    log(`model: synthetic MLP ${JSON.stringify(MLP)}, limits ${JSON.stringify(MODEL_LIMITS)}`);
    const threads = benchThreads();
    log(`sections: ${[...sections].join(", ")} (BENCH_SECTIONS)`);
    log(`onnxruntime threads (server and raw alike; 0 = onnxruntime's default): ORT_INTRA_OP_THREADS=${threads.intraOpThreads}, ORT_INTER_OP_THREADS=${threads.interOpThreads}`);
    log(`Node flags of the server processes and the bare endpoint (the image's, scripts/image/node-options.ts): NODE_OPTIONS=${SERVER_NODE_OPTIONS}`);
    const main = compileApp(tmp);
    const repo = path.join(tmp, "models");
    const modelFile = path.join(repo, MODEL, "1", "model.onnx");
    mkdirSync(path.dirname(modelFile), { recursive: true });
    writeFileSync(modelFile, buildSyntheticMlp(MLP));
    writeFileSync(path.join(repo, MODEL, "config.json"), JSON.stringify(MODEL_LIMITS));
    const rows = requestRows(DISTINCT_BODIES);
    const bodies = rows.map(jsonBody);
    session = await openBenchSession(modelFile);

    const targets: Target[] = [];
    let mlp: Awaited<ReturnType<typeof mlpSection>> | undefined;
    if (sections.has("mlp")) {
      mlp = await mlpSection(main, repo, rows, bodies, session);
      targets.push(...mlp.targets);
    }
    if (sections.has("overload")) {
      log();
      targets.push(...(await overloadSection(main, path.join(REPO_ROOT, "app/models"), { repository: repo, model: MODEL, bodies }, seconds, log)));
    }
    log();
    for (const target of targets) log(formatTarget(target));
    if (sections.has("light")) await lightSection(main, threads, mlp);
  } finally {
    await session?.release();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** MLP rows: start to ready, batching off and on at 1/16/64 connections, binary, gRPC, cache hits, the bare endpoint. */
async function mlpSection(main: string, repo: string, rows: number[][], bodies: string[], session: ModelSession): Promise<{ off: ServerRun[]; on: ServerRun[]; targets: Target[] }> {
    // Start to ready, with the bundled model repository (what the image ships).
    const readyTimes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const server = await startServerProcess(main, { MODEL_REPOSITORY: path.join(REPO_ROOT, "app/models"), WORKERS: "1" });
      readyTimes.push(server.readyMs);
      await server.stop();
    }
    const readyMs = [...readyTimes].sort((a, b) => a - b)[1]!;
    log(`start to ready (bundled models, 3 starts): ${readyTimes.map(fmt.ms).join(", ")}; median ${fmt.ms(readyMs)}`);

    // One server process, as before WORKERS existed, so that these rows compare with earlier runs.
    const common = { MODEL_REPOSITORY: repo, CACHE_ENABLED: "false", WORKERS: "1" };
    log("server, batching off (cache off):");
    const offServer = await startServerProcess(main, { ...common, BATCHING: "off" });
    const off = await serverRuns(offServer, bodies, session);
    const offRss = offServer.peakRss();
    await offServer.stop();
    log("server, batching on (cache off):");
    const grpcPort = await freePort();
    const onServer = await startServerProcess(main, { ...common, BATCHING: "on", GRPC_PORT: String(grpcPort) });
    const on = await serverRuns(onServer, bodies, session);
    log("server, batching on, binary tensors in and out (cache off):");
    const [binary] = await serverRuns(onServer, rows.map(binaryBody), session, [64], BINARY_HEADERS);
    // gRPC beside REST: the same server, model, rows and 64 connections; raw contents in and out.
    const grpcMessages = rows.map((row) => ({ model_name: MODEL, inputs: [{ name: "input", datatype: "FP32", shape: [1, MLP.inputDim] }], raw_input_contents: [Buffer.from(Float32Array.from(row).buffer)] }));
    const grpcRun = await grpcLoad(`127.0.0.1:${grpcPort}`, grpcMessages, 64, seconds);
    log(`gRPC ModelInfer, raw contents, 64 connections: ${fmt.rate(grpcRun.requestsPerSecond)} req/s, p50 ${fmt.ms(grpcRun.p50Ms)}, p99 ${fmt.ms(grpcRun.p99Ms)}, ${grpcRun.failures} failed`);
    const onRss = onServer.peakRss();
    await onServer.stop();

    // Cache hits: every body answered once, then the same bodies under load.
    const cacheServer = await startServerProcess(main, { MODEL_REPOSITORY: repo, CACHE_ENABLED: "true", BATCHING: "on", WORKERS: "1" });
    const cachedUrl = `${cacheServer.url}/v2/models/${MODEL}/infer`;
    const cached = bodies.slice(0, CACHED_BODIES);
    for (const body of cached) await fetch(cachedUrl, { method: "POST", headers: { "content-type": "application/json" }, body });
    const beforeHits = await scrape(cacheServer);
    const hitRun = await load(cachedUrl, cached, 64, seconds);
    const afterHits = await scrape(cacheServer);
    const delta = (sample: string) => sampleValue(afterHits, sample) - sampleValue(beforeHits, sample);
    const hits = delta('inference_cache_hits_total{backend="memory"}');
    const hitShare = hits / Math.max(1, hits + delta('inference_cache_misses_total{backend="memory"}'));
    const cacheRss = cacheServer.peakRss();
    await cacheServer.stop();
    log(`cache hits, 64 connections: ${fmt.rate(hitRun.requestsPerSecond)} req/s, p50 ${fmt.ms(hitRun.p50Ms)}, p99 ${fmt.ms(hitRun.p99Ms)}, ${(hitShare * 100).toFixed(1)} % of lookups hit`);

    // HTTP ceiling, right after: same body parser, fixed answer of the size the model's has.
    const answer = JSON.stringify({
      model_name: MODEL,
      model_version: "1",
      outputs: [{ name: "output", datatype: "FP32", shape: [1, MLP.outputDim], data: Array.from({ length: MLP.outputDim }, (_, i) => 0.123456789 * (i + 1)) }],
    });
    const bare = await startBareProcess(answer);
    const bareRun = await load(`${bare.url}/infer`, bodies, 64, seconds);
    await bare.stop();
    log(`bare Express endpoint, 64 connections: ${fmt.rate(bareRun.requestsPerSecond)} req/s, p50 ${fmt.ms(bareRun.p50Ms)}, p99 ${fmt.ms(bareRun.p99Ms)}`);

    log();
    const row = (label: string, r: ServerRun) => [
      label, String(r.connections), fmt.rate(r.requestsPerSecond), fmt.ms(r.p50Ms), fmt.ms(r.p99Ms), r.meanBatch.toFixed(1),
      fmt.ms(r.computeMs), fmt.ms(r.raw.msPerRun), fmt.rate(r.raw.samplesPerSecond), `${((r.requestsPerSecond / r.raw.samplesPerSecond) * 100).toFixed(1)} %`,
    ];
    const none = ["-", "-", "-", "-", "-"];
    log(
      formatTable(
        ["run", "conns", "samples/s", "p50", "p99", "mean batch", "ORT/batch in server", "raw ORT/run", "raw samples/s", "server/raw"],
        [
          ...off.map((r) => row("server, batching off", r)),
          ...on.map((r) => row("server, batching on", r)),
          row("server, on, binary", binary!),
          ["server, on, gRPC raw", "64", fmt.rate(grpcRun.requestsPerSecond), fmt.ms(grpcRun.p50Ms), fmt.ms(grpcRun.p99Ms), ...none],
          ["server, cache hits", "64", fmt.rate(hitRun.requestsPerSecond), fmt.ms(hitRun.p50Ms), fmt.ms(hitRun.p99Ms), ...none],
          ["bare Express", "64", fmt.rate(bareRun.requestsPerSecond), fmt.ms(bareRun.p50Ms), fmt.ms(bareRun.p99Ms), ...none],
        ],
      ),
    );
    log(`peak RSS: batching off ${fmt.mib(offRss)}, batching on ${fmt.mib(onRss)}, cache on ${fmt.mib(cacheRss)}`);
    const failures = [...off, ...on, binary!, grpcRun, hitRun, bareRun].reduce((n, r) => n + r.failures, 0);
    log(`failed requests in all runs: ${failures}`);
    log(`binary vs JSON tensors, batching on, 64 connections: ${(binary!.requestsPerSecond / on.at(-1)!.requestsPerSecond).toFixed(2)}x`);
    log(`gRPC raw vs REST binary, batching on, 64 connections: ${(grpcRun.requestsPerSecond / binary!.requestsPerSecond).toFixed(2)}x`);

    const on64 = on.at(-1)!;
    const off64 = off.at(-1)!;
    return { off, on, targets: [
      { label: `server vs raw ORT at equal batch (batching on, 64 connections, batch ${on64.raw.batchSize})`, ratio: on64.requestsPerSecond / on64.raw.samplesPerSecond, goal: 0.85, direction: ">=", unit: "%" },
      { label: "batching on vs off at 64 connections", ratio: on64.requestsPerSecond / off64.requestsPerSecond, goal: 4, direction: ">=", unit: "x" },
      { label: "cache hits vs bare Express endpoint", ratio: hitRun.requestsPerSecond / bareRun.requestsPerSecond, goal: 0.6, direction: ">=", unit: "%" },
      { label: "start to ready (bundled models, median of 3)", ratio: readyMs / 1000, goal: 1.5, direction: "<=", unit: "s" },
    ] };
}

/** The bundled light model beside the bare endpoint and raw onnxruntime; with the MLP's rows, the chart. */
async function lightSection(main: string, threads: ReturnType<typeof benchThreads>, mlp: { off: ServerRun[]; on: ServerRun[] } | undefined): Promise<void> {
    log();
    log(`light model: the bundled ${LIGHT_MODEL} (app/models), distinct texts of up to 200 characters, cache off`);
    const light = await lightModelRuns(
      {
        main,
        seconds,
        singleThreads: threads.intraOpThreads,
        openSession: (intraOpThreads) => openSession(path.join(REPO_ROOT, "app/models", LIGHT_MODEL, "1", "model.onnx"), { provider: "cpu", intraOpThreads, interOpThreads: threads.interOpThreads }, pino({ level: "silent" })),
        scrape,
        log,
      },
      cpuCount(),
    );
    log();
    log(lightTable(light));
    const targetsLight = lightTargets(light);
    log();
    for (const target of targetsLight) log(formatTarget(target));
    // The chart puts the light model beside the MLP: only a run of both draws it.
    if (!mlp) return;
    const chartFile = process.env.BENCH_CHART ?? path.join(REPO_ROOT, "docs/bench.svg");
    writeFileSync(chartFile, benchChart(chartPanels(light, mlp.off, mlp.on), `npm run bench, ${new Date().toISOString().slice(0, 16)} UTC, ${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)} at the end`));
    log(`chart: ${path.relative(process.cwd(), chartFile)}`);
}

await runCli(BENCH, process.argv.slice(2), main);
