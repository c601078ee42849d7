// inference-platform: from stack config to a GPU inference endpoint.
//
//   config ─► network ─► cluster ─► GPU node pools
//                          │
//   registry ─► image ─────┼─► namespace ─► [cache] ─► inference service ─► load balancer
//                          │                                  └─► [monitoring, autoscaling]
//   (local: a kind, minikube or Docker Desktop cluster, or the current kubeconfig's; the image is
//    built into the local Docker daemon and loaded onto the nodes; no AWS at all)
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import { fileURLToPath } from "node:url";
import { PROJECT } from "./config.js";
import { loadConfig } from "./load-config.js";
import { Network } from "./cluster/network.js";
import { Cluster } from "./cluster/cluster.js";
import { GpuNodePools } from "./cluster/gpu-node-pools.js";
import { NodeClass } from "./cluster/node-class.js";
import { WarmSpare } from "./cluster/warm-spare.js";
import { Registry } from "./delivery/registry.js";
import { AppImage } from "./delivery/app-image.js";
import { AppNamespace } from "./serving/namespace.js";
import { GRPC_PORT, InferenceService } from "./serving/inference-service.js";
import { LoadBalancer } from "./serving/load-balancer.js";
import { rolloutTiming } from "./serving/rollout-timing.js";
import { PublicHostname } from "./serving/public-hostname.js";
import { Cache } from "./serving/cache.js";
import { Monitoring, MONITORING_NAMESPACE } from "./observability/monitoring.js";
import { kubeContextOf, rootIsSharedMount, type LocalCluster } from "./cluster/local-cluster.js";
import { Canary } from "./delivery/canary.js";
import { Autoscaling } from "./serving/autoscaling.js";
import { releaseHistory } from "./delivery/releases.js";

const cfg = loadConfig();
const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const tags = { project: PROJECT, stack: pulumi.getStack(), environment: cfg.environment, "managed-by": "pulumi" };
// Passed to components as an argument, never as their option: each protects only what holds data
// or the cluster (infra/protection.ts), not its roles, subnets or providers.
const protect = cfg.protect;
// The local stack's cluster (kind, minikube, Docker Desktop, other); undefined in the AWS stacks.
const localCluster: LocalCluster | undefined = cfg.local.cluster && { kind: cfg.local.cluster, name: cfg.local.clusterName };
const kubeContext = cfg.local.kubeContext ?? (localCluster && kubeContextOf(localCluster));

// --- AWS foundation: VPC, EKS (Auto Mode), GPU pools, ECR; absent in the local stack ---
const awsProvider =
  cfg.network && cfg.cluster ? new aws.Provider("aws", { region: cfg.region, defaultTags: { tags } }) : undefined;
const network =
  awsProvider && cfg.network
    ? new Network("network", { ...cfg.network, protect, tags }, { providers: [awsProvider] })
    : undefined;
const cluster =
  awsProvider && network && cfg.cluster
    ? new Cluster(
        "cluster",
        {
          clusterName: cfg.cluster.name,
          version: cfg.cluster.version,
          vpcId: network.vpcId,
          privateSubnetIds: network.privateSubnetIds,
          publicEndpoint: cfg.cluster.publicEndpoint,
          publicAccessCidrs: cfg.cluster.publicAccessCidrs,
          adminRoleArns: cfg.cluster.adminRoleArns,
          deployRoleArn: cfg.cluster.deployRoleArn,
          previewRoleArn: cfg.cluster.previewRoleArn,
          deletionProtection: protect,
          protect,
          tags,
        },
        { providers: [awsProvider] },
      )
    : undefined;
const k8sProvider =
  cluster?.provider ?? new k8s.Provider("local", { context: kubeContext, enableServerSideApply: true });
// GPU nodes in the private subnets, enforcing NetworkPolicy (Auto Mode's default NodeClass does neither).
const nodeClass =
  cluster && network
    ? new NodeClass(
        "private-nodes",
        {
          nodeClassName: "private",
          roleName: cluster.nodeRoleName,
          subnetIds: network.privateSubnetIds,
          securityGroupIds: [cluster.securityGroupId],
          tags,
        },
        { providers: [k8sProvider] },
      )
    : undefined;
const gpuNodePools = new GpuNodePools(
  "gpu",
  { pools: cfg.gpuPools, ...(nodeClass ? { nodeClassRef: nodeClass.ref } : {}) },
  { providers: [k8sProvider] },
);
const registry =
  awsProvider && cfg.image.build
    ? new Registry(
        "registry",
        {
          repositoryName: `${PROJECT}-${pulumi.getStack()}`,
          keepImages: cfg.image.keepImages,
          pullAccountIds: cfg.image.pullAccountIds,
          protect,
          tags,
        },
        { providers: [awsProvider] },
      )
    : undefined;

// --- the image: built here (dev, local) or promoted by digest from the stack below (staging, prod) ---
const appGpuPools = cfg.gpuPools.filter((p) => cfg.app.pools.includes(p.name));
const image = new AppImage(
  "app",
  {
    variant: appGpuPools.length > 0 ? "cuda" : "cpu",
    ...(cfg.image.build && !cfg.image.ref
      ? {
          build: {
            contextDir: repoRoot,
            platform: cfg.image.platform,
            exportCache: !pulumi.runtime.isDryRun(),
            ...(registry ? { registry } : localCluster ? { localCluster } : {}),
          },
        }
      : { promote: { fromStack: cfg.image.promoteFrom, ref: cfg.image.ref } }),
  },
  awsProvider ? { providers: [awsProvider] } : {},
);

const namespace = new AppNamespace("app", { name: cfg.app.namespace }, { providers: [k8sProvider] });

// --- the result cache, before the app that reads its Secret ---
// ElastiCache where the stack has a VPC and cluster, an in-cluster Valkey otherwise.
const cache = cfg.cache.enabled
  ? new Cache(
      "cache",
      {
        namespace: namespace.name,
        ...(network && cluster
          ? {
              elastiCache: {
                nodeType: cfg.cache.nodeType,
                nodes: cfg.cache.nodes,
                multiAz: cfg.cache.multiAz,
                engineVersion: cfg.cache.engineVersion,
                snapshotRetentionDays: cfg.cache.snapshotRetentionDays,
                vpcId: network.vpcId,
                subnetIds: network.privateSubnetIds,
                clientSecurityGroupIds: [cluster.securityGroupId],
              },
            }
          : {}),
        image: cfg.cache.localImage,
        protect,
        tags,
      },
      { providers: awsProvider ? [awsProvider, k8sProvider] : [k8sProvider] },
    )
  : undefined;
const redisSecret = cache ? { name: cache.secretName, key: cache.secretKey } : undefined;

// Behind an NLB, rollout timing follows the target group's health checks (infra/serving/rollout-timing.ts).
const timing =
  cfg.loadBalancer.type === "nlb"
    ? rolloutTiming({
        healthCheck: cfg.loadBalancer.healthCheck,
        registrationSeconds: cfg.loadBalancer.targetRegistrationSeconds,
        deregistrationSeconds: cfg.app.preStopSeconds,
        drainSeconds: Math.ceil(cfg.app.shutdownGraceMs / 1000),
      })
    : undefined;

// GPU stacks: serving pods outrank the placeholders that hold warm GPUs (none where warmSpareGpus is 0).
const warmSpare =
  appGpuPools.length > 0
    ? new WarmSpare(
        "warm-spare",
        {
          namespace: namespace.name,
          pools: appGpuPools.map((p) => ({ name: p.name, gpus: p.warmSpareGpus })),
          gpusPerReplica: cfg.app.gpusPerReplica,
          cpu: cfg.app.cpu,
          memory: cfg.app.memory,
          image: image.imageRef,
        },
        { providers: [k8sProvider], dependsOn: [gpuNodePools] },
      )
    : undefined;

const app = new InferenceService(
  "inference",
  {
    namespace: namespace.name,
    image: image.imageRef,
    imagePullPolicy: image.pullPolicy,
    runAsUser: image.uid,
    ...(warmSpare ? { priorityClassName: warmSpare.servingPriorityClassName } : {}),
    // An autoscaler owns the replica count when autoscaling is on; with a canary, the Rollout
    // runs the pods and its controller scales this Deployment to zero.
    replicas: cfg.autoscaling.enabled || cfg.app.canary.enabled ? undefined : cfg.app.replicas,
    ...(appGpuPools.length > 0 ? { gpu: { pools: appGpuPools.map((p) => p.name), count: cfg.app.gpusPerReplica } } : {}),
    arch: cfg.image.platform === "linux/arm64" ? "arm64" : "amd64",
    cpu: cfg.app.cpu,
    memory: cfg.app.memory,
    maxBatchSize: cfg.app.maxBatchSize,
    maxQueueDelayMs: cfg.app.maxQueueDelayMs,
    ortIntraOpThreads: cfg.app.ortIntraOpThreads,
    shutdownGraceMs: cfg.app.shutdownGraceMs,
    preStopSeconds: cfg.app.preStopSeconds,
    ...(timing ? { minReadySeconds: timing.minReadySeconds, progressDeadlineSeconds: timing.progressDeadlineSeconds } : {}),
    ...(redisSecret ? { redisSecret } : {}),
    ...(cfg.app.authTokensSecret ? { authTokensSecret: cfg.app.authTokensSecret } : {}),
    extraEnv: cfg.app.extraEnv,
    // NLB targets are pod IPs reached from the NLB's addresses inside the VPC.
    ingressCidrs: network ? [network.cidr] : cfg.loadBalancer.allowedCidrs,
    // Prometheus scrapes the pods from the monitoring namespace.
    ingressNamespaces: cfg.monitoring.enabled ? [MONITORING_NAMESPACE] : [],
  },
  { providers: [k8sProvider], dependsOn: [gpuNodePools] },
);

const loadBalancer = new LoadBalancer(
  "inference-public",
  {
    namespace: namespace.name,
    selector: app.selector,
    type: cfg.loadBalancer.type,
    ...(cfg.loadBalancer.certificateArn ? { certificateArn: cfg.loadBalancer.certificateArn } : {}),
    internal: cfg.loadBalancer.internal,
    nodePort: cfg.loadBalancer.nodePort,
    grpcNodePort: cfg.loadBalancer.grpcNodePort,
    allowedCidrs: cfg.loadBalancer.allowedCidrs,
    healthCheck: cfg.loadBalancer.healthCheck,
    // The NLB keeps a leaving pod's connections until its preStop and drain are over.
    ...(timing ? { deregistrationDelaySeconds: timing.deregistrationDelaySeconds } : {}),
  },
  { providers: [k8sProvider] },
);

// The name clients call (and the certificate covers), with its Route 53 record when a zone is configured.
const publicHostname = cfg.loadBalancer.hostname
  ? new PublicHostname(
      "endpoint",
      {
        hostname: cfg.loadBalancer.hostname,
        target: loadBalancer.hostname,
        scheme: cfg.loadBalancer.certificateArn ? "https" : "http",
        grpcPort: GRPC_PORT.number,
        ...(cfg.loadBalancer.hostedZoneId ? { hostedZoneId: cfg.loadBalancer.hostedZoneId } : {}),
      },
      awsProvider ? { providers: [awsProvider] } : {},
    )
  : undefined;

// --- monitoring and autoscaling of the app ---
const monitoring = cfg.monitoring.enabled
  ? new Monitoring(
      "monitoring",
      {
        settings: cfg.monitoring,
        app: {
          namespace: app.namespace,
          deploymentName: app.deploymentName,
          podLabels: app.selector,
          metricsPort: app.metricsPortName,
          metricsPath: app.metricsPath,
        },
        autoscaled: cfg.autoscaling.enabled,
        gpu: cfg.gpuPools.length > 0,
        ebsStorageClass: cluster !== undefined,
        namespace: MONITORING_NAMESPACE,
        nodeRootFsMount: localCluster ? rootIsSharedMount(localCluster.kind) : true,
      },
      { providers: [k8sProvider] },
    )
  : undefined;
// Canary releases on Argo Rollouts, judged by Prometheus (the config refuses a canary without monitoring).
const canary =
  monitoring && cfg.app.canary.enabled
    ? new Canary(
        "canary",
        {
          namespace: app.namespace,
          deploymentName: app.deploymentName,
          selector: app.selector,
          replicas: cfg.autoscaling.enabled ? undefined : cfg.app.replicas,
          job: monitoring.appJob,
          prometheusUrl: monitoring.prometheusUrl,
          settings: cfg.app.canary,
          scrapeController: true,
        },
        { providers: [k8sProvider], dependsOn: [monitoring] },
      )
    : undefined;
// The config refuses autoscaling without monitoring: the scalers read Prometheus.
const autoscaling =
  monitoring && cfg.autoscaling.enabled
    ? new Autoscaling(
        "autoscaling",
        {
          namespace: app.namespace,
          deploymentName: app.deploymentName,
          job: monitoring.appJob,
          prometheusUrl: monitoring.prometheusUrl,
          settings: cfg.autoscaling,
          gpu: appGpuPools.length > 0,
          scrapeKeda: true,
          workload: canary ? "Rollout" : "Deployment",
        },
        { providers: [k8sProvider], dependsOn: canary ? [monitoring, canary] : [monitoring] },
      )
    : undefined;
export const prometheusUrl = monitoring?.prometheusUrl;
export const grafanaService = monitoring?.grafanaService;
export const grafanaAdminPassword = monitoring?.grafanaAdminPassword;
export const cacheHost = cache?.host;
export const autoscalerName = autoscaling?.hpaName;
/** The KEDA ScaledObject; `npm run wait-ready` pauses it at one replica to wake a stack at zero. */
export const scaledObjectName = autoscaling?.scaledObjectName;
/** The Argo Rollout that releases the app (named as its Deployment); `npm run canary` steers it. */
export const rolloutName = canary?.rolloutName;

// --- stack outputs: what a person or CI needs next ---
export const environment = cfg.environment;
export const endpointUrl = publicHostname?.url ?? loadBalancer.endpointUrl;
export const healthUrl = pulumi.interpolate`${endpointUrl}/v2/health/ready`;
/** host:port of the gRPC front door (inference.GRPCInferenceService); TLS exactly when endpointUrl is https. */
export const grpcEndpoint = publicHostname?.grpcEndpoint ?? loadBalancer.grpcEndpoint;
export const loadBalancerHostname = loadBalancer.hostname;
/** nlb on AWS: `npm run wait-ready` then also waits for the NLB's targets (scripts/smoke/wait-ready.ts). */
export const loadBalancerType = cfg.loadBalancer.type;
export const imageRef = image.imageRef;
export const imageDigest = image.digest;
export const clusterName = cluster?.clusterName ?? kubeContext ?? "current-context";
export const kubeconfig = cluster?.kubeconfig;
export const region = cfg.region;
export const vpcId = network?.vpcId;
export const ecrRepositoryUrl = registry?.repositoryUrl;
export const namespaceName = app.namespace;
export const deploymentName = app.deploymentName;
export const serviceName = app.serviceName;
export const gpuNodePoolNames = gpuNodePools.nodePoolNames;
// --- release history ---
/** Releases this stack ran, oldest first; `npm run rollback` picks from it. */
export const releases = releaseHistory({ digest: image.digest, imageRef: image.imageRef });
