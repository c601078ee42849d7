// The overload section of `npm run bench`: capacity measured at 64 closed-loop connections,
// then 10x and 25x as many for the same duration against the same server process. Closed
// loop means a refused client asks again at once, as retrying clients and load balancers do.
// Reported per run: successful requests/s as a share of capacity (goodput), p99 of the
// successful requests only, the share of 503 answers, and the server's peak RSS.
import { setTimeout as sleep } from "node:timers/promises";
import os from "node:os";
import autocannon from "autocannon";
import { startServerProcess } from "./processes.js";
import { fmt, formatTable, type Target } from "./report.js";
import { textBodies } from "./text-bodies.js";

export const CAPACITY_CONNECTIONS = 64;
export const OVERLOAD_FACTORS = [10, 25] as const;
/** Goodput at each factor as a share of capacity, and the RSS ceiling (issue targets, on a 2-core host). */
const GOODPUT_GOALS: Record<(typeof OVERLOAD_FACTORS)[number], number> = { 10: 0.8, 25: 0.7 };
const RSS_GOAL_BYTES = 400 * 1024 * 1024;

export interface OverloadWorkload {
  label: string;
  /** Server environment: at least MODEL_REPOSITORY. */
  env: Record<string, string>;
  model: string;
  bodies: readonly string[];
}

export interface ClosedLoopRun {
  connections: number;
  /** 2xx answers per second of the run. */
  okPerSecond: number;
  /** p99 latency of the 2xx answers, milliseconds. */
  p99OkMs: number;
  /** Share of all answers that were 503. */
  shedShare: number;
  /** Answers other than 2xx and 503, plus connection errors and timeouts: should be 0. */
  otherFailures: number;
  /** Seconds of the run in which no request succeeded. */
  secondsWithoutSuccess: number;
}

export interface OverloadResult {
  workload: string;
  capacity: ClosedLoopRun;
  overloads: (ClosedLoopRun & { factor: number })[];
  /** Peak RSS of the largest of the server's processes: each process bounds its own admitted requests. */
  peakRssBytes: number;
  /** The same right after the capacity run: what the overload runs add to it is what overload costs in memory. */
  capacityPeakRssBytes: number;
  /** Sum of the peaks over the primary and its WORKERS: an upper bound of the pod's peak. */
  totalPeakRssBytes: number;
  /** How many processes the server ran. */
  processes: number;
  loadAverage: number;
}

const percentile = (sorted: readonly number[], p: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!);

/** One closed-loop run: every connection POSTs the next body of the rotation as soon as its previous answer arrives. */
export async function closedLoop(url: string, bodies: readonly string[], connections: number, seconds: number): Promise<ClosedLoopRun> {
  let next = 0;
  const okLatencies: number[] = [];
  const okPerSecond = new Array<number>(Math.ceil(seconds)).fill(0);
  let shed = 0;
  let other = 0;
  const started = performance.now();
  let finished!: (result: autocannon.Result) => void;
  let failed!: (err: unknown) => void;
  const done = new Promise<autocannon.Result>((resolve, reject) => ((finished = resolve), (failed = reject)));
  // With a callback autocannon returns the running instance, whose response events carry each status.
  const instance = autocannon({
    url,
    method: "POST",
    headers: { "content-type": "application/json" },
    connections,
    duration: seconds,
    requests: [{ setupRequest: (request) => ({ ...request, body: bodies[next++ % bodies.length]! }) }],
  }, (err, result) => (err ? failed(err) : finished(result)));
  instance.on("response", (_client, status, _bytes, ms) => {
    if (status >= 200 && status < 300) {
      okLatencies.push(ms);
      const second = Math.floor((performance.now() - started) / 1000);
      if (second < okPerSecond.length) okPerSecond[second]!++;
    } else if (status === 503) shed++;
    else other++;
  });
  const result = await done;
  okLatencies.sort((a, b) => a - b);
  const answers = okLatencies.length + shed + other;
  return {
    connections,
    okPerSecond: okLatencies.length / result.duration,
    p99OkMs: percentile(okLatencies, 0.99),
    shedShare: answers > 0 ? shed / answers : 0,
    otherFailures: other + result.errors + result.timeouts,
    secondsWithoutSuccess: okPerSecond.filter((n) => n === 0).length,
  };
}

/** Capacity, then each overload factor, against one fresh server process (cache off, so every request is computed). */
export async function overloadRuns(main: string, workload: OverloadWorkload, seconds: number, log: (line: string) => void): Promise<OverloadResult> {
  const loadAverage = os.loadavg()[0]!;
  const server = await startServerProcess(main, { CACHE_ENABLED: "false", ...workload.env });
  try {
    const url = `${server.url}/v2/models/${workload.model}/infer`;
    await closedLoop(url, workload.bodies, 16, Math.min(2, seconds));
    const report = (r: ClosedLoopRun, label: string) =>
      log(
        `  ${workload.label}, ${r.connections} connections (${label}): ${fmt.rate(r.okPerSecond)} ok/s, p99 ok ${fmt.ms(r.p99OkMs)}, ` +
          `503 ${(r.shedShare * 100).toFixed(1)} %, other failures ${r.otherFailures}, seconds without success ${r.secondsWithoutSuccess}`,
      );
    const capacity = await closedLoop(url, workload.bodies, CAPACITY_CONNECTIONS, seconds);
    report(capacity, "capacity");
    const capacityPeakRssBytes = Math.max(...server.processes().map((p) => p.peakRss));
    const overloads: OverloadResult["overloads"] = [];
    for (const factor of OVERLOAD_FACTORS) {
      // Let the previous run's connections close and its admitted requests finish.
      await sleep(1000);
      const run = await closedLoop(url, workload.bodies, CAPACITY_CONNECTIONS * factor, seconds);
      report(run, `${factor}x`);
      overloads.push({ ...run, factor });
    }
    const processes = server.processes();
    const peaks = processes.map((p) => p.peakRss);
    return { workload: workload.label, capacity, overloads, peakRssBytes: Math.max(...peaks), capacityPeakRssBytes, totalPeakRssBytes: peaks.reduce((a, b) => a + b, 0), processes: peaks.length, loadAverage };
  } finally {
    await server.stop();
  }
}

export function overloadTable(results: readonly OverloadResult[]): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)} %`;
  return formatTable(
    ["overload", "conns", "ok/s", "of capacity", "p99 ok", "503 share", "other failures", "peak RSS, largest process: capacity -> all runs / sum of all (processes)", "load avg"],
    results.flatMap((r) =>
      [{ ...r.capacity, factor: 1 }, ...r.overloads].map((run) => [
        run.factor === 1 ? `${r.workload}, capacity` : `${r.workload}, ${run.factor}x`,
        String(run.connections),
        fmt.rate(run.okPerSecond),
        pct(run.okPerSecond / r.capacity.okPerSecond),
        fmt.ms(run.p99OkMs),
        pct(run.shedShare),
        String(run.otherFailures),
        run.factor === 1 ? `${fmt.mib(r.capacityPeakRssBytes)} -> ${fmt.mib(r.peakRssBytes)} / ${fmt.mib(r.totalPeakRssBytes)} (${r.processes})` : "",
        run.factor === 1 ? r.loadAverage.toFixed(1) : "",
      ]),
    ),
  );
}

export function overloadTargets(results: readonly OverloadResult[]): Target[] {
  return results.flatMap((r) => [
    ...r.overloads.map(
      (run): Target => ({
        label: `goodput at ${run.factor}x capacity's connections (${r.workload}, ${run.connections} connections)`,
        ratio: run.okPerSecond / r.capacity.okPerSecond,
        goal: GOODPUT_GOALS[run.factor as keyof typeof GOODPUT_GOALS],
        direction: ">=",
        unit: "%",
      }),
    ),
    { label: `peak RSS under overload, largest of ${r.processes} processes (${r.workload}) vs 400 MiB`, ratio: r.peakRssBytes / RSS_GOAL_BYTES, goal: 1, direction: "<=", unit: "%" },
  ]);
}

/** Request bodies per workload rotation: enough that concurrent requests never share a body (no coalescing). */
const DISTINCT_BODIES = 4096;

/**
 * The whole section: the bundled spam classifier with 1 and 32 texts per request, and the
 * model `mlp` describes (the bench's synthetic MLP), each through capacity, 10x and 25x;
 * prints the table and returns the targets.
 */
export async function overloadSection(
  main: string,
  bundledRepository: string,
  mlp: { repository: string; model: string; bodies: readonly string[] },
  seconds: number,
  log: (line?: string) => void,
): Promise<Target[]> {
  const workloads: OverloadWorkload[] = [
    { label: "spam, 1 text", env: { MODEL_REPOSITORY: bundledRepository }, model: "spam-classifier", bodies: textBodies(DISTINCT_BODIES, 1) },
    { label: "spam, 32 texts", env: { MODEL_REPOSITORY: bundledRepository }, model: "spam-classifier", bodies: textBodies(DISTINCT_BODIES, 32) },
    { label: "MLP, 1 row", env: { MODEL_REPOSITORY: mlp.repository }, model: mlp.model, bodies: mlp.bodies },
  ];
  // The same run without admission control (the batch queue's limit alone): the before, measured in the same window.
  const before: OverloadWorkload = { ...workloads[1]!, label: "spam, 32 texts, ADMISSION=off", env: { ...workloads[1]!.env, ADMISSION: "off" } };
  log(`overload (closed loop, ${seconds} s per run, capacity at ${CAPACITY_CONNECTIONS} connections, then ${OVERLOAD_FACTORS.map((f) => `${f}x`).join(" and ")}):`);
  const results: OverloadResult[] = [];
  for (const workload of workloads) results.push(await overloadRuns(main, workload, seconds, log));
  const baseline = await overloadRuns(main, before, seconds, log);
  log();
  log(overloadTable([...results, baseline]));
  return overloadTargets(results);
}
