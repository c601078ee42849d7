// Every app series that an alert, a dashboard panel or an autoscaler trigger reads
// must be one the app really exports: this scrapes /metrics of a real started
// server after real traffic and checks each name and label used in the PromQL.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { alertRuleGroups } from "../../../infra/observability/alerts.js";
import { scaledObjectSpec } from "../../../infra/serving/autoscaling.js";
import { dashboardQueries, inferenceDashboard } from "../../../infra/observability/dashboards.js";
import { CANARY_DEFAULTS } from "../../../infra/config.js";
import { analysisMetrics } from "../../../infra/delivery/canary.js";
import { podLabelSeriesLabel, ROLLOUT_POD_LABELS } from "../../../infra/observability/promql.js";
import { METRIC_PREFIX, METRICS } from "../../../app/src/observability/metric-names.js";
import { infer, startTestServer, type TestServer } from "../../app/support.js";

const app = { namespace: "inference", job: "inference/inference-app" };
const thresholds = { latencyP99Seconds: 0.5, errorRatio: 0.05, queueDepthPerPod: 10, shedPerSecond: 1, cacheErrorRatio: 0.5, gpuMemoryRatio: 0.9 };
const settings = {
  minReplicas: 0,
  maxReplicas: 4,
  latencyTargetSeconds: 0.25,
  inFlightPerPod: 16,
  cpuUtilizationPercent: 70,
  gpuUtilizationPercent: 75,
  scaleDownStabilizationSeconds: 300,
  pollingIntervalSeconds: 15,
  cooldownSeconds: 300,
};

/** Every PromQL expression the platform deploys, labelled by where it is used. */
const expressions: { where: string; expr: string }[] = [
  ...alertRuleGroups({ app, deployment: "inference-app", hpa: "keda-hpa-inference-app", gpu: true }, thresholds)
    .flatMap((g) => g.rules)
    .map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
  ...dashboardQueries(inferenceDashboard({ app, deployment: "inference-app", hpa: "keda-hpa-inference-app", latencySloSeconds: 0.5 })).map(
    (q) => ({ where: `panel ${q.panel}`, expr: q.expr }),
  ),
  ...scaledObjectSpec({ app, deployment: "inference-app", prometheusUrl: "http://prometheus:9090", gpu: true }, settings)
    .triggers.filter((t) => t.type === "prometheus")
    .map((t) => ({ where: `trigger ${t.name}`, expr: t.metadata.query ?? "" })),
  ...analysisMetrics(app, CANARY_DEFAULTS.analysis).map((m) => ({ where: `canary analysis ${m.name}`, expr: m.query })),
];

/** Labels Prometheus adds to every scraped sample (target labels of a PodMonitor). */
const TARGET_LABELS = ["namespace", "job", "pod", "instance", "container", "endpoint", ...Object.values(ROLLOUT_POD_LABELS).map(podLabelSeriesLabel)];

interface Exposition {
  types: Map<string, string>;
  /** Label names seen on the samples of each series name (e.g. ..._bucket). */
  labels: Map<string, Set<string>>;
}

function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const labels = new Map<string, Set<string>>();
  for (const line of text.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) types.set(type[1]!, type[2]!);
    const sample = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? /.exec(line);
    if (sample) {
      const set = labels.get(sample[1]!) ?? new Set<string>();
      for (const m of (sample[2] ?? "").matchAll(/(\w+)="/g)) set.add(m[1]!);
      labels.set(sample[1]!, set);
    }
  }
  return { types, labels };
}

/** The problems with the app series one expression uses: unknown names, labels the series does not carry. */
function problems(expr: string, x: Exposition): string[] {
  const found: string[] = [];
  for (const m of expr.matchAll(new RegExp(`\\b(${METRIC_PREFIX}\\w+)(\\{([^}]*)\\})?`, "g"))) {
    const name = m[1]!;
    const base = name.replace(/_(bucket|sum|count)$/, "");
    const known = x.types.has(name) ? x.types.get(name) !== "histogram" : name !== base && x.types.get(base) === "histogram";
    if (!known) {
      found.push(`${name} is not exported`);
      continue;
    }
    const carried = new Set([...(x.labels.get(name) ?? []), ...TARGET_LABELS]);
    for (const l of (m[3] ?? "").matchAll(/(\w+)\s*(=~|!=|=)/g)) {
      if (!carried.has(l[1]!)) found.push(`${name} has no label ${l[1]}`);
    }
  }
  if (found.length === 0 && expr.includes(METRIC_PREFIX)) {
    const all = new Set([...[...x.labels.entries()].filter(([n]) => n.startsWith(METRIC_PREFIX)).flatMap(([, s]) => [...s]), ...TARGET_LABELS]);
    for (const g of expr.matchAll(/\bby \(([^)]*)\)/g)) {
      for (const l of g[1]!.split(",").map((s) => s.trim())) if (!all.has(l)) found.push(`grouping by unknown label ${l}`);
    }
  }
  return found;
}

let server: TestServer;
let exposition: Exposition;

before(async () => {
  server = await startTestServer({ models: ["adder"] }, { CACHE_ENABLED: "true" });
  const body = { inputs: [{ name: "x", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }] };
  assert.equal((await infer(server, "adder", body)).status, 200); // a cache miss and a computed batch
  assert.equal((await infer(server, "adder", body)).status, 200); // a cache hit
  // Shedding and cache failures only happen under faults; one sample each makes their labels visible.
  server.server.metrics.rejected.inc({ model: "adder", reason: "queue_full" });
  server.server.metrics.cacheErrors.inc({ backend: "redis" });
  exposition = parseExposition(await (await fetch(`${server.url}/metrics`)).text());
});

after(async () => {
  await server?.stop();
});

test("the app exports every series of the shared definition", () => {
  for (const name of Object.values(METRICS)) assert.ok(exposition.types.has(name), `${name} missing from /metrics`);
});

test("alerts, dashboard panels and autoscaler triggers read only series and labels the app exports", () => {
  assert.ok(expressions.length > 20, "expected the expressions of rules, panels and triggers");
  const wrong = expressions.flatMap(({ where, expr }) => problems(expr, exposition).map((p) => `${where}: ${p}`));
  assert.deepEqual(wrong, []);
});

test("the check catches a misspelt series, a label the series lacks and an unknown grouping label", () => {
  assert.deepEqual(problems(`rate(${METRICS.cacheHits.replace("hits", "hit")}[5m])`, exposition), [
    `${METRICS.cacheHits.replace("hits", "hit")} is not exported`,
  ]);
  assert.deepEqual(problems(`${METRICS.queueDepth}{reason="x"}`, exposition), [`${METRICS.queueDepth} has no label reason`]);
  assert.deepEqual(problems(`sum by (tenant) (${METRICS.inFlight})`, exposition), ["grouping by unknown label tenant"]);
  assert.deepEqual(problems(`${METRICS.requestDuration}{status="200"}`, exposition), [`${METRICS.requestDuration} is not exported`]);
});
