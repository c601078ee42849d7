// Pod autoscaling: KEDA ScaledObject triggers on latency, work in flight, CPU and
// GPU, fast out and slow in, bounds per stack, scale to zero only with a wake window.
import { describe, it } from "node:test";
import { scaledObjectActive } from "../../../infra/serving/keda-activation.js";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { stringify } from "yaml";
import { type AutoscalingSettings, hpaName, scaledObjectSpec } from "../../../infra/serving/autoscaling.js";
import { ConfigError, parseConfig } from "../../../infra/config.js";
import { readStackConfig } from "../../../scripts/lib/mock-program.js";
import { runStack, helmReleases, ofType, one, stackFile, STACKS } from "../../support/pulumi-program.js";

const settings: AutoscalingSettings = {
  minReplicas: 2,
  maxReplicas: 10,
  latencyTargetSeconds: 0.25,
  inFlightPerPod: 16,
  cpuUtilizationPercent: 70,
  gpuUtilizationPercent: 80,
  scaleDownStabilizationSeconds: 450,
  pollingIntervalSeconds: 15,
  cooldownSeconds: 300,
};
const target = { app: { namespace: "inference", job: "inference/inference" }, deployment: "inference", prometheusUrl: "http://prom:9090", gpu: false };

function trigger(spec: ReturnType<typeof scaledObjectSpec>, name: string) {
  const t = spec.triggers.find((x) => x.name === name);
  assert.ok(t, `trigger ${name}`);
  return t;
}

describe("ScaledObject spec", () => {
  const spec = scaledObjectSpec(target, settings);

  it("scales the app's Deployment between the stack's bounds", () => {
    assert.deepEqual(spec.scaleTargetRef, { apiVersion: "apps/v1", kind: "Deployment", name: "inference" });
    assert.equal(spec.minReplicaCount, 2);
    assert.equal(spec.maxReplicaCount, 10);
  });

  it("scales on p95 latency against the target, proportionally (metric type Value)", () => {
    const t = trigger(spec, "latency-p95");
    assert.equal(t.type, "prometheus");
    assert.equal(t.metricType, "Value");
    assert.equal(t.metadata.threshold, "0.25");
    assert.equal(t.metadata.serverAddress, "http://prom:9090");
    assert.match(t.metadata.query!, /histogram_quantile\(0\.95, sum by \(le\) \(rate\(inference_request_duration_seconds_bucket\{namespace="inference",job="inference\/inference"\}\[2m\]\)\)\)/);
  });

  it("scales on requests in flight plus those waiting for admission, per pod (metric type AverageValue: total / target = replicas)", () => {
    const t = trigger(spec, "in-flight");
    assert.equal(t.metricType, "AverageValue");
    assert.equal(t.metadata.threshold, "16");
    assert.match(t.metadata.query!, /sum\(inference_requests_in_flight\{[^}]*\}\) \+ \(sum\(inference_admission_waiting\{[^}]*\}\) or vector\(0\)\)/);
  });

  it("scales on the pods' CPU use against their requests, read from Prometheus (no metrics-server needed)", () => {
    const t = trigger(spec, "cpu");
    assert.equal(t.type, "prometheus");
    assert.equal(t.metricType, "Value");
    assert.equal(t.metadata.threshold, "70");
    assert.match(t.metadata.query!, /container_cpu_usage_seconds_total\{namespace="inference",pod=~"inference-\[a-z0-9\]\+-\[a-z0-9\]\+",container!=""\}/);
    assert.match(t.metadata.query!, /kube_pod_container_resource_requests\{namespace="inference",pod=~"[^"]+",resource="cpu"\}/);
  });

  it("adds GPU utilisation of the app's pods only on GPU pools", () => {
    assert.ok(!spec.triggers.some((t) => t.name === "gpu-utilisation"));
    const gpu = trigger(scaledObjectSpec({ ...target, gpu: true }, settings), "gpu-utilisation");
    assert.equal(gpu.metricType, "Value");
    assert.equal(gpu.metadata.threshold, "80");
    assert.match(gpu.metadata.query!, /DCGM_FI_DEV_GPU_UTIL\{namespace="inference",pod=~"inference-\[a-z0-9\]\+-\[a-z0-9\]\+"\}/);
  });

  it("scales out at once and in slowly", () => {
    const behavior = spec.advanced.horizontalPodAutoscalerConfig.behavior;
    assert.equal(behavior.scaleUp.stabilizationWindowSeconds, 0);
    assert.equal(behavior.scaleUp.selectPolicy, "Max");
    assert.deepEqual(behavior.scaleUp.policies, [
      { type: "Percent", value: 100, periodSeconds: 15 },
      { type: "Pods", value: 4, periodSeconds: 15 },
    ]);
    assert.equal(behavior.scaleDown.stabilizationWindowSeconds, 450);
    assert.ok(behavior.scaleDown.policies.every((p) => p.periodSeconds >= 60), "at most a step a minute");
  });

  it("names its HPA so that alerts and dashboards can find it", () => {
    assert.equal(spec.advanced.horizontalPodAutoscalerConfig.name, hpaName("inference"));
  });

  it("holds one pod during the active hours when it may scale to zero", () => {
    const zero = scaledObjectSpec(target, { ...settings, minReplicas: 0, activeHours: { timezone: "UTC", start: "0 7 * * 1-5", end: "0 19 * * 1-5" } });
    assert.equal(zero.minReplicaCount, 0);
    assert.deepEqual(trigger(zero, "active-hours"), {
      type: "cron",
      name: "active-hours",
      metadata: { timezone: "UTC", start: "0 7 * * 1-5", end: "0 19 * * 1-5", desiredReplicas: "1" },
    });
    assert.ok(!spec.triggers.some((t) => t.type === "cron"));
  });

  it("Prometheus queries are valid, read 0 when idle instead of NaN, and CPU reads as percent of requests (promtool evaluates them)", { skip: spawnSync("promtool", ["--version"]).status === 0 ? false : "promtool is not installed" }, () => {
    const dir = mkdtempSync(path.join(tmpdir(), "scaler-"));
    try {
      const queries = scaledObjectSpec({ ...target, gpu: true }, settings).triggers.filter((t) => t.type === "prometheus");
      const rules = queries.map((t) => ({ record: `scaler:${t.name.replace(/-/g, "_")}`, expr: t.metadata.query! }));
      writeFileSync(path.join(dir, "scalers.yaml"), stringify({ groups: [{ name: "scalers", rules }] }));
      // Histogram buckets exist but nothing arrives: histogram_quantile gives NaN, which KEDA cannot use.
      const idleSeries = ["0.1", "+Inf"].map((le) => ({
        series: `inference_request_duration_seconds_bucket{namespace="inference",job="inference/inference",le="${le}"}`,
        values: "0x10",
      }));
      const test = {
        rule_files: ["scalers.yaml"],
        evaluation_interval: "1m",
        tests: [
          {
            interval: "1m",
            input_series: idleSeries,
            promql_expr_test: rules.map((r) => ({ expr: r.record, eval_time: "5m", exp_samples: [{ labels: r.record, value: 0 }] })),
          },
          {
            // Two pods, each using 0.6 of the 1 CPU it requests: 60 % utilisation.
            interval: "1m",
            input_series: ["inference-7d9f8b6c5-abcde", "inference-7d9f8b6c5-fghij"].flatMap((pod) => [
              { series: `container_cpu_usage_seconds_total{namespace="inference",pod="${pod}",container="server"}`, values: "0+36x10" },
              { series: `kube_pod_container_resource_requests{namespace="inference",pod="${pod}",container="server",resource="cpu"}`, values: "1x10" },
            ]),
            promql_expr_test: [{ expr: "scaler:cpu", eval_time: "5m", exp_samples: [{ labels: "scaler:cpu", value: 60 }] }],
          },
        ],
      };
      writeFileSync(path.join(dir, "scalers.test.yaml"), stringify(test));
      execFileSync("promtool", ["test", "rules", "scalers.test.yaml"], { cwd: dir, stdio: "pipe" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const bounds = { local: [1, 3], dev: [0, 4], staging: [2, 6], prod: [3, 12] } as const;

for (const stack of STACKS) {
  describe(`${stack}: autoscaling`, () => {
    it("installs KEDA 2.20.2 from its Helm repository", async () => {
      const keda = helmReleases(await runStack(stack)).find((r) => r.inputs.chart === "keda");
      assert.ok(keda, "keda release");
      assert.equal(keda.inputs.version, "2.20.2");
      assert.equal(keda.inputs.repositoryOpts.repo, "https://kedacore.github.io/charts");
    });

    it("scales the app between the stack's bounds on Prometheus, CPU and (on GPU pools) GPU triggers", async () => {
      const run = await runStack(stack);
      const cfg = parseConfig(readStackConfig(stackFile(stack)).config);
      const so = one(run, "kubernetes:keda.sh/v1alpha1:ScaledObject").inputs;
      assert.deepEqual([so.spec.minReplicaCount, so.spec.maxReplicaCount], bounds[stack]);
      assert.equal(so.spec.scaleTargetRef.name, "inference");
      assert.equal(so.metadata.namespace, cfg.app.namespace);
      const types = so.spec.triggers.map((t: { name: string }) => t.name);
      assert.deepEqual(types.slice(0, 3), ["latency-p95", "in-flight", "cpu"]);
      assert.equal(types.includes("gpu-utilisation"), cfg.app.pools.some((p) => p !== "cpu"));
      for (const t of so.spec.triggers.filter((x: { type: string }) => x.type === "prometheus")) {
        assert.equal(t.metadata.serverAddress, run.outputs.prometheusUrl);
        const podLevel = t.name === "gpu-utilisation" || t.name === "cpu";
        const from = podLevel ? `namespace="${cfg.app.namespace}"` : `job="${cfg.app.namespace}/inference"`;
        assert.ok(t.metadata.query.includes(from), `${t.name} reads ${from}`);
      }
      assert.equal(so.spec.advanced.horizontalPodAutoscalerConfig.behavior.scaleDown.stabilizationWindowSeconds, cfg.autoscaling.scaleDownStabilizationSeconds);
    });

    it("leaves the replica count to the autoscaler", async () => {
      const deployment = ofType(await runStack(stack), "kubernetes:apps/v1:Deployment").find((d) => d.name === "inference")!;
      assert.equal(deployment.inputs.spec.replicas, undefined);
    });

    it("alerts on the HPA that KEDA creates", async () => {
      const run = await runStack(stack);
      const so = one(run, "kubernetes:keda.sh/v1alpha1:ScaledObject").inputs;
      const rules = one(run, "kubernetes:monitoring.coreos.com/v1:PrometheusRule").inputs.spec.groups[0].rules;
      const atMax = rules.find((r: { alert: string }) => r.alert === "InferenceAutoscalerAtMax");
      assert.ok(atMax.expr.includes(`horizontalpodautoscaler="${so.spec.advanced.horizontalPodAutoscalerConfig.name}"`));
      assert.equal(run.outputs.autoscalerName, so.spec.advanced.horizontalPodAutoscalerConfig.name);
    });
  });
}

describe("dev scales to zero outside its active hours", () => {
  it("has the cron wake window", async () => {
    const so = one(await runStack("dev"), "kubernetes:keda.sh/v1alpha1:ScaledObject").inputs;
    assert.equal(so.spec.minReplicaCount, 0);
    assert.ok(so.spec.triggers.some((t: { type: string }) => t.type === "cron"));
  });

  it("really reaches zero when idle outside the window: an idle pod's CPU and GPU use keep no trigger active (KEDA's activation rule)", async () => {
    const so = one(await runStack("dev"), "kubernetes:keda.sh/v1alpha1:ScaledObject").inputs;
    // One idle pod: no requests, a few percent CPU for its own housekeeping, a little GPU activity.
    const idle = { "latency-p95": 0, "in-flight": 0, cpu: 4, "gpu-utilisation": 2, "active-hours": false };
    assert.equal(scaledObjectActive(so.spec, idle), false);
    // Any request wakes it; so does the window.
    assert.equal(scaledObjectActive(so.spec, { ...idle, "in-flight": 1 }), true);
    assert.equal(scaledObjectActive(so.spec, { ...idle, "latency-p95": 0.05 }), true);
    assert.equal(scaledObjectActive(so.spec, { ...idle, "active-hours": true }), true);
    // Real load on CPU or GPU alone wakes it too.
    assert.equal(scaledObjectActive(so.spec, { ...idle, cpu: 95 }), true);
  });
});

describe("autoscaling configuration", () => {
  const withAutoscaling = (stack: "dev" | "prod", value: unknown) => {
    const { config } = readStackConfig(stackFile(stack));
    config["inference-platform:autoscaling"] = JSON.stringify(value);
    return config;
  };

  it("refuses scale to zero without a wake window, saying why", () => {
    assert.throws(
      () => parseConfig(withAutoscaling("prod", { minReplicas: 0 })),
      (e: Error) => e instanceof ConfigError && /autoscaling\.activeHours: minReplicas 0 needs activeHours/.test(e.message),
    );
  });

  it("refuses a wake window with a bad time zone or cron expression", () => {
    const bad = { activeHours: { timezone: "Mars/Olympus", start: "7 * * 1-5", end: "0 19 * * 1-5" } };
    assert.throws(() => parseConfig(withAutoscaling("dev", bad)), (e: Error) => {
      assert.match(e.message, /autoscaling\.activeHours\.timezone: not an IANA time zone/);
      assert.match(e.message, /autoscaling\.activeHours\.start: must be a 5-field cron expression/);
      return true;
    });
  });

  it("refuses autoscaling without monitoring", () => {
    const { config } = readStackConfig(stackFile("staging"));
    config["inference-platform:monitoring"] = JSON.stringify({ enabled: false, alerts: { latencyP99Seconds: 0.5 } });
    assert.throws(() => parseConfig(config), /autoscaling\.enabled: the autoscaler reads Prometheus/);
  });

  it("refuses a CPU target outside 1..100", () => {
    assert.throws(() => parseConfig(withAutoscaling("prod", { cpuUtilizationPercent: 150 })), /autoscaling\.cpuUtilizationPercent: .*\(got 150\)/);
  });
});
