// Pod autoscaling of the inference Deployment by KEDA: a ScaledObject whose
// Prometheus triggers read request latency, requests in flight per pod, CPU
// utilisation (and GPU utilisation on GPU pools). CPU comes from Prometheus too,
// so that no metrics-server is needed (EKS Auto Mode and kind ship none). KEDA
// drives one HPA; its behaviour scales out at once and in slowly. Node
// autoscaling follows from pending pods (Karpenter NodePools).
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { type AppSeries, latencyQuantile, podCpuUtilisation, podGpuUtilisation, totalDemand } from "../observability/promql.js";

export const KEDA_CHART = { chart: "keda", version: "2.20.2", repo: "https://kedacore.github.io/charts" } as const;

/** The autoscaling settings of a stack (stacks/*.yaml, autoscaling). */
export interface AutoscalingSettings {
  /** Fewest replicas; 0 lets the Deployment scale to zero outside `activeHours`. */
  minReplicas: number;
  /** Most replicas the autoscaler may run. */
  maxReplicas: number;
  /** Target p95 request latency in seconds; above it replicas grow in proportion. */
  latencyTargetSeconds: number;
  /** Target requests in flight (queued or computing) per pod. */
  inFlightPerPod: number;
  /** Target CPU utilisation of the pods' CPU requests, in percent. */
  cpuUtilizationPercent: number;
  /** Target mean GPU utilisation of the app's GPUs, in percent (GPU pools only). */
  gpuUtilizationPercent: number;
  /** How long lower recommendations must persist before pods are removed, in seconds. */
  scaleDownStabilizationSeconds: number;
  /** How often KEDA queries the triggers, in seconds. */
  pollingIntervalSeconds: number;
  /** Quiet seconds before scaling from one pod to zero (only with minReplicas 0). */
  cooldownSeconds: number;
  /** Cron window that holds at least one pod; required with minReplicas 0 (at zero no pod exports metrics to wake on). */
  activeHours?: { timezone: string; start: string; end: string };
}

/** What a ScaledObject scales and where its metrics live. */
export interface ScaledObjectTarget {
  /** The app's series (namespace and scrape job). */
  app: AppSeries;
  /** Deployment to scale, or whose Argo Rollout (same name) to scale. */
  deployment: string;
  /** The workload that owns the pods: the Deployment, or an Argo Rollout of the same name (default "Deployment"). */
  workload?: "Deployment" | "Rollout";
  /** Prometheus base URL the scaler queries. */
  prometheusUrl: string;
  /** Whether the app runs on GPU nodes (adds the GPU utilisation trigger). */
  gpu: boolean;
}

/** Name of the HPA that KEDA creates for the Deployment (alerts and dashboards select it). */
export function hpaName(deployment: string): string {
  return `keda-hpa-${deployment}`;
}

// NaN (no traffic: 0/0 in histogram_quantile) fails the `>= 0` filter, and an empty
// result becomes 0, so an idle service reads as "no pressure" instead of an error.
function orZero(expr: string): string {
  return `(${expr} >= 0) or vector(0)`;
}

/** The ScaledObject spec (keda.sh/v1alpha1) for one stack. */
export function scaledObjectSpec(target: ScaledObjectTarget, s: AutoscalingSettings) {
  // activationThreshold decides 0 <-> 1 (infra/serving/keda-activation.ts): requests wake the
  // app (any latency or work in flight), while an idle pod's own CPU or GPU use must not keep it
  // awake, so those triggers activate only at their scaling target.
  const prometheus = (name: string, metricType: "Value" | "AverageValue", query: string, threshold: number, activation: number) => ({
    type: "prometheus",
    name,
    metricType,
    metadata: { serverAddress: target.prometheusUrl, query, threshold: String(threshold), activationThreshold: String(activation) },
  });
  const triggers: { type: string; name: string; metricType?: string; metadata: Record<string, string> }[] = [
    // Latency is not additive: "Value" scales replicas by observed/target.
    prometheus("latency-p95", "Value", orZero(latencyQuantile(target.app, 0.95, "2m")), s.latencyTargetSeconds, 0),
    // Work in flight (plus what waits for admission) is additive: "AverageValue" asks for total/target replicas.
    prometheus("in-flight", "AverageValue", orZero(totalDemand(target.app)), s.inFlightPerPod, 0),
    prometheus("cpu", "Value", orZero(podCpuUtilisation(target.app.namespace, target.deployment, "2m")), s.cpuUtilizationPercent, s.cpuUtilizationPercent),
  ];
  if (target.gpu) {
    const gpu = orZero(podGpuUtilisation(target.app.namespace, target.deployment));
    triggers.push(prometheus("gpu-utilisation", "Value", gpu, s.gpuUtilizationPercent, s.gpuUtilizationPercent));
  }
  if (s.activeHours) {
    const { timezone, start, end } = s.activeHours;
    triggers.push({ type: "cron", name: "active-hours", metadata: { timezone, start, end, desiredReplicas: "1" } });
  }
  return {
    // A Rollout has the scale subresource KEDA's HPA needs; it, not the Deployment it references, owns the pods.
    scaleTargetRef:
      target.workload === "Rollout"
        ? { apiVersion: "argoproj.io/v1alpha1", kind: "Rollout", name: target.deployment }
        : { apiVersion: "apps/v1", kind: "Deployment", name: target.deployment },
    minReplicaCount: s.minReplicas,
    maxReplicaCount: s.maxReplicas,
    pollingInterval: s.pollingIntervalSeconds,
    cooldownPeriod: s.cooldownSeconds,
    advanced: {
      horizontalPodAutoscalerConfig: {
        name: hpaName(target.deployment),
        behavior: {
          // Out: at once, doubling or +4 pods every 15 s, whichever is more.
          scaleUp: {
            stabilizationWindowSeconds: 0,
            selectPolicy: "Max",
            policies: [
              { type: "Percent", value: 100, periodSeconds: 15 },
              { type: "Pods", value: 4, periodSeconds: 15 },
            ],
          },
          // In: only after the window, then one pod or 10% a minute, whichever is more.
          scaleDown: {
            stabilizationWindowSeconds: s.scaleDownStabilizationSeconds,
            selectPolicy: "Max",
            policies: [
              { type: "Pods", value: 1, periodSeconds: 60 },
              { type: "Percent", value: 10, periodSeconds: 60 },
            ],
          },
        },
      },
    },
    triggers,
  };
}

export interface AutoscalingArgs {
  /** Namespace of the app and its ScaledObject (required). */
  namespace: pulumi.Input<string>;
  /** Deployment to scale (required). */
  deploymentName: pulumi.Input<string>;
  /** Scrape job of the app's series, "<namespace>/<PodMonitor name>" (required). */
  job: pulumi.Input<string>;
  /** Prometheus base URL the scalers query (required). */
  prometheusUrl: pulumi.Input<string>;
  /** Scaling bounds, targets and windows (required). */
  settings: AutoscalingSettings;
  /** Whether the app runs on GPU nodes (default false). */
  gpu?: boolean;
  /** Namespace KEDA is installed into (default "keda"). */
  kedaNamespace?: string;
  /** Let Prometheus scrape KEDA's operator; needs the Prometheus operator's CRDs (default false). */
  scrapeKeda?: boolean;
  /** Scale the Argo Rollout of the same name instead of the Deployment (canary releases) (default "Deployment"). */
  workload?: "Deployment" | "Rollout";
}

export class Autoscaling extends pulumi.ComponentResource {
  /** Name of the HPA that KEDA maintains. */
  public readonly hpaName: pulumi.Output<string>;
  public readonly scaledObjectName: pulumi.Output<string>;

  constructor(name: string, args: AutoscalingArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-platform:infra:Autoscaling", name, {}, opts);
    const kedaNamespace = new k8s.core.v1.Namespace(`${name}-keda`, { metadata: { name: args.kedaNamespace ?? "keda" } }, { parent: this });
    const keda = new k8s.helm.v3.Release(
      `${name}-keda`,
      {
        name: KEDA_CHART.chart,
        chart: KEDA_CHART.chart,
        version: KEDA_CHART.version,
        repositoryOpts: { repo: KEDA_CHART.repo },
        namespace: kedaNamespace.metadata.name,
        values: args.scrapeKeda ? { prometheus: { operator: { enabled: true, serviceMonitor: { enabled: true } } } } : {},
      },
      { parent: this },
    );
    const spec = pulumi
      .all([args.namespace, args.deploymentName, args.job, args.prometheusUrl])
      .apply(([namespace, deployment, job, prometheusUrl]) =>
        scaledObjectSpec({ app: { namespace, job }, deployment, workload: args.workload ?? "Deployment", prometheusUrl, gpu: args.gpu ?? false }, args.settings),
      );
    const scaledObject = new k8s.apiextensions.CustomResource(
      `${name}-scaledobject`,
      {
        apiVersion: "keda.sh/v1alpha1",
        kind: "ScaledObject",
        metadata: { name: args.deploymentName, namespace: args.namespace },
        spec,
      },
      { parent: this, dependsOn: [keda] },
    );
    this.scaledObjectName = scaledObject.metadata.name;
    this.hpaName = pulumi.output(args.deploymentName).apply(hpaName);
    this.registerOutputs({ hpaName: this.hpaName, scaledObjectName: this.scaledObjectName });
  }
}
