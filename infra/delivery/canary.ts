// Canary releases of the inference service on Argo Rollouts: the controller (Helm
// chart, which installs its CRDs first), a Rollout that takes its pod template from
// the app's Deployment (workloadRef), and AnalysisTemplates whose Prometheus queries
// come from observability/promql.ts. A failed analysis aborts the rollout and the
// controller scales the canary away by itself; an inconclusive one (too little
// traffic) pauses it for a person.
//
// Why workloadRef and not a pod template of the Rollout's own: the Deployment stays
// the one pod template of the app, so the policy pack, the schema tests and the
// Pulumi diff keep checking it, and a release is still "change the Deployment's
// image"; the Rollout only decides how pods of the new template replace the old.
// The Deployment is scaled to zero by the controller (scaleDown: progressively,
// as the Rollout's pods become available), never by Pulumi.
// https://argo-rollouts.readthedocs.io/en/stable/migrating/#reference-deployment-from-rollout
//
// No traffic router: the NLB (and the Service) send every ready pod an equal share,
// so a step's weight is met by pod counts (canary-split.ts) and the real share is
// canary pods / all pods.
// https://argo-rollouts.readthedocs.io/en/stable/features/canary/ ("without traffic management")
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { checkCondition } from "./analysis-condition.js";
import { CANARY_MAX_SURGE, canarySplit, type CanarySplit } from "./canary-split.js";
import {
  type AppSeries,
  errorRatio,
  latencyRatio,
  ROLLOUT_HASH_LABEL,
  shedRatio,
  TRACK_LABEL,
  withMinimumRequests,
} from "../observability/promql.js";

export const ARGO_ROLLOUTS_CHART = { chart: "argo-rollouts", version: "2.41.0", repo: "https://argoproj.github.io/argo-helm" } as const;

/** One canary step: the canary's share of pods, then a hold before its analysis. */
export interface CanaryStep {
  /** Percent of pods that run the new version (1-99); the controller rounds to whole pods. */
  weight: number;
  /** How long to hold this share before the step's analysis, a Prometheus duration such as "5m". */
  pause: string;
}

/** When a canary passes (stacks/*.yaml, app.canary.analysis). */
export interface CanaryAnalysisSettings {
  /** Rate window of every analysis query, e.g. "5m". */
  window: string;
  /** Time between two measurements, e.g. "1m". */
  interval: string;
  /** Measurements each step's analysis takes before the rollout may go on. */
  measurements: number;
  /** Failed measurements a metric may have before the run fails and the rollout aborts. */
  failureLimit: number;
  /** Requests the canary (and, for latency, stable) must have answered in the window before any verdict. */
  minRequests: number;
  /** Highest fraction of canary requests answered 5xx. */
  maxErrorRatio: number;
  /** Highest canary p99 latency as a multiple of stable's. */
  maxP99Ratio: number;
  /** Stable's p99 counts as at least this many seconds, so that millisecond jitter is no regression. */
  p99FloorSeconds: number;
  /** Highest fraction of canary requests shed without inference (queue full, deadline). */
  maxShedRatio: number;
}

/** The canary settings of a stack (stacks/*.yaml, app.canary). */
export interface CanarySettings {
  /** Release through a canary (true) or a plain rolling update of the Deployment (false). */
  enabled: boolean;
  /** Canary steps, increasing weight; after the last, the new version takes all pods. */
  steps: CanaryStep[];
  analysis: CanaryAnalysisSettings;
}

/** Names of the arguments through which the Rollout passes the two ReplicaSets' pod-template hashes. */
export const HASH_ARGS = { canary: "canary-hash", stable: "stable-hash" } as const;

/** The analysis metrics, by name. */
export const ANALYSIS_METRICS = ["error-ratio", "p99-latency-ratio", "shed-ratio"] as const;

export interface AnalysisMetric {
  name: (typeof ANALYSIS_METRICS)[number];
  query: string;
  successCondition: string;
  failureCondition: string;
}

/**
 * The metrics every canary analysis measures. Each query returns nothing until the
 * canary (for latency, stable too) has answered `minRequests` in the window, and a
 * condition holds only for a one-sample answer, so thin or absent traffic is
 * Inconclusive (never a pass, never an abort). Series are told apart by the
 * rollouts-pod-template-hash pod label, which the PodMonitor copies onto them.
 */
export function analysisMetrics(app: AppSeries, a: CanaryAnalysisSettings): AnalysisMetric[] {
  const canary = hashSeries(app, `{{args.${HASH_ARGS.canary}}}`);
  const stable = hashSeries(app, `{{args.${HASH_ARGS.stable}}}`);
  const gated = (expr: string, ...who: AppSeries[]) => withMinimumRequests(expr, who, a.window, a.minRequests);
  const atMost = (name: AnalysisMetric["name"], query: string, max: number): AnalysisMetric => ({
    name,
    query,
    successCondition: `len(result) == 1 && result[0] <= ${max}`,
    failureCondition: `len(result) == 1 && result[0] > ${max}`,
  });
  const metrics = [
    atMost("error-ratio", gated(errorRatio(canary, a.window), canary), a.maxErrorRatio),
    atMost("p99-latency-ratio", gated(latencyRatio(canary, stable, 0.99, a.window, a.p99FloorSeconds), canary, stable), a.maxP99Ratio),
    atMost("shed-ratio", gated(shedRatio(canary, a.window), canary), a.maxShedRatio),
  ];
  for (const m of metrics) [m.successCondition, m.failureCondition].forEach(checkCondition);
  return metrics;
}

/** The app's series of one ReplicaSet, by its pod-template hash. */
export function hashSeries(app: AppSeries, hash: string): AppSeries {
  return { ...app, matchers: { ...app.matchers, [ROLLOUT_HASH_LABEL]: hash } };
}

/** AnalysisTemplate spec: `measurements` per step when `counted`, else measuring until the rollout ends (background). */
export function analysisTemplateSpec(app: AppSeries, prometheusUrl: string, a: CanaryAnalysisSettings, counted: boolean) {
  return {
    args: [{ name: HASH_ARGS.canary }, { name: HASH_ARGS.stable }],
    metrics: analysisMetrics(app, a).map((m) => ({
      name: m.name,
      interval: a.interval,
      ...(counted ? { count: a.measurements } : {}),
      failureLimit: a.failureLimit,
      successCondition: m.successCondition,
      failureCondition: m.failureCondition,
      provider: { prometheus: { address: prometheusUrl, query: m.query } },
    })),
  };
}

/** Names of the two AnalysisTemplates of a Rollout. */
export function analysisTemplateNames(rollout: string): { step: string; background: string } {
  return { step: `${rollout}-canary-step`, background: `${rollout}-canary-background` };
}

const hashArgs = [
  { name: HASH_ARGS.canary, valueFrom: { podTemplateHashValue: "Latest" } },
  { name: HASH_ARGS.stable, valueFrom: { podTemplateHashValue: "Stable" } },
];

/** The canary strategy's steps: per configured step, set the weight, hold, then analyse. */
export function canarySteps(rollout: string, steps: CanaryStep[]) {
  const template = analysisTemplateNames(rollout).step;
  return steps.flatMap((s) => [
    { setWeight: s.weight },
    { pause: { duration: s.pause } },
    { analysis: { templates: [{ templateName: template }], args: hashArgs } },
  ]);
}

export interface RolloutTarget {
  /** Name of the Rollout, the Deployment it references, and their pods' name prefix. */
  name: string;
  /** Labels that select the app's pods (the Deployment's selector). */
  selector: Record<string, string>;
  /** Replica count; undefined when an autoscaler scales the Rollout. */
  replicas?: number | undefined;
}

/** The Rollout spec (argoproj.io/v1alpha1). */
export function rolloutSpec(target: RolloutTarget, s: CanarySettings) {
  const names = analysisTemplateNames(target.name);
  return {
    ...(target.replicas === undefined ? {} : { replicas: target.replicas }),
    revisionHistoryLimit: 5,
    minReadySeconds: 5,
    selector: { matchLabels: target.selector },
    workloadRef: { apiVersion: "apps/v1", kind: "Deployment", name: target.name, scaleDown: "progressively" },
    // A canary whose pods never become ready is aborted, not left half-way.
    progressDeadlineSeconds: 600,
    progressDeadlineAbort: true,
    strategy: {
      canary: {
        maxSurge: CANARY_MAX_SURGE,
        maxUnavailable: 0,
        // Ephemeral labels, moved by the controller on promotion: dashboards and alerts group by them.
        canaryMetadata: { labels: { [TRACK_LABEL]: "canary" } },
        stableMetadata: { labels: { [TRACK_LABEL]: "stable" } },
        // Background analysis from the first analysis step on, when the canary has had one hold of traffic.
        analysis: { templates: [{ templateName: names.background }], args: hashArgs, startingStep: 2 },
        steps: canarySteps(target.name, s.steps),
      },
    },
  };
}

/** Pods and traffic share of each step at `replicas` pods, as the controller will size them. */
export function stepSplits(steps: CanaryStep[], replicas: number): (CanaryStep & CanarySplit)[] {
  return steps.map((s) => ({ ...s, ...canarySplit(replicas, s.weight, CANARY_MAX_SURGE) }));
}

/** Values for the argo-rollouts chart; every key exists in the chart's values.yaml (a test checks). */
export function argoRolloutsValues(scrape: boolean) {
  return {
    // The chart installs the Rollout / AnalysisTemplate / AnalysisRun CRDs and keeps them on uninstall.
    installCRDs: true,
    keepCRDs: true,
    controller: {
      replicas: 1,
      metrics: { enabled: scrape, serviceMonitor: { enabled: scrape } },
    },
    dashboard: { enabled: false },
  };
}

export interface CanaryArgs {
  /** Namespace of the app (required). */
  namespace: pulumi.Input<string>;
  /** The app's Deployment; the Rollout takes its name and pod template (required). */
  deploymentName: pulumi.Input<string>;
  /** Labels that select the app's pods (required). */
  selector: Record<string, string>;
  /** Replica count; leave undefined when an autoscaler scales the Rollout (default undefined). */
  replicas?: number;
  /** Scrape job of the app's series, "<namespace>/<PodMonitor name>" (required). */
  job: pulumi.Input<string>;
  /** Prometheus base URL the analysis queries (required). */
  prometheusUrl: pulumi.Input<string>;
  /** Steps and analysis thresholds (required). */
  settings: CanarySettings;
  /** Let Prometheus scrape the controller; needs the Prometheus operator's CRDs (default false). */
  scrapeController?: boolean;
  /** Namespace of the Argo Rollouts controller (default "argo-rollouts"). */
  controllerNamespace?: string;
}

export class Canary extends pulumi.ComponentResource {
  public readonly rolloutName: pulumi.Output<string>;

  constructor(name: string, args: CanaryArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-platform:infra:Canary", name, {}, opts);
    const ns = new k8s.core.v1.Namespace(`${name}-argo-rollouts`, { metadata: { name: args.controllerNamespace ?? "argo-rollouts" } }, { parent: this });
    const controller = new k8s.helm.v3.Release(
      `${name}-argo-rollouts`,
      {
        name: ARGO_ROLLOUTS_CHART.chart,
        chart: ARGO_ROLLOUTS_CHART.chart,
        version: ARGO_ROLLOUTS_CHART.version,
        repositoryOpts: { repo: ARGO_ROLLOUTS_CHART.repo },
        namespace: ns.metadata.name,
        values: argoRolloutsValues(args.scrapeController ?? false),
      },
      { parent: this },
    );
    // Custom resources wait for the release, which installs their CRDs.
    const afterCrds = { parent: this, dependsOn: [controller] };
    const app = pulumi.all([args.namespace, args.job]).apply(([namespace, job]) => ({ namespace, job }));
    const templates = pulumi.output(args.deploymentName).apply(analysisTemplateNames);
    const template = (key: "step" | "background") =>
      new k8s.apiextensions.CustomResource(
        `${name}-analysis-${key}`,
        {
          apiVersion: "argoproj.io/v1alpha1",
          kind: "AnalysisTemplate",
          metadata: { name: templates[key], namespace: args.namespace },
          spec: pulumi
            .all([app, args.prometheusUrl])
            .apply(([a, url]) => analysisTemplateSpec(a, url, args.settings.analysis, key === "step")),
        },
        afterCrds,
      );
    const analysis = [template("step"), template("background")];
    const rollout = new k8s.apiextensions.CustomResource(
      `${name}-rollout`,
      {
        apiVersion: "argoproj.io/v1alpha1",
        kind: "Rollout",
        metadata: { name: args.deploymentName, namespace: args.namespace, labels: args.selector },
        spec: pulumi
          .output(args.deploymentName)
          .apply((deployment) => rolloutSpec({ name: deployment, selector: args.selector, replicas: args.replicas }, args.settings)),
      },
      // An autoscaler owns spec.replicas when replicas is left out.
      { ...afterCrds, dependsOn: [controller, ...analysis], ...(args.replicas === undefined ? { ignoreChanges: ["spec.replicas"] } : {}) },
    );
    this.rolloutName = rollout.metadata.name;
    this.registerOutputs({ rolloutName: this.rolloutName });
  }
}
