// Monitoring of the platform: kube-prometheus-stack (Prometheus, Alertmanager,
// Grafana, kube-state-metrics, node exporter) sized by the stack, the app's
// PodMonitor, its alert rules as a PrometheusRule, its dashboard as a ConfigMap for
// Grafana's sidecar, and NVIDIA's DCGM exporter on GPU nodes.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { type AlertThresholds, alertRuleGroups } from "./alerts.js";
import { hpaName } from "../serving/autoscaling.js";
import { inferenceDashboard } from "./dashboards.js";
import { GPU_RESOURCE, POOL_LABEL } from "../cluster/gpu-node-pools.js";
import { NODE_POOL_LABELS, podMonitorJob, ROLLOUT_POD_LABELS } from "./promql.js";

export const KUBE_PROMETHEUS_STACK_CHART = {
  chart: "kube-prometheus-stack",
  version: "88.5.3",
  repo: "https://prometheus-community.github.io/helm-charts",
} as const;
export const DCGM_EXPORTER_CHART = {
  chart: "dcgm-exporter",
  version: "4.8.2",
  repo: "https://nvidia.github.io/dcgm-exporter/helm-charts",
} as const;

/** Namespace of the monitoring stack unless MonitoringArgs.namespace says otherwise. */
export const MONITORING_NAMESPACE = "monitoring";

/** Label (and value) by which Grafana's sidecar finds dashboard ConfigMaps (the chart's default). */
export const DASHBOARD_LABEL = { grafana_dashboard: "1" } as const;

/** The monitoring settings of a stack (stacks/*.yaml, monitoring). */
export interface MonitoringSettings {
  /** How long Prometheus keeps samples, e.g. "2d". */
  retention: string;
  /** Scrape and rule evaluation interval, e.g. "30s". */
  scrapeInterval: string;
  /** Prometheus replicas (each scrapes everything; 2 survive a node loss). */
  prometheusReplicas: number;
  /** CPU request of each Prometheus replica, e.g. "500m". */
  prometheusCpu: string;
  /** Memory request (and limit) of each Prometheus replica, e.g. "2Gi". */
  prometheusMemory: string;
  /** Persistent volume size per Prometheus replica; absent: samples live in an emptyDir and die with the pod. */
  prometheusStorage?: string;
  /** Persistent volume size for Grafana; absent: no persistence (dashboards are code anyway). */
  grafanaStorage?: string;
  /** Alert thresholds, the latency SLO included. */
  alerts: AlertThresholds;
}

/** The app as Monitoring sees it. */
export interface MonitoredApp {
  /** Namespace of the app. */
  namespace: pulumi.Input<string>;
  /** Name of its Deployment. */
  deploymentName: pulumi.Input<string>;
  /** Labels that select its pods. */
  podLabels: pulumi.Input<Record<string, string>>;
  /** Name of the container port that serves the metrics. */
  metricsPort: string;
  /** HTTP path of the Prometheus text, e.g. "/metrics". */
  metricsPath: string;
}

export interface MonitoringArgs {
  /** Sizing, retention and alert thresholds (required). */
  settings: MonitoringSettings;
  /** The app to scrape, alert on and chart (required). */
  app: MonitoredApp;
  /** Whether an autoscaler (KEDA's HPA) scales the app, which adds its alert and panel (default false). */
  autoscaled?: boolean;
  /** Whether the stack has GPU node pools: adds the DCGM exporter and the GPU memory alert (default false). */
  gpu?: boolean;
  /** Create a default gp3 EBS StorageClass for the volumes (EKS Auto Mode ships none) (default false). */
  ebsStorageClass?: boolean;
  /** Namespace of the monitoring stack (default "monitoring"). */
  namespace?: string;
  /** Whether node-exporter mounts the node's root file system, which needs / to be a shared mount (default true; rootIsSharedMount in infra/cluster/local-cluster.ts). */
  nodeRootFsMount?: boolean;
}

export class Monitoring extends pulumi.ComponentResource {
  /** In-cluster URL of Prometheus's HTTP API (the operator's governing Service). */
  public readonly prometheusUrl: pulumi.Output<string>;
  /** Scrape job of the app's series, "<namespace>/<PodMonitor name>". */
  public readonly appJob: pulumi.Output<string>;
  /** Grafana's admin password, a secret. */
  public readonly grafanaAdminPassword: pulumi.Output<string>;
  /** Namespace and Service of Grafana, for port-forward or an Ingress. */
  public readonly grafanaService: pulumi.Output<string>;

  constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-platform:infra:Monitoring", name, {}, opts);
    const s = args.settings;
    const ns = new k8s.core.v1.Namespace(`${name}-ns`, { metadata: { name: args.namespace ?? MONITORING_NAMESPACE } }, { parent: this });
    const namespace = ns.metadata.name;

    const password = new random.RandomPassword(`${name}-grafana-admin`, { length: 32, special: false }, { parent: this });
    const adminSecret = new k8s.core.v1.Secret(
      `${name}-grafana-admin`,
      {
        metadata: { name: "grafana-admin", namespace },
        type: "Opaque",
        stringData: { "admin-user": "admin", "admin-password": password.result },
      },
      { parent: this },
    );

    const storageClass = args.ebsStorageClass
      ? [
          new k8s.storage.v1.StorageClass(
            `${name}-gp3`,
            {
              metadata: { name: "gp3", annotations: { "storageclass.kubernetes.io/is-default-class": "true" } },
              provisioner: "ebs.csi.eks.amazonaws.com",
              volumeBindingMode: "WaitForFirstConsumer",
              reclaimPolicy: "Retain",
              allowVolumeExpansion: true,
              parameters: { type: "gp3", encrypted: "true" },
            },
            { parent: this },
          ),
        ]
      : [];

    const stack = new k8s.helm.v3.Release(
      `${name}-kube-prometheus-stack`,
      {
        name: KUBE_PROMETHEUS_STACK_CHART.chart,
        chart: KUBE_PROMETHEUS_STACK_CHART.chart,
        version: KUBE_PROMETHEUS_STACK_CHART.version,
        repositoryOpts: { repo: KUBE_PROMETHEUS_STACK_CHART.repo },
        namespace,
        values: kubePrometheusStackValues(s, adminSecret.metadata.name, args.nodeRootFsMount ?? true),
      },
      { parent: this, dependsOn: storageClass },
    );
    this.prometheusUrl = pulumi.interpolate`http://prometheus-operated.${namespace}.svc:9090`;
    // The grafana subchart names its Service "<release>-grafana".
    this.grafanaService = pulumi.interpolate`${namespace}/${KUBE_PROMETHEUS_STACK_CHART.chart}-grafana`;

    if (args.gpu) {
      new k8s.helm.v3.Release(
        `${name}-dcgm-exporter`,
        {
          name: DCGM_EXPORTER_CHART.chart,
          chart: DCGM_EXPORTER_CHART.chart,
          version: DCGM_EXPORTER_CHART.version,
          repositoryOpts: { repo: DCGM_EXPORTER_CHART.repo },
          namespace,
          values: dcgmExporterValues(s),
          // Its pods run only on GPU nodes, which Karpenter starts later or never: waiting for them fails `pulumi up`.
          skipAwait: true,
        },
        { parent: this, dependsOn: [stack] },
      );
    }

    const app = args.app;
    const crOpts = { parent: this, dependsOn: [stack] };
    const podMonitor = new k8s.apiextensions.CustomResource(
      `${name}-app`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PodMonitor",
        metadata: { name: app.deploymentName, namespace: app.namespace },
        spec: {
          selector: { matchLabels: app.podLabels },
          podMetricsEndpoints: [{ port: app.metricsPort, path: app.metricsPath, interval: s.scrapeInterval }],
          // Canary and stable pods of an Argo Rollout differ in these labels; copied onto every series.
          podTargetLabels: Object.values(ROLLOUT_POD_LABELS),
        },
      },
      crOpts,
    );
    this.appJob = pulumi.all([podMonitor.metadata.namespace, podMonitor.metadata.name]).apply(([n, m]) => podMonitorJob(n, m));

    const targets = pulumi.all([app.namespace, app.deploymentName, this.appJob]).apply(([appNamespace, deployment, job]) => ({
      app: { namespace: appNamespace, job },
      deployment,
      hpa: args.autoscaled ? hpaName(deployment) : undefined,
    }));
    new k8s.apiextensions.CustomResource(
      `${name}-alerts`,
      {
        apiVersion: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        metadata: { name: "inference-alerts", namespace: app.namespace },
        spec: targets.apply((t) => ({ groups: alertRuleGroups({ ...t, gpu: args.gpu ?? false }, s.alerts) })),
      },
      crOpts,
    );
    new k8s.core.v1.ConfigMap(
      `${name}-dashboard`,
      {
        metadata: { name: "inference-dashboard", namespace, labels: DASHBOARD_LABEL },
        data: {
          "inference-platform.json": targets.apply((t) =>
            JSON.stringify(inferenceDashboard({ ...t, latencySloSeconds: s.alerts.latencyP99Seconds })),
          ),
        },
      },
      { parent: this },
    );

    this.grafanaAdminPassword = pulumi.secret(password.result);
    this.registerOutputs({
      prometheusUrl: this.prometheusUrl,
      appJob: this.appJob,
      grafanaAdminPassword: this.grafanaAdminPassword,
      grafanaService: this.grafanaService,
    });
  }
}

/** Values for kube-prometheus-stack; every key exists in the chart's values.yaml (a test checks). */
export function kubePrometheusStackValues(s: MonitoringSettings, grafanaAdminSecret: pulumi.Input<string>, nodeRootFsMount: boolean) {
  const volume = (size: string) => ({
    volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: size } } } },
  });
  return {
    // Short, predictable object names.
    fullnameOverride: "kps",
    prometheus: {
      prometheusSpec: {
        replicas: s.prometheusReplicas,
        retention: s.retention,
        scrapeInterval: s.scrapeInterval,
        evaluationInterval: s.scrapeInterval,
        resources: { requests: { cpu: s.prometheusCpu, memory: s.prometheusMemory }, limits: { memory: s.prometheusMemory } },
        ...(s.prometheusStorage ? { storageSpec: volume(s.prometheusStorage) } : {}),
        // Select every ServiceMonitor, PodMonitor and PrometheusRule, not only those labelled with this release.
        serviceMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
      },
    },
    grafana: {
      admin: { existingSecret: grafanaAdminSecret, userKey: "admin-user", passwordKey: "admin-password" },
      persistence: s.grafanaStorage ? { enabled: true, size: s.grafanaStorage } : { enabled: false },
      sidecar: {
        dashboards: {
          enabled: true,
          label: Object.keys(DASHBOARD_LABEL)[0],
          labelValue: Object.values(DASHBOARD_LABEL)[0],
          searchNamespace: "ALL",
        },
      },
    },
    "kube-state-metrics": {
      // Export node pool labels on kube_node_labels so nodes can be counted per pool.
      metricLabelsAllowlist: [`nodes=[${NODE_POOL_LABELS.join(",")}]`],
    },
    // Without a shared / the runtime refuses the root mount and node-exporter never starts; without
    // the mount it still reads the node's /proc and /sys (mounted on their own), not its file systems.
    ...(nodeRootFsMount ? {} : { "prometheus-node-exporter": { hostRootFsMount: { enabled: false } } }),
    // Managed control planes (EKS) and kind do not expose these components to scraping.
    kubeControllerManager: { enabled: false },
    kubeScheduler: { enabled: false },
    kubeEtcd: { enabled: false },
    kubeProxy: { enabled: false },
  };
}

/** Values for NVIDIA's DCGM exporter: on GPU nodes only, scraped with its pod/namespace labels intact. */
export function dcgmExporterValues(s: MonitoringSettings) {
  return {
    serviceMonitor: { enabled: true, interval: s.scrapeInterval, honorLabels: true },
    // EKS Auto Mode's GPU nodes run Bottlerocket, where NVML is out of reach of an unprivileged
    // container: "Failed to initialize NVML" and a crash loop (NVIDIA/dcgm-exporter#279, where NVIDIA
    // says the exporter needs privileged access; bottlerocket-os/bottlerocket#3992). Without it the
    // GPU trigger reads 0 and the GPU alerts never fire.
    securityContext: { privileged: true, runAsNonRoot: false, runAsUser: 0 },
    tolerations: [{ key: GPU_RESOURCE, operator: "Exists", effect: "NoSchedule" }],
    affinity: {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchExpressions: [{ key: POOL_LABEL, operator: "Exists" }] }],
        },
      },
    },
  };
}
