// Pure parts of the benchmark: settings from the environment, Prometheus and
// /proc parsing, ratios against targets, and the printed table.

/** Seconds per load run, from BENCH_DURATION (default 8): a positive number up to 120. */
export function benchDuration(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === "") return 8;
  const seconds = Number(raw);
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 120) {
    throw new Error(`BENCH_DURATION must be a number of seconds > 0 and <= 120, got ${JSON.stringify(raw)}`);
  }
  return seconds;
}

/** The parts of the bench, in the order they run. */
export const BENCH_SECTIONS = ["mlp", "overload", "light"] as const;
export type BenchSection = (typeof BENCH_SECTIONS)[number];

/** Which sections to run, from BENCH_SECTIONS (comma-separated; default all): for iterating on one part. */
export function benchSections(raw: string | undefined): Set<BenchSection> {
  if (raw === undefined || raw.trim() === "") return new Set(BENCH_SECTIONS);
  const names = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  const unknown = names.filter((n) => !(BENCH_SECTIONS as readonly string[]).includes(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new Error(`BENCH_SECTIONS must be a comma-separated list of ${BENCH_SECTIONS.join(", ")}; got ${JSON.stringify(raw)}`);
  }
  return new Set(names as BenchSection[]);
}

/** The middle value (the mean of the two middle ones for an even count). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Value of one sample (name plus exact label set, as printed) in Prometheus text; 0 when absent. */
export function sampleValue(metricsText: string, sample: string): number {
  for (const line of metricsText.split("\n")) {
    if (line.startsWith(`${sample} `)) return Number(line.slice(sample.length + 1));
  }
  return 0;
}

/** Mean of the observations a histogram took between two scrapes (0 when it took none). */
export function histogramMean(before: string, after: string, histogram: string, model: string): number {
  const delta = (suffix: "sum" | "count") =>
    sampleValue(after, `${histogram}_${suffix}{model="${model}"}`) - sampleValue(before, `${histogram}_${suffix}{model="${model}"}`);
  const observations = delta("count");
  return observations > 0 ? delta("sum") / observations : 0;
}

/** Rows per executed batch between two scrapes of the server's metrics. */
export function meanBatchSize(before: string, after: string, model: string): number {
  return histogramMean(before, after, "inference_batch_size", model);
}

/** Milliseconds per onnxruntime run inside the server between two scrapes. */
export function meanComputeMs(before: string, after: string, model: string): number {
  return histogramMean(before, after, "inference_compute_duration_seconds", model) * 1000;
}

/** Peak resident set size in bytes from /proc/<pid>/status text (VmHWM). */
export function peakRssBytes(procStatus: string): number {
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(procStatus);
  if (!match) throw new Error("no VmHWM line in /proc status");
  return Number(match[1]) * 1024;
}

export interface Target {
  label: string;
  /** Measured ratio (1 = 100 %). */
  ratio: number;
  /** Required ratio, compared with `direction`. */
  goal: number;
  direction: ">=" | "<=";
  /** How the ratio is printed. */
  unit: "%" | "x" | "s";
}

export function meetsTarget(t: Target): boolean {
  return t.direction === ">=" ? t.ratio >= t.goal : t.ratio <= t.goal;
}

function formatValue(value: number, unit: Target["unit"]): string {
  if (unit === "%") return `${(value * 100).toFixed(1)} %`;
  if (unit === "x") return `${value.toFixed(2)}x`;
  return `${value.toFixed(2)} s`;
}

/** "label: 91.3 % (target >= 85 %) ok" — one line per target. */
export function formatTarget(t: Target): string {
  const verdict = meetsTarget(t) ? "ok" : "MISSED";
  return `${t.label}: ${formatValue(t.ratio, t.unit)} (target ${t.direction} ${formatValue(t.goal, t.unit)}) ${verdict}`;
}

/** Left-aligned first column, right-aligned figures, a header rule. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}

export const fmt = {
  rate: (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1)),
  ms: (n: number) => `${n.toFixed(1)} ms`,
  mib: (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`,
};
