// The light-model rows as a table, their targets (issue figures, judged in the same run),
// and the chart's panels. Pure.
import type { Panel } from "./chart.js";
import type { LightResults, LightRow } from "./light-model.js";
import type { LoadResult } from "./load.js";
import { fmt, formatTable, type Target } from "./report.js";

/** Texts per second of a run at `texts` per request. */
const textsPerSecond = (r: LoadResult, texts: number) => r.requestsPerSecond * texts;

export function lightTable(light: LightResults): string {
  const rows = light.rows.map((r) => [
    `${r.texts} text${r.texts > 1 ? "s" : ""}, ${r.format}, WORKERS=${r.workers}`,
    String(r.connections),
    fmt.rate(r.server.requestsPerSecond),
    fmt.rate(r.bare.requestsPerSecond),
    `${(r.bareRatio * 100).toFixed(1)} %`,
    r.workers === 1 ? `${(r.oneThreadBound * 100).toFixed(1)} %` : "-",
    `${fmt.ms(r.server.p50Ms)} / ${fmt.ms(r.server.p99Ms)}`,
    `${fmt.ms(r.bare.p50Ms)} / ${fmt.ms(r.bare.p99Ms)}`,
    r.meanBatch.toFixed(1),
    fmt.rate(textsPerSecond(r.server, r.texts)),
    `${fmt.rate(r.raw.samplesPerSecond)} @${r.raw.batchSize}`,
    `${(r.rawRatio * 100).toFixed(1)} %`,
    String(r.server.failures + r.bare.failures),
  ]);
  const rss = light.clusterRss.map((p) => fmt.mib(p.peakRss)).join(" + ");
  return [
    formatTable(["run", "conns", "req/s", "bare req/s", "server/bare (median of slices)", "one-thread bound", "p50 / p99", "bare p50 / p99", "mean batch", "texts/s", "raw ORT texts/s", "server/raw (median)", "failed"], rows),
    `peak RSS: one process ${fmt.mib(light.singleRss)}; WORKERS=${light.clusterWorkers}: ${rss} (primary first)`,
    "one-thread bound: the most server/bare could read if one thread did only the bare endpoint's work and onnxruntime's (LightRow.oneThreadBound)",
  ].join("\n");
}

function find(light: LightResults, texts: number, format: LightRow["format"], connections: number, workers: number): LightRow {
  const row = light.rows.find((r) => r.texts === texts && r.format === format && r.connections === connections && r.workers === workers);
  if (!row) throw new Error(`no light-model row for ${texts} texts, ${format}, ${connections} connections, WORKERS=${workers}`);
  return row;
}

const MIB = 1024 * 1024;

export function lightTargets(light: LightResults): Target[] {
  const one = find(light, 1, "JSON", 64, 1);
  const pod = find(light, 1, "JSON", 64, light.clusterWorkers);
  const batch = find(light, 32, "JSON", 64, 1);
  const extra = light.clusterRss.slice(1);
  const targets: Target[] = [
    { label: "spam-classifier, 1 text/request, 64 connections: server (1 process) vs bare Express req/s", ratio: one.bareRatio, goal: 0.8, direction: ">=", unit: "%" },
    { label: `spam-classifier, 1 text/request, 64 connections: server (WORKERS=${light.clusterWorkers}) vs bare Express req/s`, ratio: pod.bareRatio, goal: 0.8, direction: ">=", unit: "%" },
    { label: "spam-classifier, 1 text/request, 64 connections: server (1 process) p99 / bare p99", ratio: one.p99Ratio, goal: 1.5, direction: "<=", unit: "x" },
    { label: `spam-classifier, 32 texts/request, 64 connections: server texts/s vs raw ORT at batch ${batch.raw.batchSize}`, ratio: batch.rawRatio, goal: 0.95, direction: ">=", unit: "%" },
    // The two servers run minutes apart; each is judged against the bare endpoint in its own slices, so the ratio of those is the drift-free one.
    { label: `spam-classifier, 1 text/request, 64 connections: WORKERS=${light.clusterWorkers} vs 1 process req/s (each against the bare endpoint in its own slices)`, ratio: pod.bareRatio / one.bareRatio, goal: 1.3, direction: ">=", unit: "x" },
    { label: "peak RSS of one server process with the bundled models, MiB / 250", ratio: light.singleRss / (250 * MIB), goal: 1, direction: "<=", unit: "x" },
  ];
  if (extra.length > 0) {
    const largest = Math.max(...extra.map((p) => p.peakRss));
    targets.push({ label: `peak RSS of the largest of ${extra.length} server processes (WORKERS=${light.clusterWorkers}), MiB / 250`, ratio: largest / (250 * MIB), goal: 1, direction: "<=", unit: "x" });
  }
  return targets;
}

interface MlpRun extends LoadResult {
  raw: { samplesPerSecond: number };
}

/** Throughput and p99 against connections: the light model at 1 and 32 texts per request, and the MLP. */
export function chartPanels(light: LightResults, mlpOff: readonly MlpRun[], mlpOn: readonly MlpRun[]): Panel[] {
  const conns = [...new Set(light.rows.filter((r) => r.workers === 1).map((r) => r.connections))].sort((a, b) => a - b);
  const xLabels = conns.map(String);
  const series = (texts: number, pick: (r: LightRow) => number) => conns.map((c) => pick(find(light, texts, "JSON", c, 1)));
  const mlpConns = mlpOn.map((r) => r.connections);
  return [
    {
      title: "spam-classifier, 1 text/request (JSON): req/s",
      yLabel: "requests/s",
      xLabels,
      series: [
        { name: "server (1 process)", values: series(1, (r) => r.server.requestsPerSecond) },
        { name: "bare Express", values: series(1, (r) => r.bare.requestsPerSecond) },
        { name: "raw onnxruntime (texts/s)", values: series(1, (r) => r.raw.samplesPerSecond) },
      ],
    },
    {
      title: "spam-classifier, 1 text/request (JSON): p99",
      yLabel: "ms",
      xLabels,
      series: [
        { name: "server (1 process)", values: series(1, (r) => r.server.p99Ms) },
        { name: "bare Express", values: series(1, (r) => r.bare.p99Ms) },
      ],
    },
    {
      title: "spam-classifier, 32 texts/request (JSON): texts/s",
      yLabel: "texts/s",
      xLabels,
      series: [
        { name: "server (1 process)", values: series(32, (r) => textsPerSecond(r.server, 32)) },
        { name: "bare Express (x32)", values: series(32, (r) => textsPerSecond(r.bare, 32)) },
        { name: "raw onnxruntime, batch 32", values: series(32, (r) => r.raw.samplesPerSecond) },
      ],
    },
    {
      title: "spam-classifier, 32 texts/request (JSON): p99",
      yLabel: "ms",
      xLabels,
      series: [
        { name: "server (1 process)", values: series(32, (r) => r.server.p99Ms) },
        { name: "bare Express", values: series(32, (r) => r.bare.p99Ms) },
      ],
    },
    {
      title: "synthetic MLP: samples/s",
      yLabel: "samples/s",
      xLabels: mlpConns.map(String),
      series: [
        { name: "server, batching on", values: mlpOn.map((r) => r.requestsPerSecond) },
        { name: "server, batching off", values: mlpOff.map((r) => r.requestsPerSecond) },
        { name: "raw onnxruntime, same batch", values: mlpOn.map((r) => r.raw.samplesPerSecond) },
      ],
    },
    {
      title: "synthetic MLP: p99",
      yLabel: "ms",
      xLabels: mlpConns.map(String),
      series: [
        { name: "server, batching on", values: mlpOn.map((r) => r.p99Ms) },
        { name: "server, batching off", values: mlpOff.map((r) => r.p99Ms) },
      ],
    },
  ];
}
