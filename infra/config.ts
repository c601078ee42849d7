// The whole stack configuration, parsed once into a typed, validated object.
// Per-environment defaults live in DEFAULTS below (the one place where dev, staging
// and prod differ by default); a stack file overrides them key by key. A bad value
// stops the program before any resource exists, with one message naming the key,
// the value and what is allowed.
import { z } from "zod";
import { CANARY_MAX_SURGE, canarySplit } from "./delivery/canary-split.js";
import { GPU_FAMILIES, gpuCountsOf } from "./cluster/instance-types.js";
import { AUTO_MODE_MAX_NODE_HOURS, durationHours, placeReplicas } from "./cluster/karpenter-rules.js";
import { spotNoticeProblem, TERMINATION_MARGIN_SECONDS } from "./serving/rollout-timing.js";
import { CLUSTER_NAME_DEFAULTS, hostPlatform, LOCAL_CLUSTERS } from "./cluster/local-cluster.js";

export const PROJECT = "inference-platform";

/** Namespaces other than ours that a stack file may set (providers' own settings). */
const FOREIGN_NAMESPACES = ["aws", "kubernetes", "pulumi"] as const;

export const ENVIRONMENTS = ["local", "dev", "staging", "prod"] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/** A strict object whose unknown-key error lists the keys that are allowed. */
function obj<T extends z.ZodRawShape>(shape: T) {
  return z.strictObject(shape, {
    error: (iss) =>
      iss.code === "unrecognized_keys"
        ? `unknown key ${iss.keys.map((k) => `"${k}"`).join(", ")}; allowed: ${Object.keys(shape).join(", ")}`
        : undefined,
  });
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

/** Parses "a.b.c.d/n"; undefined when it is not an IPv4 CIDR with its host bits zero. */
export function parseCidr(text: string): { address: number; prefix: number } | undefined {
  const m = IPV4_CIDR.exec(text);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const hostBits = 2 ** (32 - prefix);
  if (address % hostBits !== 0) return undefined;
  return { address, prefix };
}

const cidr = (min = 0, max = 32) =>
  z.string().refine(
    (s) => {
      const c = parseCidr(s);
      return c !== undefined && c.prefix >= min && c.prefix <= max;
    },
    { message: `not an IPv4 CIDR a.b.c.d/n with n in ${min}..${max} and zero host bits` },
  );

const k8sName = z
  .string()
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, "must be a DNS-1123 label (lower-case letters, digits, '-')")
  .max(63);

const quantity = z
  .string()
  .regex(/^\d+(\.\d+)?(m|Ki|Mi|Gi|Ti)?$/, "must be a Kubernetes quantity such as 500m, 2, 512Mi, 4Gi");
const cpuQuantity = z.string().regex(/^\d+(\.\d+)?m?$/, "must be a CPU quantity in cores or millicores such as 2, 1.5, 500m");

const Network = obj({
  cidr: cidr(16, 22),
  azCount: z.number().int().min(2).max(3),
  natGateways: z.enum(["single", "one-per-az"]),
});

const roleArn = z.string().regex(/^arn:aws:iam::\d{12}:role\/.+$/, "must be an IAM role ARN");
/** A CI role's ARN, required in every AWS stack: without its access entry CI cannot reach a cluster a person created. */
const ciRoleArn = (key: string, role: string) =>
  z
    .string({
      error: (iss) =>
        iss.input === undefined
          ? `required: the ARN of CI's ${role} role, which gets an EKS access entry (docs/delivery.md, Setting up CI), e.g. cluster.${key}: arn:aws:iam::<account>:role/<name>`
          : undefined,
    })
    .regex(/^arn:aws:iam::\d{12}:role\/.+$/, "must be an IAM role ARN");

const Cluster = obj({
  name: k8sName,
  version: z.string().regex(/^1\.\d{2}$/, 'must be a Kubernetes minor version such as "1.33"'),
  publicEndpoint: z.boolean(),
  publicAccessCidrs: z.array(cidr()).min(1),
  adminRoleArns: z.array(roleArn),
  /** CI's deploy role (pulumi up, promote, rollback): cluster-admin by access entry. No default: every AWS stack names it. */
  deployRoleArn: ciRoleArn("deployRoleArn", "deploy"),
  /** CI's read-only preview role (pull requests): read access, Secrets included, by access entry. No default. */
  previewRoleArn: ciRoleArn("previewRoleArn", "read-only preview"),
});

const GpuPool = obj({
  name: k8sName,
  instanceFamilies: z
    .array(
      z.string().refine((f) => GPU_FAMILIES.includes(f), {
        message: `not a GPU instance family; allowed: ${GPU_FAMILIES.join(", ")}`,
      }),
    )
    .min(1),
  gpuCount: z.number().int().min(1).max(8),
  capacityTypes: z.array(z.enum(["spot", "on-demand"])).min(1),
  maxGpus: z.number().int().min(1),
  labels: z.record(z.string(), z.string()),
  consolidateAfter: z.string().regex(/^\d+(s|m|h)$/, 'must be a duration such as "30s", "5m", "1h"'),
  /** Karpenter tries pools of higher weight first (e.g. on-demand base before spot burst). */
  weight: z.number().int().min(1).max(100).optional(),
  /** Node lifetime; EKS Auto Mode replaces nodes after 21 days at most. */
  expireAfter: z
    .string()
    .regex(/^\d+(s|m|h)$/, 'must be a duration such as "480h"')
    .refine((d) => durationHours(d) <= AUTO_MODE_MAX_NODE_HOURS, { message: `must be at most ${AUTO_MODE_MAX_NODE_HOURS}h: EKS Auto Mode caps node lifetime at 21 days` })
    .default("480h"),
  /** When Karpenter may consolidate: serving pools only remove empty nodes by default. */
  consolidationPolicy: z.enum(["WhenEmpty", "WhenEmptyOrUnderutilized"]).default("WhenEmpty"),
  /** Daily UTC window in which nodes with pods may be replaced (drift, consolidation); absent: one node at a time, any time. */
  maintenanceWindow: obj({ startHourUtc: z.number().int().min(0).max(23), hours: z.number().int().min(1).max(23) }).optional(),
  /** GPUs held warm by placeholder pods that serving pods preempt (infra/cluster/warm-spare.ts); 0 = none. */
  warmSpareGpus: z.number().int().min(0).max(64).default(0),
});

// A canary step's pause and the analysis interval are Argo durations; the window is a PromQL range.
const shortDuration = z.string().regex(/^\d+(s|m|h)$/, 'must be a duration such as "30s", "5m", "1h"');
const CanaryConfig = obj({
  enabled: z.boolean(),
  /** Percent of pods on the new version per step, increasing; each holds `pause` and is then analysed. */
  steps: z.array(obj({ weight: z.number().int().min(1).max(99), pause: shortDuration })).min(1),
  analysis: obj({
    window: shortDuration,
    interval: shortDuration,
    measurements: z.number().int().min(1).max(30),
    failureLimit: z.number().int().min(0).max(10),
    minRequests: z.number().int().min(1),
    maxErrorRatio: z.number().gt(0).lt(1),
    maxP99Ratio: z.number().gt(1).max(100),
    p99FloorSeconds: z.number().min(0).max(60),
    maxShedRatio: z.number().gt(0).lt(1),
  }),
});

const App = obj({
  namespace: k8sName,
  replicas: z.number().int().min(0).max(100),
  /** ["cpu"], or the GPU pools the app may run in */
  pools: z.array(k8sName).min(1),
  gpusPerReplica: z.number().int().min(1).max(8),
  cpu: cpuQuantity,
  memory: quantity,
  maxBatchSize: z.number().int().min(1).max(1024),
  maxQueueDelayMs: z.number().min(0).max(1000),
  ortIntraOpThreads: z.number().int().min(0).max(64),
  shutdownGraceMs: z.number().int().min(1000).max(300_000),
  /** Seconds a leaving pod keeps serving: at least the time the NLB takes to stop sending it new connections. */
  preStopSeconds: z.number().int().min(0).max(110),
  authTokensSecret: z.string().optional(),
  extraEnv: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/, "must be an environment variable name"), z.string()),
  /** Argo Rollouts canary with Prometheus analysis instead of a plain rolling update. */
  canary: CanaryConfig,
});

const DIGEST_REF = /^[^@\s]+@sha256:[0-9a-f]{64}$/;

const Image = obj({
  build: z.boolean(),
  /** Stack whose imageRef output this stack deploys ("org/project/stack"). */
  promoteFrom: z.string().regex(/^[\w.-]+\/[\w.-]+\/[\w.-]+$/, 'must be a stack name "org/project/stack"').optional(),
  /** Digest-pinned reference CI sets to deploy exactly this image. */
  ref: z.string().regex(DIGEST_REF, "must be pinned by digest: <repository>@sha256:<64 hex>").optional(),
  platform: z.enum(["linux/amd64", "linux/arm64"]),
  keepImages: z.number().int().min(1).max(1000),
  pullAccountIds: z.array(z.string().regex(/^\d{12}$/, "must be a 12-digit AWS account id")),
});

const LoadBalancer = obj({
  type: z.enum(["nlb", "loadBalancer", "nodePort"]),
  certificateArn: z
    .string()
    .regex(/^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]+$/, "must be an ACM certificate ARN")
    .optional(),
  internal: z.boolean(),
  nodePort: z.number().int().min(30000).max(32767),
  /** Node port of the gRPC listener (type nodePort). */
  grpcNodePort: z.number().int().min(30000).max(32767),
  allowedCidrs: z.array(cidr()).min(1),
  /** NLB target group health check (interval and thresholds); rollout timing is derived from it. */
  healthCheck: obj({
    intervalSeconds: z.number().int().min(5).max(300),
    healthyThreshold: z.number().int().min(2).max(10),
    unhealthyThreshold: z.number().int().min(2).max(10),
  }),
  /** Seconds from pod readiness until the NLB has registered the IP target and started health checks ("a few minutes"). */
  targetRegistrationSeconds: z.number().int().min(0).max(900),
  /** The name clients use and the certificate covers; endpointUrl is built from it. */
  hostname: z
    .string()
    .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, "must be a lower-case DNS name such as infer.example.com")
    .optional(),
  /** Route 53 hosted zone in which the program creates the hostname's record. */
  hostedZoneId: z.string().regex(/^Z[A-Z0-9]{1,31}$/, "must be a Route 53 hosted zone id such as Z0123456789ABCDEFGHIJ").optional(),
});

const Local = obj({
  /** Context in the kubeconfig; absent: the one the cluster's tool writes (kind-<name>, the minikube profile, docker-desktop), or the current one for "other". */
  kubeContext: z.string().optional(),
  /** Which local cluster: decides how the image reaches its nodes and what the charts may mount (infra/cluster/local-cluster.ts). */
  cluster: z.enum(LOCAL_CLUSTERS, { error: `must be one of ${LOCAL_CLUSTERS.join(", ")}` }).optional(),
  /** kind's cluster name or minikube's profile (the tools' defaults: "kind", "minikube"). */
  clusterName: k8sName.optional(),
});

// ---- data & control layer: cache, monitoring, autoscaling ----
// E extends these objects; keep their keys and defaults here and in DEFAULTS.
const promDuration = z.string().regex(/^\d+(s|m|h|d|w)$/, 'must be a Prometheus duration such as "30s", "15m", "2d"');
const ratio = z.number().gt(0).lt(1);
const cron = z.string().regex(/^\S+( \S+){4}$/, 'must be a 5-field cron expression such as "0 8 * * 1-5"');
const timeZone = z.string().refine(
  (tz) => {
    try {
      new Intl.DateTimeFormat("en", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  },
  { message: 'not an IANA time zone such as "UTC" or "Europe/Berlin"' },
);

const CacheConfig = obj({
  enabled: z.boolean(),
  /** ElastiCache node type (AWS stacks). */
  nodeType: z.string().regex(/^cache\.[a-z0-9]+\.[a-z0-9]+$/, 'must be an ElastiCache node type such as "cache.t4g.small"'),
  /** Nodes in the replication group: one primary plus read replicas (AWS stacks). */
  nodes: z.number().int().min(1).max(6),
  /** Replicas in other AZs with automatic failover (AWS stacks; needs nodes >= 2). */
  multiAz: z.boolean(),
  engineVersion: z.string().regex(/^\d+\.\d+$/, 'must be a Valkey version such as "8.0"'),
  snapshotRetentionDays: z.number().int().min(0).max(35),
  /** Image of the in-cluster Valkey (local stack). */
  localImage: z.string().min(1),
}).superRefine((c, ctx) => {
  if (c.multiAz && c.nodes < 2) {
    ctx.addIssue({ code: "custom", path: ["multiAz"], message: `Multi-AZ failover needs a replica: set nodes to 2 or more (nodes is ${c.nodes})` });
  }
});
const AlertsConfig = obj({
  /** p99 latency SLO in seconds; no default: each stack file states its own. */
  latencyP99Seconds: z.number({ error: "each stack states its p99 latency SLO in seconds, e.g. 0.3" }).positive().max(60),
  errorRatio: ratio,
  queueDepthPerPod: z.number().positive(),
  shedPerSecond: z.number().min(0),
  cacheErrorRatio: z.number().positive(),
  gpuMemoryRatio: ratio,
});
const MonitoringConfig = obj({
  enabled: z.boolean(),
  retention: promDuration,
  scrapeInterval: promDuration,
  prometheusReplicas: z.number().int().min(1).max(3),
  prometheusCpu: quantity,
  prometheusMemory: quantity,
  /** Persistent volume per Prometheus replica; absent: no persistence. */
  prometheusStorage: quantity.optional(),
  /** Persistent volume for Grafana; absent: no persistence. */
  grafanaStorage: quantity.optional(),
  alerts: AlertsConfig,
});
const AutoscalingConfig = obj({
  enabled: z.boolean(),
  minReplicas: z.number().int().min(0),
  maxReplicas: z.number().int().min(1),
  latencyTargetSeconds: z.number().positive().max(60),
  inFlightPerPod: z.number().positive(),
  cpuUtilizationPercent: z.number().int().min(1).max(100),
  gpuUtilizationPercent: z.number().int().min(1).max(100),
  scaleDownStabilizationSeconds: z.number().int().min(0).max(3600),
  pollingIntervalSeconds: z.number().int().min(5).max(300),
  cooldownSeconds: z.number().int().min(0).max(3600),
  /** Cron window holding at least one pod; required with minReplicas 0. */
  activeHours: obj({ timezone: timeZone, start: cron, end: cron }).optional(),
}).superRefine((a, ctx) => {
  if (a.enabled && a.minReplicas === 0 && !a.activeHours) {
    ctx.addIssue({
      code: "custom",
      path: ["activeHours"],
      message: "minReplicas 0 needs activeHours (timezone, start, end): at zero no pod exports the metrics that would wake it",
    });
  }
});

type ControlLayerDefaults = {
  cache: z.input<typeof CacheConfig>;
  monitoring: Omit<z.input<typeof MonitoringConfig>, "alerts"> & { alerts: Omit<z.input<typeof AlertsConfig>, "latencyP99Seconds"> };
  autoscaling: z.input<typeof AutoscalingConfig>;
};
const ALERTS = { errorRatio: 0.02, queueDepthPerPod: 64, shedPerSecond: 1, cacheErrorRatio: 0.5, gpuMemoryRatio: 0.9 };
const SCALING = { inFlightPerPod: 32, cpuUtilizationPercent: 70, gpuUtilizationPercent: 75, pollingIntervalSeconds: 15, cooldownSeconds: 300 };
const VALKEY = { engineVersion: "8.0", localImage: "valkey/valkey:8.1-alpine" };
/** Cache, monitoring and autoscaling defaults by environment (DEFAULTS takes them from here). */
const CONTROL_LAYER: Record<Environment, ControlLayerDefaults> = {
  local: {
    cache: { ...VALKEY, enabled: true, nodeType: "cache.t4g.micro", nodes: 1, multiAz: false, snapshotRetentionDays: 0 },
    monitoring: {
      enabled: true, retention: "1d", scrapeInterval: "30s", prometheusReplicas: 1, prometheusCpu: "200m", prometheusMemory: "1Gi",
      alerts: ALERTS,
    },
    autoscaling: { ...SCALING, enabled: true, minReplicas: 1, maxReplicas: 3, latencyTargetSeconds: 0.5, scaleDownStabilizationSeconds: 120 },
  },
  dev: {
    cache: { ...VALKEY, enabled: true, nodeType: "cache.t4g.micro", nodes: 1, multiAz: false, snapshotRetentionDays: 0 },
    monitoring: {
      enabled: true, retention: "3d", scrapeInterval: "30s", prometheusReplicas: 1, prometheusCpu: "250m", prometheusMemory: "2Gi",
      alerts: ALERTS,
    },
    autoscaling: {
      ...SCALING, enabled: true, minReplicas: 0, maxReplicas: 4, latencyTargetSeconds: 0.5, scaleDownStabilizationSeconds: 120,
      activeHours: { timezone: "UTC", start: "0 7 * * 1-5", end: "0 19 * * 1-5" },
    },
  },
  staging: {
    cache: { ...VALKEY, enabled: true, nodeType: "cache.t4g.small", nodes: 2, multiAz: false, snapshotRetentionDays: 1 },
    monitoring: {
      enabled: true, retention: "7d", scrapeInterval: "15s", prometheusReplicas: 1, prometheusCpu: "500m", prometheusMemory: "4Gi",
      prometheusStorage: "50Gi", grafanaStorage: "5Gi", alerts: ALERTS,
    },
    autoscaling: { ...SCALING, enabled: true, minReplicas: 2, maxReplicas: 6, latencyTargetSeconds: 0.25, scaleDownStabilizationSeconds: 300 },
  },
  prod: {
    cache: { ...VALKEY, enabled: true, nodeType: "cache.r7g.large", nodes: 3, multiAz: true, snapshotRetentionDays: 7 },
    monitoring: {
      enabled: true, retention: "15d", scrapeInterval: "15s", prometheusReplicas: 2, prometheusCpu: "1", prometheusMemory: "8Gi",
      prometheusStorage: "100Gi", grafanaStorage: "10Gi", alerts: { ...ALERTS, shedPerSecond: 0.5 },
    },
    autoscaling: { ...SCALING, enabled: true, minReplicas: 3, maxReplicas: 12, latencyTargetSeconds: 0.2, scaleDownStabilizationSeconds: 600 },
  },
};

const Schema = obj({
  environment: z.enum(ENVIRONMENTS),
  region: z.string().optional(),
  protect: z.boolean(),
  network: Network.optional(),
  cluster: Cluster.optional(),
  gpuPools: z.array(GpuPool),
  app: App,
  image: Image,
  loadBalancer: LoadBalancer,
  local: Local,
  cache: CacheConfig,
  monitoring: MonitoringConfig,
  autoscaling: AutoscalingConfig,
}).superRefine((c, ctx) => {
  const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
  const aws = c.environment !== "local";
  if (aws) {
    if (!c.network) issue(["network"], `network is required for the ${c.environment} stack`);
    if (!c.cluster) issue(["cluster"], `cluster is required for the ${c.environment} stack`);
    else {
      // EKS refuses a second access entry for the same principal.
      const { adminRoleArns, deployRoleArn, previewRoleArn } = c.cluster;
      if (deployRoleArn === previewRoleArn) issue(["cluster", "previewRoleArn"], "must differ from deployRoleArn: the preview role is read-only");
      for (const [key, arn] of [["deployRoleArn", deployRoleArn], ["previewRoleArn", previewRoleArn]] as const) {
        if (adminRoleArns.includes(arn)) issue(["cluster", key], `${arn} is also in adminRoleArns; one access entry per role`);
      }
    }
    if (c.loadBalancer.type === "nodePort") issue(["loadBalancer", "type"], '"nodePort" is for the local stack; use "nlb"');
    // An ACM certificate never covers the load balancer's own DNS name: clients, and the smoke test, must call this one.
    if (c.loadBalancer.certificateArn && !c.loadBalancer.hostname) {
      issue(["loadBalancer", "hostname"], "TLS needs the name the certificate covers, which clients call (the NLB's own name fails verification)");
    }
    if (c.loadBalancer.hostedZoneId && !c.loadBalancer.hostname) issue(["loadBalancer", "hostedZoneId"], "needs loadBalancer.hostname: the record to create");
  } else {
    if (c.loadBalancer.type === "nlb") issue(["loadBalancer", "type"], '"nlb" needs AWS; use "nodePort" or "loadBalancer"');
    if (c.loadBalancer.certificateArn) issue(["loadBalancer", "certificateArn"], "TLS by ACM certificate needs AWS");
    if (c.loadBalancer.hostedZoneId) issue(["loadBalancer", "hostedZoneId"], "a Route 53 record needs AWS");
  }
  // One Service cannot give two ports the same node port (the API server refuses it).
  if (c.loadBalancer.grpcNodePort === c.loadBalancer.nodePort) {
    issue(["loadBalancer", "grpcNodePort"], `must differ from loadBalancer.nodePort (${c.loadBalancer.nodePort}): one node port per listener`);
  }
  if (aws && (c.local.cluster || c.local.clusterName)) issue(["local"], "local.cluster and local.clusterName are for the local stack");
  if (c.local.clusterName && !(c.local.cluster && c.local.cluster in CLUSTER_NAME_DEFAULTS)) {
    issue(["local", "clusterName"], `only kind and minikube clusters have names (local.cluster is ${JSON.stringify(c.local.cluster)})`);
  }
  // ref beside build: true redeploys an earlier release of a building stack (rollback) without rebuilding.
  if (c.image.build ? c.image.promoteFrom !== undefined : c.image.promoteFrom === undefined && c.image.ref === undefined) {
    issue(["image"], "set either build: true (dev, local) or promoteFrom / ref (staging, prod), not both or neither");
  }
  if (c.image.promoteFrom && !aws) issue(["image", "promoteFrom"], "the local stack builds its image");
  const names = new Set<string>();
  c.gpuPools.forEach((p, i) => {
    if (names.has(p.name)) issue(["gpuPools", i, "name"], `duplicate pool name "${p.name}"`);
    names.add(p.name);
    if (p.name === "cpu") issue(["gpuPools", i, "name"], '"cpu" is reserved for the CPU placement of the app');
    p.instanceFamilies.forEach((f, j) => {
      const counts = gpuCountsOf(f);
      if (counts.length > 0 && !counts.includes(p.gpuCount)) {
        issue(["gpuPools", i, "instanceFamilies", j], `${f} has no type with ${p.gpuCount} GPUs (it offers ${counts.join(", ")})`);
      }
    });
    if (p.maxGpus < p.gpuCount) issue(["gpuPools", i, "maxGpus"], `must be at least gpuCount (${p.gpuCount}) so one node fits`);
    if (p.warmSpareGpus > 0) {
      // Placeholders stand in for serving pods: only where the app runs, in whole serving-pod slots, below the pool's limit.
      if (!c.app.pools.includes(p.name)) issue(["gpuPools", i, "warmSpareGpus"], `the app does not run in pool "${p.name}" (app.pools: ${c.app.pools.join(", ")}); warm GPUs there serve nothing`);
      if (p.warmSpareGpus % c.app.gpusPerReplica !== 0) issue(["gpuPools", i, "warmSpareGpus"], `must be a multiple of app.gpusPerReplica (${c.app.gpusPerReplica})`);
      if (p.warmSpareGpus >= p.maxGpus) issue(["gpuPools", i, "warmSpareGpus"], `must be below maxGpus (${p.maxGpus}), or the placeholders fill the pool`);
    }
  });
  const appPools = c.app.pools.map((name, i) => {
    const pool = c.gpuPools.find((p) => p.name === name);
    if (name === "cpu" ? c.app.pools.length > 1 : !pool) {
      issue(["app", "pools", i], `"${name}" is not allowed; allowed: ["cpu"] alone, or GPU pools of this stack: ${[...names].join(", ") || "(none)"}`);
    }
    return pool;
  }).filter((p) => p !== undefined);
  if (appPools.length > 0) {
    const smallest = Math.min(...appPools.map((p) => p.gpuCount));
    if (c.app.gpusPerReplica > smallest) {
      issue(["app", "gpusPerReplica"], `${c.app.gpusPerReplica} exceeds the ${smallest} GPUs of the smallest node among ${c.app.pools.join(", ")}`);
    }
    const maxGpus = appPools.reduce((n, p) => n + p.maxGpus, 0);
    const most = Math.floor(maxGpus / c.app.gpusPerReplica);
    const wanted = c.autoscaling.enabled ? Math.max(c.autoscaling.minReplicas, c.autoscaling.maxReplicas) : c.app.replicas;
    if (wanted > most) {
      issue(["app", "pools"], `pools ${c.app.pools.join(", ")} allow ${maxGpus} GPUs in all, enough for ${most} replicas, but the app may run ${wanted}`);
    }
    // A spot node gets two minutes' notice: a pod must stop within it (rollout-timing.ts).
    if (appPools.some((p) => p.capacityTypes.includes("spot"))) {
      const problem = spotNoticeProblem(c.app.preStopSeconds + Math.ceil(c.app.shutdownGraceMs / 1000) + TERMINATION_MARGIN_SECONDS);
      if (problem) issue(["app", "preStopSeconds"], `${problem}: lower app.preStopSeconds or app.shutdownGraceMs, or use on-demand pools`);
    }
    // Karpenter fills the highest-weight pool up to its limit first: a pool that never gets a
    // replica even at the most replicas is capacity the stack file names but never uses.
    const atMost = placeReplicas(appPools, wanted, c.app.gpusPerReplica);
    appPools.forEach((p) => {
      if (appPools.length > 1 && (atMost[p.name] ?? 0) === 0) {
        const before = appPools.filter((q) => q !== p && (q.weight ?? 0) >= (p.weight ?? 0)).map((q) => q.name);
        issue(["gpuPools", c.gpuPools.indexOf(p), "maxGpus"], `pool ${p.name} is never used: ${before.join(", ")} (higher weight) hold all ${wanted} replicas; lower their maxGpus to the baseline they should carry`);
      }
    });
  }
  if (c.app.canary.enabled) canaryIssues(c).forEach(([path, message]) => issue(path, message));
  if (c.autoscaling.enabled && !c.monitoring.enabled) {
    issue(["autoscaling", "enabled"], "the autoscaler reads Prometheus: enable monitoring too, or disable autoscaling");
  }
  if (c.autoscaling.minReplicas > c.autoscaling.maxReplicas) {
    issue(["autoscaling", "minReplicas"], `min (${c.autoscaling.minReplicas}) > max (${c.autoscaling.maxReplicas})`);
  }
});

/**
 * Why a stack's canary cannot work as configured: the analysis reads Prometheus, and
 * without a traffic router every step must move whole pods at the fewest pods the app
 * runs (canarySplit: the controller's own rounding), keeping at least one stable pod.
 */
function canaryIssues(c: z.infer<typeof Schema>): [(string | number)[], string][] {
  const issues: [(string | number)[], string][] = [];
  if (!c.monitoring.enabled) issues.push([["app", "canary", "enabled"], "the canary analysis reads Prometheus: enable monitoring too, or disable the canary"]);
  const pods = c.autoscaling.enabled ? c.autoscaling.minReplicas : c.app.replicas;
  if (pods < 2) {
    issues.push([["app", "canary", "enabled"], `a canary needs at least 2 pods beside each other; the app may run ${pods}`]);
    return issues;
  }
  let previous = { weight: 0, canary: 0 };
  c.app.canary.steps.forEach((step, i) => {
    const split = canarySplit(pods, step.weight, CANARY_MAX_SURGE);
    const at = `at ${pods} pods (the fewest the app runs), ${step.weight}% gives ${split.canary} canary and ${split.stable} stable pods`;
    if (step.weight <= previous.weight) issues.push([["app", "canary", "steps", i, "weight"], `weights must increase; ${step.weight} follows ${previous.weight}`]);
    else if (split.canary <= previous.canary) issues.push([["app", "canary", "steps", i, "weight"], `${at}, no more than the step before: drop the step or raise the replicas`]);
    else if (split.stable < 1) issues.push([["app", "canary", "steps", i, "weight"], `${at}: no stable pod is left to compare with`]);
    previous = { weight: step.weight, canary: split.canary };
  });
  return issues;
}

/** The schema itself, for tools that list or document the keys. */
export const STACK_CONFIG_SCHEMA = Schema;
export type StackConfig = z.infer<typeof Schema>;
export type GpuPoolConfig = z.infer<typeof GpuPool>;
type AppConfig = z.infer<typeof App>;
type ImageConfig = z.infer<typeof Image>;
type LoadBalancerConfig = z.infer<typeof LoadBalancer>;

type DeepPartial<T> = T extends readonly unknown[] ? T : T extends object ? { [K in keyof T]?: DeepPartial<T[K]> } : T;

/** The canary defaults: off; staging and prod turn it on with their own steps. */
export const CANARY_DEFAULTS = {
  enabled: false,
  steps: [{ weight: 50, pause: "5m" }],
  analysis: {
    window: "5m",
    interval: "1m",
    measurements: 3,
    failureLimit: 1,
    minRequests: 100,
    maxErrorRatio: 0.01,
    maxP99Ratio: 1.5,
    p99FloorSeconds: 0.05,
    maxShedRatio: 0.01,
  },
} satisfies AppConfig["canary"];
const COMMON_APP: DeepPartial<AppConfig> = {
  namespace: "inference",
  gpusPerReplica: 1,
  maxBatchSize: 32,
  maxQueueDelayMs: 5,
  ortIntraOpThreads: 0,
  shutdownGraceMs: 20_000,
  preStopSeconds: 10,
  extraEnv: {},
  canary: CANARY_DEFAULTS,
};
/** Behind an NLB a leaving pod serves on until the NLB stops opening connections to it (infra/serving/rollout-timing.ts). */
const AWS_APP: DeepPartial<AppConfig> = { preStopSeconds: 60 };
const COMMON_IMAGE: DeepPartial<ImageConfig> = { platform: "linux/amd64", keepImages: 50, pullAccountIds: [] };
const COMMON_CLUSTER: DeepPartial<z.infer<typeof Cluster>> = {
  version: "1.33",
  publicEndpoint: true,
  publicAccessCidrs: ["0.0.0.0/0"],
  adminRoleArns: [],
};
const COMMON_LB: DeepPartial<LoadBalancerConfig> = {
  internal: false,
  nodePort: 30080,
  grpcNodePort: 30081,
  allowedCidrs: ["0.0.0.0/0"],
  healthCheck: { intervalSeconds: 10, healthyThreshold: 2, unhealthyThreshold: 2 },
  // aws/containers-roadmap#2511 reports 3-4 minutes from pod ready to healthy target.
  targetRegistrationSeconds: 180,
};

/** Defaults by environment; a stack file overrides any of them. */
export const DEFAULTS: Record<Environment, DeepPartial<StackConfig>> = {
  local: {
    protect: false,
    gpuPools: [],
    app: { ...COMMON_APP, replicas: 1, pools: ["cpu"], cpu: "500m", memory: "1Gi" },
    // Built for the host's architecture, which the local cluster's nodes in Docker share.
    image: { ...COMMON_IMAGE, build: true, platform: hostPlatform(process.arch) },
    loadBalancer: { ...COMMON_LB, type: "nodePort" },
    local: { cluster: "kind" },
    ...CONTROL_LAYER.local,
  },
  dev: {
    protect: false,
    network: { azCount: 2, natGateways: "single" },
    cluster: COMMON_CLUSTER,
    gpuPools: [],
    app: { ...COMMON_APP, ...AWS_APP, replicas: 1, pools: ["cpu"], cpu: "2", memory: "4Gi" },
    image: { ...COMMON_IMAGE, build: true },
    loadBalancer: { ...COMMON_LB, type: "nlb" },
    local: {},
    ...CONTROL_LAYER.dev,
  },
  staging: {
    protect: false,
    network: { azCount: 3, natGateways: "single" },
    cluster: COMMON_CLUSTER,
    gpuPools: [],
    // Canary on: 1 then 2 of 3 pods (2 stable + 1 surge) at the 2 pods staging runs at least.
    app: {
      ...COMMON_APP,
      ...AWS_APP,
      replicas: 2,
      pools: ["cpu"],
      cpu: "2",
      memory: "4Gi",
      canary: { ...CANARY_DEFAULTS, enabled: true, steps: [{ weight: 33, pause: "5m" }, { weight: 67, pause: "5m" }] },
    },
    image: { ...COMMON_IMAGE, build: false },
    loadBalancer: { ...COMMON_LB, type: "nlb" },
    local: {},
    ...CONTROL_LAYER.staging,
  },
  prod: {
    protect: true,
    network: { azCount: 3, natGateways: "one-per-az" },
    cluster: COMMON_CLUSTER,
    gpuPools: [],
    // Canary on: 1, 2, then 3 of 4 pods (3 stable + 1 surge) at the 3 pods prod runs at least.
    app: {
      ...COMMON_APP,
      ...AWS_APP,
      replicas: 3,
      pools: ["cpu"],
      cpu: "2",
      memory: "4Gi",
      canary: {
        enabled: true,
        steps: [{ weight: 25, pause: "10m" }, { weight: 50, pause: "10m" }, { weight: 75, pause: "10m" }],
        analysis: { ...CANARY_DEFAULTS.analysis, minRequests: 300 },
      },
    },
    image: { ...COMMON_IMAGE, build: false },
    loadBalancer: { ...COMMON_LB, type: "nlb" },
    local: {},
    ...CONTROL_LAYER.prod,
  },
};

export class ConfigError extends Error {
  override name = "ConfigError";
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Stack values over defaults: objects merge key by key, anything else (arrays too) replaces. */
function merge(base: unknown, over: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over === undefined ? base : over;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = merge(base[k], v);
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k], root);
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (s, k) => (typeof k === "number" ? `${s}[${k}]` : s ? `${s}.${String(k)}` : String(k)),
    "",
  );
}

/**
 * Parses raw Pulumi config (keys "namespace:key", values as Pulumi stores them:
 * strings, objects as JSON text) into a StackConfig, or throws one ConfigError
 * listing every problem.
 */
export function parseConfig(raw: Record<string, string>): StackConfig {
  const problems: string[] = [];
  const ours: Record<string, unknown> = {};
  for (const [key, text] of Object.entries(raw)) {
    const [ns, name] = key.split(":", 2) as [string, string | undefined];
    if (ns === PROJECT && name) {
      ours[name] = parseValue(text);
    } else if (!(FOREIGN_NAMESPACES as readonly string[]).includes(ns)) {
      problems.push(`${key}: unknown config namespace "${ns}"; allowed: ${[PROJECT, ...FOREIGN_NAMESPACES].join(", ")}`);
    }
  }
  if ("region" in ours) problems.push(`${PROJECT}:region: set the region as aws:region`);
  const env = ours.environment;
  if (!(ENVIRONMENTS as readonly unknown[]).includes(env)) {
    problems.push(`environment: ${JSON.stringify(env)} is not one of ${ENVIRONMENTS.join(", ")}`);
  }
  if (problems.length > 0) throw new ConfigError(report(problems));
  // What a stack must or must not have by where it runs, read off the raw keys so it shows even when the rest fails.
  if (env !== "local" && !raw["aws:region"]) {
    problems.push(`region: aws:region is required for the ${String(env)} stack (e.g. us-east-1)`);
  }
  if (env === "local") {
    for (const key of ["network", "cluster"]) {
      if (key in ours) problems.push(`${key}: the local stack uses the current kubeconfig and creates no AWS resources; remove it`);
    }
    if (Array.isArray(ours.gpuPools) && ours.gpuPools.length > 0) {
      problems.push("gpuPools: the local stack runs on CPU only; remove the GPU pools");
    }
  }

  const input = merge(DEFAULTS[env as Environment], { ...ours, region: raw["aws:region"] });
  const result = Schema.safeParse(input);
  if (result.success && problems.length > 0) throw new ConfigError(report(problems));
  if (!result.success) {
    for (const iss of result.error.issues) {
      const at = formatPath(iss.path);
      const value = valueAt(input, iss.path);
      const shown = value === undefined || isPlainObject(value) ? "" : ` (got ${JSON.stringify(value)})`;
      problems.push(`${at || PROJECT}: ${iss.message}${shown}`);
    }
    throw new ConfigError(report(problems));
  }
  return result.data;
}

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function report(problems: string[]): string {
  return `Invalid stack configuration:\n${problems.map((p) => `  - ${p}`).join("\n")}`;
}
