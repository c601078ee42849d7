// The platform's PromQL over real data: Debian's `prometheus` scrapes real server
// processes every second, labelled as the PodMonitor labels pods (namespace, pod,
// job, rollouts_pod_template_hash, track), before and during a few seconds of load.
// One stable pod and four canaries (good, a much slower model, a model failing on
// some inputs, a queue of one that sheds) take the same requests, as pods behind
// the NLB would. Then:
//   - the canary AnalysisTemplate's queries, with their success / failure
//     conditions applied by the modelled Argo verdict: bad canaries fail, the good
//     one passes, no traffic is inconclusive;
//   - every alert expression and every KEDA trigger query, idle and under load;
//   - every dashboard query runs.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { load, type LoadResult } from "../../../scripts/bench/load.js";
import { measurementPhase, worstPhase, type AnalysisPhase } from "../../../infra/delivery/analysis-condition.js";
import { analysisMetrics, HASH_ARGS, hashSeries, type CanaryAnalysisSettings } from "../../../infra/delivery/canary.js";
import { alertRuleGroups, type AlertThresholds } from "../../../infra/observability/alerts.js";
import { scaledObjectSpec, type AutoscalingSettings } from "../../../infra/serving/autoscaling.js";
import { dashboardQueries, inferenceDashboard } from "../../../infra/observability/dashboards.js";
import { ROLLOUT_HASH_LABEL, TRACK_LABEL, errorRatio, latencyQuantile, type AppSeries } from "../../../infra/observability/promql.js";
import { startAppProcess, type AppProcess } from "../../support/app-process.js";
import { FAILING_FROM, flavourEnv, SCORER, scorerRepository, scorerRequest, type Flavour } from "../../support/canary-fleet.js";
import { prometheusSkipReason, startPrometheus, type RunningPrometheus, type Sample } from "../../support/prometheus.js";

const skip = prometheusSkipReason();
const APP: AppSeries = { namespace: "inference", job: "inference/inference" };
const LOAD_SECONDS = 4;
const CONNECTIONS_PER_POD = 4;
// One request in four has a first column the failing model cannot index.
const BODIES = [0, 1, 2, FAILING_FROM + 2].map(scorerRequest);

/** Pods as Argo Rollouts would name and label them: stable, and one canary ReplicaSet per flavour. */
const PODS: { flavour: Flavour; hash: string; track: "stable" | "canary" }[] = [
  { flavour: "good", hash: "6d4f8b7c9", track: "stable" },
  { flavour: "good", hash: "5c9b7d6f4", track: "canary" },
  { flavour: "slow", hash: "7b8c9d5f6", track: "canary" },
  { flavour: "failing", hash: "8f5d6c7b4", track: "canary" },
  { flavour: "shedding", hash: "9c6b5f4d7", track: "canary" },
];
const STABLE_HASH = PODS[0]!.hash;

// Thresholds for a few seconds of data: the window spans the whole test, the gate is a
// handful of requests (the slow model answers few), stable's p99 counts as at least
// 50 ms, and the canary may take up to 3x stable's p99: on a busy 2-core machine two
// identical servers' p99s differ by up to 2x (measured), the slow model's by 5x or more.
const ANALYSIS: CanaryAnalysisSettings = {
  window: "1m",
  interval: "1m",
  measurements: 1,
  failureLimit: 0,
  minRequests: 6,
  maxErrorRatio: 0.02,
  maxP99Ratio: 3,
  p99FloorSeconds: 0.05,
  maxShedRatio: 0.02,
};
const ALERTS: AlertThresholds = {
  latencyP99Seconds: 0.1,
  errorRatio: 0.02,
  // Admission control keeps the batch queue short by design; the slow pod still holds one.
  queueDepthPerPod: 0.1,
  // The alert's 5-minute rate spreads a few seconds of shedding (a handful of requests on a busy machine) over 300 s.
  shedPerSecond: 0.001,
  cacheErrorRatio: 0.5,
  gpuMemoryRatio: 0.9,
};
const SCALING: AutoscalingSettings = {
  minReplicas: 1,
  maxReplicas: 10,
  latencyTargetSeconds: 0.2,
  inFlightPerPod: 4,
  cpuUtilizationPercent: 70,
  gpuUtilizationPercent: 75,
  scaleDownStabilizationSeconds: 300,
  pollingIntervalSeconds: 15,
  cooldownSeconds: 300,
};

interface Fleet {
  prometheus: RunningPrometheus;
  apps: AppProcess[];
  removeRepos: () => Promise<unknown>;
  /** Evaluation times (seconds since the epoch): before any request, half-way through the load, after it. */
  idle: number;
  during: number;
  loaded: number;
  loads: LoadResult[];
}

let fleet: Fleet | undefined;
/** What each alert and trigger query returned, printed at the end (the values the docs quote). */
const diagnostics: string[] = [];

describe("the platform's PromQL on a real Prometheus scraping real servers", { skip, timeout: 150_000 }, () => {
  before(async () => {
    const repos = await Promise.all(PODS.map((p) => scorerRepository(p.flavour)));
    const removeRepos = () => Promise.all(repos.map((r) => r.remove()));
    const apps = await Promise.all(repos.map((r, i) => startAppProcess(r.dir, flavourEnv(PODS[i]!.flavour))));
    const prometheus = await startPrometheus({
      job: APP.job,
      targets: apps.map((a, i) => ({
        address: a.address,
        labels: { namespace: APP.namespace, pod: `inference-${PODS[i]!.hash}-${i}`, [ROLLOUT_HASH_LABEL]: PODS[i]!.hash, [TRACK_LABEL]: PODS[i]!.track },
      })),
    });
    fleet = { prometheus, apps, removeRepos, idle: 0, during: 0, loaded: 0, loads: [] };
    await prometheus.waitForScrapes(3);
    fleet.idle = Date.now() / 1000;
    const halfway = new Promise<number>((resolve) => setTimeout(() => resolve(Date.now() / 1000), (LOAD_SECONDS * 1000) / 2));
    fleet.loads = await Promise.all(apps.map((a) => load(`${a.url}/v2/models/${SCORER}/infer`, BODIES, CONNECTIONS_PER_POD, LOAD_SECONDS)));
    fleet.during = await halfway;
    const end = Date.now() / 1000;
    await prometheus.waitForScrapeAfter(end);
    fleet.loaded = Date.now() / 1000;
    diagnostics.push(`load per pod: ${JSON.stringify(fleet.loads.map((l, i) => ({ pod: `${PODS[i]!.flavour}/${PODS[i]!.track}`, ...l })))}`);
  });

  after(async () => {
    if (diagnostics.length > 0) console.log(diagnostics.join("\n"));
    await fleet?.prometheus.stop();
    await Promise.all(fleet?.apps.map((a) => a.stop()) ?? []);
    await fleet?.removeRepos();
  });

  /** Each analysis metric's phase for the canary with `hash`, evaluated at `time`. */
  async function analyse(hash: string, time: number): Promise<Record<string, { phase: AnalysisPhase; result: number[] }>> {
    const out: Record<string, { phase: AnalysisPhase; result: number[] }> = {};
    for (const m of analysisMetrics(APP, ANALYSIS)) {
      // Argo substitutes the Rollout's args into the template's query text.
      const query = m.query.replaceAll(`{{args.${HASH_ARGS.canary}}}`, hash).replaceAll(`{{args.${HASH_ARGS.stable}}}`, STABLE_HASH);
      const result = (await fleet!.prometheus.query(query, time)).map((s) => s.value);
      out[m.name] = { phase: measurementPhase(result, m), result };
    }
    return out;
  }
  const canary = (flavour: Flavour) => PODS.find((p) => p.track === "canary" && p.flavour === flavour)!.hash;
  const phases = (r: Record<string, { phase: AnalysisPhase }>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.phase]));

  describe("canary analysis", () => {
    it("the load reached every pod", () => {
      for (const [i, l] of fleet!.loads.entries()) assert.ok(l.total >= ANALYSIS.minRequests, `${PODS[i]!.flavour} ${PODS[i]!.track} answered only ${l.total} requests`);
    });

    it("a good canary passes every metric", async (t) => {
      const r = await analyse(canary("good"), fleet!.loaded);
      t.diagnostic(`good: ${JSON.stringify(r)}`);
      assert.deepEqual(phases(r), { "error-ratio": "Successful", "p99-latency-ratio": "Successful", "shed-ratio": "Successful" }, JSON.stringify(r));
      assert.equal(r["error-ratio"]!.result[0], 0);
    });

    it("a much slower model fails on p99 against stable", async (t) => {
      const r = await analyse(canary("slow"), fleet!.loaded);
      t.diagnostic(`slow: ${JSON.stringify(r)}`);
      // When the machine is so busy that stable itself waits seconds, scheduling delay, not the model, sets every p99.
      const [stable] = await fleet!.prometheus.query(latencyQuantile(hashSeries(APP, STABLE_HASH), 0.99, ANALYSIS.window), fleet!.loaded);
      if ((stable?.value ?? 0) > 0.5) return t.skip(`stable's own p99 is ${stable?.value.toFixed(2)} s: this machine is too busy to tell a slow model from scheduling delay`);
      assert.equal(r["p99-latency-ratio"]!.phase, "Failed", JSON.stringify(r));
      assert.equal(worstPhase(Object.values(r).map((m) => m.phase)), "Failed");
    });

    it("a model failing on some inputs fails on its error ratio", async (t) => {
      const r = await analyse(canary("failing"), fleet!.loaded);
      t.diagnostic(`failing: ${JSON.stringify(r)}`);
      assert.equal(r["error-ratio"]!.phase, "Failed", JSON.stringify(r));
      assert.ok(r["error-ratio"]!.result[0]! > 0.1, JSON.stringify(r));
    });

    it("a canary with a tiny queue fails on its shed ratio", async (t) => {
      const r = await analyse(canary("shedding"), fleet!.loaded);
      t.diagnostic(`shedding: ${JSON.stringify(r)}`);
      assert.equal(r["shed-ratio"]!.phase, "Failed", JSON.stringify(r));
    });

    it("with no traffic yet, every metric is inconclusive: no promotion, no abort", async () => {
      for (const flavour of ["good", "slow", "failing", "shedding"] as const) {
        const r = await analyse(canary(flavour), fleet!.idle);
        assert.deepEqual(Object.values(phases(r)), ["Inconclusive", "Inconclusive", "Inconclusive"], `${flavour}: ${JSON.stringify(r)}`);
      }
    });
  });

  describe("alert expressions", () => {
    const rules = alertRuleGroups({ app: APP, deployment: "inference", hpa: "keda-hpa-inference", gpu: true }, ALERTS)[0]!.rules;
    const expr = (name: string) => rules.find((r) => r.alert === name)!.expr;
    const firing = async (name: string, time: number) => {
      const samples = await fleet!.prometheus.query(expr(name), time);
      diagnostics.push(`${name}: ${JSON.stringify(samples)}`);
      return samples.map((s) => s.labels);
    };

    it("none fires while the servers are idle", async () => {
      for (const r of rules) assert.deepEqual(await fleet!.prometheus.query(r.expr, fleet!.idle), [], r.alert);
    });

    it("latency: the p99 SLO is broken on the canary track, where the slow model runs", async () => {
      const labels = await firing("InferenceLatencyP99AboveSLO", fleet!.loaded);
      assert.ok(labels.some((l) => l.model === SCORER && l[TRACK_LABEL] === "canary"), JSON.stringify(labels));
    });

    it("errors: the canary track fires, stable (good traffic) does not and its error ratio is 0", async () => {
      assert.deepEqual(await firing("InferenceErrorRatioHigh", fleet!.loaded), [{ model: SCORER, [TRACK_LABEL]: "canary" }]);
      const stable = await fleet!.prometheus.query(errorRatio({ ...APP, matchers: { [TRACK_LABEL]: "stable" } }, "1m", ["model"]), fleet!.loaded);
      assert.deepEqual(stable, [{ labels: { model: SCORER }, value: 0 }]);
    });

    it("queue: the slow model's pod holds a queue", async () => {
      const pods = (await firing("InferenceQueueSaturated", fleet!.loaded)).map((l) => l.pod);
      assert.ok(pods.includes(`inference-${canary("slow")}-2`), JSON.stringify(pods));
    });

    it("shedding: true under overload, on the canary track", async () => {
      // The reason is whichever gate refused (admission's line or the batch queue); the track is the canary's.
      const labels = await firing("InferenceLoadShedding", fleet!.loaded);
      assert.ok(labels.length > 0 && labels.every((l) => l.model === SCORER && l[TRACK_LABEL] === "canary" && l.reason), JSON.stringify(labels));
    });

    it("cache, pods, autoscaler and GPU alerts stay quiet: no Redis in these pods, no kube-state-metrics or DCGM series here", async () => {
      for (const name of ["InferenceCacheUnavailable", "InferencePodsNotReady", "InferenceAutoscalerAtMax", "InferenceGpuMemoryPressure"]) {
        assert.deepEqual(await firing(name, fleet!.loaded), [], name);
      }
    });
  });

  describe("KEDA trigger queries", () => {
    const triggers = scaledObjectSpec({ app: APP, deployment: "inference", prometheusUrl: "unused", gpu: true }, SCALING).triggers;
    const value = async (name: string, time: number) => {
      const samples: Sample[] = await fleet!.prometheus.query(triggers.find((t) => t.name === name)!.metadata.query!, time);
      assert.equal(samples.length, 1, `${name} must return exactly one value, got ${JSON.stringify(samples)}`);
      diagnostics.push(`trigger ${name} at ${time === fleet!.idle ? "idle" : "load"}: ${samples[0]!.value}`);
      return samples[0]!.value;
    };

    it("every trigger reads 0 while idle (no pressure, not an error)", async () => {
      for (const t of triggers.filter((t) => t.type === "prometheus")) assert.equal(await value(t.name, fleet!.idle), 0, t.name);
    });

    it("p95 latency under load is seconds within what the load generator saw", async () => {
      const p95 = await value("latency-p95", fleet!.loaded);
      const slowestClientP99 = Math.max(...fleet!.loads.map((l) => l.p99Ms)) / 1000;
      // histogram_quantile interpolates inside a bucket: at most the upper bound of the bucket holding the slowest answers.
      const upper = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10].find((le) => le >= slowestClientP99) ?? Infinity;
      assert.ok(p95 > 0 && p95 <= upper, `p95 ${p95} s, slowest client p99 ${slowestClientP99} s`);
    });

    it("in flight during the load: at least the slow pod's connections, at most every connection", async () => {
      const inFlight = await value("in-flight", fleet!.during);
      assert.ok(inFlight >= CONNECTIONS_PER_POD - 1 && inFlight <= CONNECTIONS_PER_POD * PODS.length, `in flight ${inFlight}`);
    });

    it("CPU and GPU triggers read 0: their series come from cAdvisor, kube-state-metrics and DCGM, absent here", async () => {
      assert.equal(await value("cpu", fleet!.loaded), 0);
      assert.equal(await value("gpu-utilisation", fleet!.loaded), 0);
    });
  });

  describe("dashboard queries", () => {
    it("every panel's query runs, and request rate is split into stable and canary", async () => {
      const queries = dashboardQueries(inferenceDashboard({ app: APP, deployment: "inference", hpa: "keda-hpa-inference", latencySloSeconds: 0.1 }));
      for (const q of queries) await fleet!.prometheus.query(q.expr.replaceAll("$__rate_interval", "1m"), fleet!.loaded);
      const rate = queries.find((q) => q.panel === "Request rate")!.expr.replaceAll("$__rate_interval", "1m");
      const tracks = (await fleet!.prometheus.query(rate, fleet!.loaded)).map((s) => s.labels[TRACK_LABEL]).sort();
      assert.deepEqual(tracks, ["canary", "stable"]);
    });
  });
});
