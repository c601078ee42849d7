// Canary releases as the stacks declare them: the Argo Rollouts chart where
// app.canary is on, a Rollout over the app's Deployment with the stack's steps, the
// analysis templates, CRDs (the chart) before the custom resources, KEDA scaling the
// Rollout; and the stack config that refuses steps the pod counts cannot express.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, parseConfig } from "../../../infra/config.js";
import { ARGO_ROLLOUTS_CHART, analysisMetrics, analysisTemplateNames, HASH_ARGS, stepSplits } from "../../../infra/delivery/canary.js";
import { flattenConfig, readStackConfig } from "../../../scripts/lib/mock-program.js";
import { crdValidatorsByKind, validateWithCrd } from "../../support/k8s-schemas.js";
import { helmReleases, ofType, runStack, stackFile, stackWith, STACKS, type StackName } from "../../support/pulumi-program.js";

const cr = (run: Awaited<ReturnType<typeof runStack>>, kind: string) =>
  run.resources.filter((r) => r.type === `kubernetes:argoproj.io/v1alpha1:${kind}`);

function configWith(stack: StackName, changes: Record<string, unknown>): Record<string, string> {
  return flattenConfig((stackWith(stack, changes) as { config: Record<string, unknown> }).config).config;
}

describe("canary releases per stack", () => {
  for (const stack of STACKS) {
    const cfg = parseConfig(readStackConfig(stackFile(stack)).config);
    it(`${stack}: ${cfg.app.canary.enabled ? "a Rollout over the Deployment, its analysis, the controller" : "no canary: a plain rolling update"}`, async () => {
      const run = await runStack(stack);
      const chart = helmReleases(run).filter((r) => r.inputs.chart === ARGO_ROLLOUTS_CHART.chart);
      const [rollout, ...more] = cr(run, "Rollout");
      if (!cfg.app.canary.enabled) {
        assert.deepEqual([chart.length, cr(run, "Rollout").length, cr(run, "AnalysisTemplate").length], [0, 0, 0]);
        return;
      }
      assert.equal(chart.length, 1);
      assert.ok(rollout && more.length === 0);
      const deployment = ofType(run, "kubernetes:apps/v1:Deployment").find((d) => d.name === "inference")!;
      const spec = rollout.inputs.spec;
      assert.deepEqual(spec.workloadRef, { apiVersion: "apps/v1", kind: "Deployment", name: deployment.inputs.metadata.name, scaleDown: "progressively" });
      assert.deepEqual(spec.selector.matchLabels, deployment.inputs.spec.selector.matchLabels);
      assert.equal(deployment.inputs.spec.replicas, undefined, "Argo scales the Deployment, Pulumi does not");
      assert.ok(deployment.opts.ignoreChanges?.includes("spec.replicas"));
      // One setWeight, pause and analysis per configured step.
      assert.deepEqual(
        spec.strategy.canary.steps.filter((s: { setWeight?: number }) => s.setWeight !== undefined).map((s: { setWeight: number }) => s.setWeight),
        cfg.app.canary.steps.map((s) => s.weight),
      );
      assert.equal(spec.strategy.canary.steps.length, 3 * cfg.app.canary.steps.length);
      // CRDs come with the chart: every custom resource of the canary waits for it.
      for (const r of [rollout, ...cr(run, "AnalysisTemplate")]) assert.ok(r.opts.dependsOn.includes(chart[0]!.urn), `${r.name} must depend on the chart`);
      const names = analysisTemplateNames(deployment.inputs.metadata.name);
      const templates = Object.fromEntries(cr(run, "AnalysisTemplate").map((t) => [t.inputs.metadata.name, t.inputs.spec]));
      assert.deepEqual(Object.keys(templates).sort(), [names.background, names.step].sort());
      assert.ok(templates[names.step].metrics.every((m: { count?: number }) => m.count === cfg.app.canary.analysis.measurements));
      assert.ok(templates[names.background].metrics.every((m: { count?: number }) => m.count === undefined), "background analysis runs until the rollout ends");
      // KEDA scales the Rollout, which owns the pods.
      const scaled = run.resources.find((r) => r.type === "kubernetes:keda.sh/v1alpha1:ScaledObject");
      if (scaled) assert.deepEqual(scaled.inputs.spec.scaleTargetRef, { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: deployment.inputs.metadata.name });
      // The PodMonitor copies the labels that tell canary from stable onto the series.
      const podMonitor = run.resources.find((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PodMonitor")!;
      assert.deepEqual(podMonitor.inputs.spec.podTargetLabels, ["rollouts-pod-template-hash", "track"]);
    });
  }

  it("the CRD check would catch a misspelt Rollout field", async (t) => {
    if (!crdValidatorsByKind().has("argoproj.io/v1alpha1/Rollout")) return t.skip("no Argo Rollouts CRDs in ../shared/crds");
    const rollout = cr(await runStack("prod"), "Rollout")[0]!.inputs as { apiVersion: string; kind: string; spec: any };
    assert.equal(validateWithCrd(rollout), undefined);
    const bad = structuredClone(rollout);
    bad.spec.strategy.canary.stepz = bad.spec.strategy.canary.steps;
    assert.match(String(validateWithCrd(bad)), /additional properties/);
  });
});

describe("analysis queries", () => {
  const analysis = parseConfig(readStackConfig(stackFile("prod")).config).app.canary.analysis;
  const metrics = analysisMetrics({ namespace: "inference", job: "inference/inference" }, analysis);

  it("select the canary by its ReplicaSet's hash, gate every verdict on the request count, and compare p99 with stable", () => {
    assert.deepEqual(metrics.map((m) => m.name), ["error-ratio", "p99-latency-ratio", "shed-ratio"]);
    for (const m of metrics) {
      assert.ok(m.query.includes(`rollouts_pod_template_hash="{{args.${HASH_ARGS.canary}}}"`), m.name);
      assert.ok(m.query.includes(`>= ${analysis.minRequests})`), `${m.name} waits for ${analysis.minRequests} requests`);
    }
    assert.ok(metrics[1]!.query.includes(`rollouts_pod_template_hash="{{args.${HASH_ARGS.stable}}}"`));
    assert.ok(metrics[1]!.query.includes(`clamp_min(`));
  });

  it("conditions hold only for one sample, so no data is neither a pass nor a failure", () => {
    assert.deepEqual(metrics[0], {
      ...metrics[0],
      successCondition: `len(result) == 1 && result[0] <= ${analysis.maxErrorRatio}`,
      failureCondition: `len(result) == 1 && result[0] > ${analysis.maxErrorRatio}`,
    });
  });
});

describe("canary steps against pod counts", () => {
  it("staging and prod steps each move whole pods and keep a stable pod (at their fewest pods)", () => {
    assert.deepEqual(stepSplits([{ weight: 33, pause: "5m" }, { weight: 67, pause: "5m" }], 2).map((s) => [s.canary, s.stable]), [[1, 2], [2, 1]]);
    assert.deepEqual(
      stepSplits([25, 50, 75].map((weight) => ({ weight, pause: "10m" })), 3).map((s) => [s.canary, s.stable, s.trafficShare]),
      [[1, 3, 0.25], [2, 2, 0.5], [3, 1, 0.75]],
    );
  });

  const refused = (stack: StackName, changes: Record<string, unknown>, message: RegExp) =>
    assert.throws(() => parseConfig(configWith(stack, changes)), (e: unknown) => e instanceof ConfigError && message.test(e.message));

  it("refuses a step that adds no pod, weights that do not increase, too few pods, or no monitoring", () => {
    const canary = (steps: { weight: number; pause: string }[]) => ({ "app": { pools: ["cpu"], canary: { enabled: true, steps } } });
    refused("staging", canary([{ weight: 30, pause: "5m" }, { weight: 40, pause: "5m" }]), /app\.canary\.steps\[1\]\.weight: at 2 pods \(the fewest the app runs\), 40% gives 1 canary and 2 stable pods, no more than the step before/);
    refused("staging", canary([{ weight: 60, pause: "5m" }, { weight: 40, pause: "5m" }]), /weights must increase; 40 follows 60/);
    refused("dev", { "app": { pools: ["cpu"], canary: { enabled: true } } }, /a canary needs at least 2 pods beside each other; the app may run 0/);
    refused("staging", { monitoring: { enabled: false, alerts: { latencyP99Seconds: 0.5 } }, autoscaling: { enabled: false } }, /canary analysis reads Prometheus: enable monitoring too/);
  });
});
