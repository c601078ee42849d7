// Starts Debian's real `prometheus` server for a test: on a free loopback port,
// with its TSDB in a temporary directory and a generated scrape config whose
// targets carry the labels the Prometheus operator would give the app's pods
// (namespace, pod, job "<namespace>/<PodMonitor>", and the pod labels the
// PodMonitor transfers). The test that starts it stops it; process exit kills
// what is left as a last resort.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { stringify } from "yaml";
import { freePort } from "../../scripts/lib/free-port.js";

export interface ScrapeTarget {
  /** host:port of the process that serves /metrics. */
  address: string;
  /** Target labels, as service discovery and relabelling would set them. */
  labels: Record<string, string>;
}

export interface PrometheusOptions {
  /** The scrape job name, i.e. the `job` label of every target. */
  job: string;
  targets: ScrapeTarget[];
  /** Scrape and rule-evaluation interval (default "1s"). */
  interval?: string;
}

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

export interface RunningPrometheus {
  readonly url: string;
  /** An instant query at `time` (seconds since the epoch; default now): the vector's samples, or one for a scalar. */
  query(expr: string, time?: number): Promise<Sample[]>;
  /** Waits until every target has been scraped successfully at least `scrapes` times (default 2). */
  waitForScrapes(scrapes?: number, timeoutMs?: number): Promise<void>;
  /** Waits until every target has been scraped after `time` (seconds since the epoch). */
  waitForScrapeAfter(time: number, timeoutMs?: number): Promise<void>;
  /** SIGTERM, wait for exit, delete the TSDB directory. Idempotent. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

/** Why a real Prometheus cannot run here, or undefined when the `prometheus` binary is installed. */
export function prometheusSkipReason(): string | undefined {
  const probe = spawnSync("prometheus", ["--version"], { encoding: "utf8", timeout: 10_000 });
  return probe.status === 0 ? undefined : "the prometheus server is not installed (apt-get install prometheus)";
}

export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), "prometheus-test-"));
  const interval = options.interval ?? "1s";
  const config = {
    global: { scrape_interval: interval, evaluation_interval: interval, scrape_timeout: interval },
    scrape_configs: [
      {
        job_name: options.job,
        metrics_path: "/metrics",
        static_configs: options.targets.map((t) => ({ targets: [t.address], labels: t.labels })),
      },
    ],
  };
  writeFileSync(join(dir, "prometheus.yml"), stringify(config));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    "prometheus",
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  running.add(child);
  const stderr: string[] = [];
  child.stderr!.on("data", (chunk: Buffer) => stderr.push(chunk.toString()));
  const exited = once(child, "exit");
  let stopped = false;

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      await exited;
    }
    running.delete(child);
    rmSync(dir, { recursive: true, force: true });
  };

  const api = async (path: string, params: Record<string, string>) => {
    const res = await fetch(`${url}${path}?${new URLSearchParams(params)}`);
    const body = (await res.json()) as { status: string; error?: string; data: any };
    if (body.status !== "success") throw new Error(`Prometheus ${path} ${JSON.stringify(params)}: ${body.error ?? res.status}`);
    return body.data;
  };

  try {
    await until(async () => (await fetch(`${url}/-/ready`).catch(() => undefined))?.ok === true, 30_000, () => {
      if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${stderr.join("").slice(-500)}`);
      return `prometheus not ready on ${url}: ${stderr.join("").slice(-500)}`;
    });
  } catch (err) {
    await stop();
    throw err;
  }

  const query = async (expr: string, time?: number): Promise<Sample[]> => {
    const data = await api("/api/v1/query", { query: expr, ...(time === undefined ? {} : { time: String(time) }) });
    if (data.resultType === "scalar") return [{ labels: {}, value: Number(data.result[1]) }];
    if (data.resultType !== "vector") throw new Error(`expected a vector from ${expr}, got ${data.resultType}`);
    return (data.result as { metric: Record<string, string>; value: [number, string] }[]).map((s) => ({ labels: s.metric, value: Number(s.value[1]) }));
  };
  const job = `{job=${JSON.stringify(options.job)}}`;

  return {
    url,
    query,
    async waitForScrapes(scrapes = 2, timeoutMs = 30_000) {
      // `up` gains one sample per scrape: the least-scraped target must have `scrapes` of them, all up.
      await until(
        async () => {
          const [healthy] = await query(`count(up${job} == 1)`);
          const [fewest] = await query(`min(count_over_time(up${job}[1h]))`);
          return (healthy?.value ?? 0) >= options.targets.length && (fewest?.value ?? 0) >= scrapes;
        },
        timeoutMs,
        () => `targets of ${options.job} not scraped ${scrapes} times within ${timeoutMs} ms`,
      );
    },
    async waitForScrapeAfter(time, timeoutMs = 30_000) {
      await until(
        async () => ((await query(`min(timestamp(up${job}))`))[0]?.value ?? 0) > time,
        timeoutMs,
        () => `targets of ${options.job} not all scraped after ${time} within ${timeoutMs} ms`,
      );
    },
    stop,
  };
}

async function until(check: () => Promise<boolean>, timeoutMs: number, message: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    const why = message();
    if (Date.now() > deadline) throw new Error(why);
    await sleep(200);
  }
}
