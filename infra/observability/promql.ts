// PromQL shared by alerts, dashboards and autoscalers: one builder per signal, so
// that the alert on p99 latency and the panel that shows it cannot drift apart.
// App series names come from the app's own definition (METRICS); the names of
// series that other exporters provide (kube-state-metrics, DCGM) live here.
import { METRICS } from "../../app/src/observability/metric-names.js";

/** Series of kube-state-metrics (kube-prometheus-stack) that the platform reads. */
export const KUBE_METRICS = {
  deploymentUnavailable: "kube_deployment_status_replicas_unavailable",
  deploymentAvailable: "kube_deployment_status_replicas_available",
  deploymentSpecReplicas: "kube_deployment_spec_replicas",
  hpaCurrentReplicas: "kube_horizontalpodautoscaler_status_current_replicas",
  hpaDesiredReplicas: "kube_horizontalpodautoscaler_status_desired_replicas",
  hpaMaxReplicas: "kube_horizontalpodautoscaler_spec_max_replicas",
  podResourceRequests: "kube_pod_container_resource_requests",
  /** Carries node labels as label_<name> for the keys in metricLabelsAllowlist. */
  nodeLabels: "kube_node_labels",
} as const;

/** Series of the kubelet's cAdvisor (kube-prometheus-stack scrapes it). */
export const CADVISOR_METRICS = {
  cpuUsage: "container_cpu_usage_seconds_total",
} as const;

/** Series of NVIDIA's DCGM exporter (labels gpu, UUID, Hostname, and pod/namespace of the GPU's user). */
export const DCGM_METRICS = {
  gpuUtil: "DCGM_FI_DEV_GPU_UTIL",
  framebufferUsed: "DCGM_FI_DEV_FB_USED",
  framebufferFree: "DCGM_FI_DEV_FB_FREE",
} as const;

/** Node labels kube-state-metrics exports on kube_node_labels, so nodes can be counted by pool. */
export const NODE_POOL_LABELS = ["karpenter.sh/nodepool", "eks.amazonaws.com/nodegroup"] as const;

/** kube_node_labels spells node label `a.b/c-d` as `label_a_b_c_d`. */
export function nodeLabelSeriesLabel(nodeLabel: string): string {
  return `label_${nodeLabel.replace(/[^a-zA-Z0-9_]/g, "_")}`;
}

/** Where the app's series come from: the scrape job of its PodMonitor in its namespace. */
export interface AppSeries {
  /** Namespace the app's pods run in. */
  namespace: string;
  /** Value of the `job` label Prometheus gives the app's targets. */
  job: string;
  /** Further label matchers, e.g. one ReplicaSet's pod-template hash (default none). */
  matchers?: Record<string, string>;
}

/**
 * Pod labels the app's PodMonitor copies onto its series (podTargetLabels), so that
 * canary and stable pods can be told apart: Argo Rollouts' pod-template hash of each
 * ReplicaSet, and the track ("canary" / "stable") its ephemeral metadata sets.
 */
export const ROLLOUT_POD_LABELS = { hash: "rollouts-pod-template-hash", track: "track" } as const;

/**
 * The series label the Prometheus operator makes of a pod label in podTargetLabels:
 * every character outside [a-zA-Z0-9_] becomes "_" (sanitizeLabelName,
 * prometheus-operator pkg/prometheus/promcfg.go).
 */
export function podLabelSeriesLabel(podLabel: string): string {
  return podLabel.replace(/[^a-zA-Z0-9_]/g, "_");
}

export const ROLLOUT_HASH_LABEL = podLabelSeriesLabel(ROLLOUT_POD_LABELS.hash);
export const TRACK_LABEL = podLabelSeriesLabel(ROLLOUT_POD_LABELS.track);

/** The job label the Prometheus operator gives targets of a PodMonitor: "<namespace>/<name>". */
export function podMonitorJob(namespace: string, podMonitorName: string): string {
  return `${namespace}/${podMonitorName}`;
}

/** `{a="x",b=~"y"}` from label matchers; values are escaped for PromQL strings. */
export function selector(matchers: Record<string, string>): string {
  const parts = Object.entries(matchers).map(([label, value]) => {
    const op = value.startsWith("~") ? "=~" : value.startsWith("!") ? "!=" : "=";
    const raw = op === "=" ? value : value.slice(1);
    return `${label}${op}${JSON.stringify(raw)}`;
  });
  return `{${parts.join(",")}}`;
}

function appSelector(app: AppSeries, extra: Record<string, string> = {}): string {
  return selector({ namespace: app.namespace, job: app.job, ...app.matchers, ...extra });
}

/** Requests per second, optionally grouped. */
export function requestRate(app: AppSeries, window: string, by: string[] = []): string {
  return `sum${groupBy(by)}(rate(${METRICS.requestDuration}_count${appSelector(app)}[${window}]))`;
}

/** Quantile `q` of end-to-end request latency in seconds (grouped by `by`, e.g. model). */
export function latencyQuantile(app: AppSeries, q: number, window: string, by: string[] = []): string {
  return histogramQuantile(METRICS.requestDuration, app, q, window, by);
}

/** Quantile `q` of the time requests waited in the batch queue, in seconds. */
export function queueWaitQuantile(app: AppSeries, q: number, window: string, by: string[] = []): string {
  return histogramQuantile(METRICS.queueWait, app, q, window, by);
}

/** Mean rows per executed batch. */
export function meanBatchSize(app: AppSeries, window: string, by: string[] = []): string {
  const sel = appSelector(app);
  return (
    `sum${groupBy(by)}(rate(${METRICS.batchSize}_sum${sel}[${window}]))` +
    ` / sum${groupBy(by)}(rate(${METRICS.batchSize}_count${sel}[${window}]))`
  );
}

/** Requests answered in the window (all of them, every status), as one number. */
export function requestCount(app: AppSeries, window: string): string {
  return `sum(increase(${METRICS.requestDuration}_count${appSelector(app)}[${window}]))`;
}

/**
 * `part` per request, by `by`: 0 (not empty) for a group that answered requests but
 * has no `part` series yet, empty for a group with no requests in the window.
 */
function perRequest(part: string, app: AppSeries, window: string, by: string[]): string {
  const requests = requestRate(app, window, by);
  return `(${part} or 0 * ${requests}) / ${requests}`;
}

/** Fraction of requests answered with a 5xx status (load shedding included: the client sees it). */
export function errorRatio(app: AppSeries, window: string, by: string[] = []): string {
  return perRequest(`sum${groupBy(by)}(rate(${METRICS.requestDuration}_count${appSelector(app, { status: "~5.." })}[${window}]))`, app, window, by);
}

/** Requests shed without inference per second (queue full or deadline passed; draining is routine). */
export function shedRate(app: AppSeries, window: string, by: string[] = []): string {
  return `sum${groupBy(by)}(rate(${METRICS.rejected}${appSelector(app, { reason: "!draining" })}[${window}]))`;
}

/** Fraction of requests shed without inference (queue full or deadline passed). */
export function shedRatio(app: AppSeries, window: string, by: string[] = []): string {
  return perRequest(shedRate(app, window, by), app, window, by);
}

/**
 * p`q` latency of `candidate` as a multiple of `baseline`'s, whose quantile counts
 * as at least `floorSeconds`: below it, bucket interpolation and scheduling jitter
 * would pass for a regression.
 */
export function latencyRatio(candidate: AppSeries, baseline: AppSeries, q: number, window: string, floorSeconds: number): string {
  return `${latencyQuantile(candidate, q, window)} / clamp_min(${latencyQuantile(baseline, q, window)}, ${floorSeconds})`;
}

/** `expr`, but empty until each of `apps` has answered at least `min` requests in the window. */
export function withMinimumRequests(expr: string, apps: AppSeries[], window: string, min: number): string {
  return [`(${expr})`, ...apps.map((a) => `(${requestCount(a, window)} >= ${min})`)].join(" and on() ");
}

/** Requests waiting in the batch queue, per pod (all models of a pod together). */
export function queueDepthPerPod(app: AppSeries): string {
  return `sum by (pod) (${METRICS.queueDepth}${appSelector(app)})`;
}

/** Requests accepted and not yet answered, summed over all pods of the app. */
export function totalInFlight(app: AppSeries): string {
  return `sum(${METRICS.inFlight}${appSelector(app)})`;
}

/**
 * The demand on the app: requests in flight plus those waiting for admission. Under overload
 * admission control caps in-flight at its limit, so in-flight alone would stop rising exactly
 * when more pods are needed (docs/app.md, Admission control). No waiting series (ADMISSION=off) counts as 0.
 */
export function totalDemand(app: AppSeries): string {
  return `${totalInFlight(app)} + (sum(${METRICS.admissionWaiting}${appSelector(app)}) or vector(0))`;
}

/** Result-cache hits over lookups, per backend. */
export function cacheHitRatio(app: AppSeries, window: string): string {
  const sel = appSelector(app);
  return (
    `sum by (backend) (rate(${METRICS.cacheHits}${sel}[${window}]))` +
    ` / (sum by (backend) (rate(${METRICS.cacheHits}${sel}[${window}])) + sum by (backend) (rate(${METRICS.cacheMisses}${sel}[${window}])))`
  );
}

/**
 * Failed Redis cache operations per cache lookup. Whether the app also counts a
 * failed lookup as a miss or not, a Redis outage drives this to 1 or more and a
 * healthy cache keeps it near 0; with no traffic it is NaN and compares false.
 */
export function cacheErrorRatio(app: AppSeries, window: string): string {
  const sel = appSelector(app, { backend: "redis" });
  return (
    `sum(rate(${METRICS.cacheErrors}${sel}[${window}]))` +
    ` / (sum(rate(${METRICS.cacheHits}${sel}[${window}])) + sum(rate(${METRICS.cacheMisses}${sel}[${window}])))`
  );
}

/** Deployment replicas that are not available (kube-state-metrics). */
export function unavailableReplicas(namespace: string, deployment: string): string {
  return `${KUBE_METRICS.deploymentUnavailable}${selector({ namespace, deployment })}`;
}

function hpaSelector(namespace: string, hpa: string): string {
  return selector({ namespace, horizontalpodautoscaler: hpa });
}

/** Series present (value = current replicas) while the HPA runs at its maximum. */
export function hpaAtMax(namespace: string, hpa: string): string {
  const sel = hpaSelector(namespace, hpa);
  return `${KUBE_METRICS.hpaCurrentReplicas}${sel} >= ${KUBE_METRICS.hpaMaxReplicas}${sel}`;
}

/** Desired and maximum replicas of the HPA, one expression each. */
export function hpaReplicas(namespace: string, hpa: string): { desired: string; max: string } {
  const sel = hpaSelector(namespace, hpa);
  return {
    desired: `${KUBE_METRICS.hpaDesiredReplicas}${sel}`,
    max: `${KUBE_METRICS.hpaMaxReplicas}${sel}`,
  };
}

/** Pods of a Deployment, by name: "<deployment>-<replicaset hash>-<pod hash>". */
export function deploymentPods(deployment: string): string {
  return `~${deployment}-[a-z0-9]+-[a-z0-9]+`;
}

/** CPU used by the Deployment's pods as a percentage of what they request (the HPA's CPU utilisation, from Prometheus). */
export function podCpuUtilisation(namespace: string, deployment: string, window: string): string {
  const pods = { namespace, pod: deploymentPods(deployment) };
  return (
    `100 * sum(rate(${CADVISOR_METRICS.cpuUsage}${selector({ ...pods, container: "!" })}[${window}]))` +
    ` / sum(${KUBE_METRICS.podResourceRequests}${selector({ ...pods, resource: "cpu" })})`
  );
}

/** Mean GPU utilisation (percent) of the GPUs that the Deployment's pods use. */
export function podGpuUtilisation(namespace: string, deployment: string): string {
  return `avg(${DCGM_METRICS.gpuUtil}${selector({ namespace, pod: deploymentPods(deployment) })})`;
}

/** Fraction of each GPU's framebuffer memory in use. */
export function gpuMemoryUsedRatio(): string {
  const { framebufferUsed: used, framebufferFree: free } = DCGM_METRICS;
  return `${used} / (${used} + ${free})`;
}

/** Nodes per pool (Karpenter NodePool or EKS managed node group). */
export function nodesByPool(): string {
  return `count by (${NODE_POOL_LABELS.map(nodeLabelSeriesLabel).join(", ")}) (${KUBE_METRICS.nodeLabels})`;
}

function histogramQuantile(metric: string, app: AppSeries, q: number, window: string, by: string[]): string {
  return `histogram_quantile(${q}, sum by (${["le", ...by].join(", ")}) (rate(${metric}_bucket${appSelector(app)}[${window}])))`;
}

function groupBy(by: string[]): string {
  return by.length > 0 ? ` by (${by.join(", ")}) ` : "";
}
