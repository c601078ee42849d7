// The Grafana dashboard: the panels an operator needs, each with queries that
// Prometheus accepts (promtool parses them) and that select the app's series.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { DASHBOARD_UID, dashboardQueries, inferenceDashboard, type DashboardTarget } from "../../../infra/observability/dashboards.js";
import { METRICS } from "../../../app/src/observability/metric-names.js";
import { DCGM_METRICS, KUBE_METRICS } from "../../../infra/observability/promql.js";

const target: DashboardTarget = {
  app: { namespace: "inference", job: "inference/inference-app" },
  deployment: "inference-app",
  hpa: "inference-app",
  latencySloSeconds: 0.25,
};
const model = inferenceDashboard(target);
const queries = dashboardQueries(model);

function queriesOf(title: string): string[] {
  const found = queries.filter((q) => q.panel === title).map((q) => q.expr);
  assert.ok(found.length > 0, `no panel titled "${title}"`);
  return found;
}

describe("inference dashboard", () => {
  test("has a stable uid that survives JSON, and a Prometheus data-source variable", () => {
    assert.equal(model.uid, DASHBOARD_UID);
    const shipped = JSON.parse(JSON.stringify(model)) as typeof model;
    assert.equal(shipped.uid, DASHBOARD_UID);
    assert.equal(shipped.panels?.length, model.panels?.length);
    const vars = model.templating?.list ?? [];
    assert.ok(vars.some((v) => v.type === "datasource" && v.name === "datasource" && v.query === "prometheus"));
  });

  test("shows each signal the issue asks for, from the series that carry it", () => {
    const expectations: [string, string[]][] = [
      ["Request rate", [`${METRICS.requestDuration}_count`]],
      ["Latency p50 / p95 / p99", ["histogram_quantile(0.5,", "histogram_quantile(0.95,", "histogram_quantile(0.99,"]],
      ["Error ratio", ['status=~"5.."']],
      ["Queue depth and in flight", [METRICS.queueDepth, METRICS.inFlight]],
      ["Queue wait p50 / p95", [`${METRICS.queueWait}_bucket`]],
      ["Batch size", [`${METRICS.batchSize}_sum`, `${METRICS.batchSize}_count`]],
      ["Shed requests", [METRICS.rejected]],
      ["Cache hit ratio", [METRICS.cacheHits, METRICS.cacheMisses, METRICS.cacheErrors]],
      ["Replicas vs desired", [KUBE_METRICS.deploymentAvailable, KUBE_METRICS.hpaDesiredReplicas, KUBE_METRICS.hpaMaxReplicas]],
      ["Pod CPU utilisation", ["container_cpu_usage_seconds_total", KUBE_METRICS.podResourceRequests]],
      ["Nodes by pool", [KUBE_METRICS.nodeLabels, "label_karpenter_sh_nodepool"]],
      ["GPU utilisation", [DCGM_METRICS.gpuUtil]],
      ["GPU memory used", [DCGM_METRICS.framebufferUsed, DCGM_METRICS.framebufferFree]],
    ];
    for (const [title, needles] of expectations) {
      const text = queriesOf(title).join("\n");
      for (const needle of needles) assert.ok(text.includes(needle), `panel "${title}" lacks ${needle}:\n${text}`);
    }
  });

  test("app queries select the app's namespace and scrape job only", () => {
    for (const { panel, expr } of queries.filter((q) => q.expr.includes("inference_"))) {
      assert.ok(expr.includes('namespace="inference",job="inference/inference-app"'), `${panel}: ${expr}`);
    }
  });

  test("without an autoscaler, replicas are compared with the Deployment's spec", () => {
    const fixed = dashboardQueries(inferenceDashboard({ ...target, hpa: undefined }))
      .filter((q) => q.panel === "Replicas vs desired")
      .map((q) => q.expr);
    assert.ok(fixed.some((e) => e.startsWith(KUBE_METRICS.deploymentSpecReplicas)));
    assert.ok(!fixed.some((e) => e.includes("horizontalpodautoscaler")));
  });

  test("the latency panel draws the stack's SLO", () => {
    const latency = model.panels?.find((p) => p.title === "Latency p50 / p95 / p99");
    const steps = (latency as { fieldConfig?: { defaults?: { thresholds?: { steps: { value: number | null }[] } } } }).fieldConfig
      ?.defaults?.thresholds?.steps;
    assert.deepEqual(steps?.map((s) => s.value), [null, 0.25]);
  });

  test("every query is valid PromQL (promtool parses it as a recording rule)", { skip: spawnSync("promtool", ["--version"]).status === 0 ? false : "promtool is not installed" }, () => {
    const dir = mkdtempSync(path.join(tmpdir(), "dashboards-"));
    try {
      // Grafana substitutes $__rate_interval before the query reaches Prometheus.
      const rules = queries.map((q, i) => ({ record: `dashboard:query_${i}`, expr: q.expr.replaceAll("$__rate_interval", "5m") }));
      writeFileSync(path.join(dir, "queries.yaml"), stringify({ groups: [{ name: "dashboard", rules }] }));
      execFileSync("promtool", ["check", "rules", "queries.yaml"], { cwd: dir, stdio: "pipe" });
      // and the check is real: a broken query is refused
      writeFileSync(path.join(dir, "broken.yaml"), stringify({ groups: [{ name: "d", rules: [{ record: "x:y", expr: `${rules[0]!.expr})` }] }] }));
      assert.notEqual(spawnSync("promtool", ["check", "rules", "broken.yaml"], { cwd: dir }).status, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
