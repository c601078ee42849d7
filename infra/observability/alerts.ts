// Alert rules of the inference service, built from the stack's thresholds. The
// same groups become the PrometheusRule custom resource (Monitoring) and the rule
// file that promtool checks and unit-tests, so what is tested is what is deployed.
import { stringify } from "yaml";
import {
  type AppSeries,
  cacheErrorRatio,
  errorRatio,
  gpuMemoryUsedRatio,
  hpaAtMax,
  latencyQuantile,
  queueDepthPerPod,
  shedRate,
  TRACK_LABEL,
  unavailableReplicas,
} from "./promql.js";

/** Thresholds of the alerts; each stack sets its own (stacks/*.yaml, monitoring.alerts). */
export interface AlertThresholds {
  /** Latency SLO: alert when a model's p99 request latency stays above this many seconds. */
  latencyP99Seconds: number;
  /** Alert when the fraction of requests answered 5xx stays above this (0..1). */
  errorRatio: number;
  /** Alert when a pod's batch queue holds more than this many requests on average. */
  queueDepthPerPod: number;
  /** Alert when more than this many requests per second are shed (admission: waiting_full, wait_timeout; queue full, deadline). */
  shedPerSecond: number;
  /** Alert when failed Redis operations per cache lookup stay above this. */
  cacheErrorRatio: number;
  /** Alert when a GPU's framebuffer memory stays fuller than this fraction (0..1). */
  gpuMemoryRatio: number;
}

/** What the rules watch. */
export interface AlertTarget {
  /** The app's series (namespace and scrape job). */
  app: AppSeries;
  /** The app's Deployment name (kube-state-metrics `deployment` label). */
  deployment: string;
  /** Name of the HorizontalPodAutoscaler that scales the Deployment, if one does (adds the at-max alert). */
  hpa?: string | undefined;
  /** Whether the stack runs GPU nodes (adds the GPU memory alert). */
  gpu: boolean;
}

export interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: AlertRule[];
}

/** Names of every alert the platform defines, for docs and tests. */
export const ALERT_NAMES = [
  "InferenceLatencyP99AboveSLO",
  "InferenceErrorRatioHigh",
  "InferenceQueueSaturated",
  "InferenceLoadShedding",
  "InferenceCacheUnavailable",
  "InferencePodsNotReady",
  "InferenceAutoscalerAtMax",
  "InferenceGpuMemoryPressure",
] as const;
export type AlertName = (typeof ALERT_NAMES)[number];

// Rate windows and hold times: 5 minutes of evidence before paging anyone, longer
// for conditions that are normal for a while (rollouts, a burst at max replicas).
const WINDOW = "5m";
// Request alerts fire per model and per track, so a canary's regression pages as the canary's.
const BY_MODEL = ["model", TRACK_LABEL];

function rule(
  alert: AlertName,
  expr: string,
  holdFor: string,
  severity: "warning" | "critical",
  summary: string,
  description: string,
): AlertRule {
  return { alert, expr, for: holdFor, labels: { severity, component: "inference" }, annotations: { summary, description } };
}

/** The alert rule groups for one stack; thresholds are validated by the stack config. */
export function alertRuleGroups(target: AlertTarget, t: AlertThresholds): RuleGroup[] {
  const { app, deployment, hpa } = target;
  const rules: AlertRule[] = [
    rule(
      "InferenceLatencyP99AboveSLO",
      `${latencyQuantile(app, 0.99, WINDOW, BY_MODEL)} > ${t.latencyP99Seconds}`,
      "5m",
      "warning",
      "p99 latency of model {{ $labels.model }} is above the SLO",
      `p99 request latency is {{ $value | humanizeDuration }}; the SLO is ${t.latencyP99Seconds}s.`,
    ),
    rule(
      "InferenceErrorRatioHigh",
      `${errorRatio(app, WINDOW, BY_MODEL)} > ${t.errorRatio}`,
      "5m",
      "critical",
      "Model {{ $labels.model }} answers too many requests with 5xx",
      `{{ $value | humanizePercentage }} of requests failed; the threshold is ${percent(t.errorRatio)}.`,
    ),
    rule(
      "InferenceQueueSaturated",
      `avg_over_time((${queueDepthPerPod(app)})[${WINDOW}:]) > ${t.queueDepthPerPod}`,
      "5m",
      "warning",
      "Batch queue of pod {{ $labels.pod }} stays long",
      `{{ $value }} requests wait on average; the threshold is ${t.queueDepthPerPod}. Scaling is not keeping up.`,
    ),
    rule(
      "InferenceLoadShedding",
      `${shedRate(app, WINDOW, [...BY_MODEL, "reason"])} > ${t.shedPerSecond}`,
      "5m",
      "critical",
      "Model {{ $labels.model }} sheds load ({{ $labels.reason }})",
      `{{ $value | humanize }} requests/s are rejected without inference; the threshold is ${t.shedPerSecond}/s.`,
    ),
    rule(
      "InferenceCacheUnavailable",
      `${cacheErrorRatio(app, WINDOW)} > ${t.cacheErrorRatio}`,
      "5m",
      "warning",
      "Redis result cache is failing; requests are served without it",
      `{{ $value | humanize }} failed Redis operations per lookup; the threshold is ${t.cacheErrorRatio}.`,
    ),
    rule(
      "InferencePodsNotReady",
      `${unavailableReplicas(app.namespace, deployment)} > 0`,
      "10m",
      "critical",
      `Deployment ${deployment} has pods that are not ready`,
      "{{ $value }} replicas have been unavailable for 10 minutes.",
    ),
  ];
  if (hpa) {
    rules.push(
      rule(
        "InferenceAutoscalerAtMax",
        hpaAtMax(app.namespace, hpa),
        "15m",
        "warning",
        `Autoscaler ${hpa} has been at its maximum replicas for 15 minutes`,
        "{{ $value }} replicas run and the autoscaler may not add more; raise autoscaling.maxReplicas or the node pool limits.",
      ),
    );
  }
  if (target.gpu) {
    rules.push(
      rule(
        "InferenceGpuMemoryPressure",
        `${gpuMemoryUsedRatio()} > ${t.gpuMemoryRatio}`,
        "10m",
        "warning",
        "GPU {{ $labels.gpu }} on {{ $labels.Hostname }} is nearly out of memory",
        `{{ $value | humanizePercentage }} of framebuffer memory is used; the threshold is ${percent(t.gpuMemoryRatio)}.`,
      ),
    );
  }
  return [{ name: "inference-platform.alerts", rules }];
}

function percent(ratio: number): string {
  return `${Number((ratio * 100).toPrecision(6))}%`;
}

/** The rule groups as a Prometheus rule file (what promtool reads). */
export function ruleFileYaml(groups: RuleGroup[]): string {
  return stringify({ groups });
}
