// The inference server in Kubernetes: a Deployment that rolls out without losing
// requests (surge first, readiness-gated, preStop delay so endpoints drain before
// SIGTERM, grace period longer than the app's own drain), a PDB, zone spread, GPU
// requests and tolerations on GPU pools, a locked-down pod, its Service and a
// NetworkPolicy that admits only the load balancer, the namespace and monitoring.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { GPU_RESOURCE, POOL_LABEL } from "../cluster/gpu-node-pools.js";
import { cpuCores } from "./quantity.js";

/** The port the app listens on and the name by which Services and ServiceMonitors refer to it. */
export const APP_PORT = { name: "http", number: 8080 } as const;
/** The app's gRPC front door (GRPC_PORT; the app's own default is off), named for Services and the NLB's ssl-ports. */
export const GRPC_PORT = { name: "grpc", number: 8081 } as const;
/**
 * Service appProtocol of the gRPC port: HTTP/2 with prior knowledge over cleartext, what grpc-js
 * serves without TLS; a hint gateways and meshes read to speak HTTP/2 upstream.
 * https://kubernetes.io/docs/concepts/services-networking/service/#application-protocol
 * https://gateway-api.sigs.k8s.io/guides/backend-protocol/
 */
export const GRPC_APP_PROTOCOL = "kubernetes.io/h2c";
export const HEALTH = { live: "/v2/health/live", ready: "/v2/health/ready", metrics: "/metrics" } as const;
const AUTH_MOUNT = "/var/run/secrets/inference-auth";

export interface InferenceServiceArgs {
  /** Namespace to deploy into (required). */
  namespace: pulumi.Input<string>;
  /** Image reference, pinned by digest (required). */
  image: pulumi.Input<string>;
  /** "Never" for an image loaded onto the nodes that no registry holds (default "IfNotPresent"). */
  imagePullPolicy?: "IfNotPresent" | "Never";
  /** Replica count; leave undefined when an autoscaler owns it (default undefined). */
  replicas?: number;
  /** GPU placement: pools the pods may use (nodes labelled inference-platform/pool) and GPUs per pod; CPU when absent (default CPU). */
  gpu?: { pools: string[]; count: number };
  /** CPU architecture the image is built for, used as node selector (default "amd64"). */
  arch?: "amd64" | "arm64";
  /** CPU request per pod; no CPU limit, throttling costs latency (required). */
  cpu: string;
  /** Memory request and limit per pod (required). */
  memory: string;
  /** Largest dynamic batch (MAX_BATCH_SIZE) (default 32). */
  maxBatchSize?: number;
  /** Longest wait to fill a batch in ms (MAX_QUEUE_DELAY_MS) (default 5). */
  maxQueueDelayMs?: number;
  /** onnxruntime intra-op threads per server process (ORT_INTRA_OP_THREADS); 0 = the whole CPUs requested shared by the processes (WORKERS: one per whole CPU on CPU pods, one on GPU pods), at least 1, since onnxruntime's own default counts the node's cores, not the pod's share (default 0). */
  ortIntraOpThreads?: number;
  /** Time the app takes to drain after SIGTERM in ms (SHUTDOWN_GRACE_MS) (default 20000). */
  shutdownGraceMs?: number;
  /** Seconds the pod keeps serving after removal from endpoints, before SIGTERM (default 10). */
  preStopSeconds?: number;
  /** Seconds a new pod must stay ready before it counts as available; behind an NLB, until its target is healthy (default 5). */
  minReadySeconds?: number;
  /** Seconds a rollout may make no progress before it is marked failed (default 600, Kubernetes' own). */
  progressDeadlineSeconds?: number;
  /** Secret holding the Redis URL; becomes REDIS_URL by secretKeyRef (default none: in-memory cache). */
  redisSecret?: { name: pulumi.Input<string>; key: string };
  /** Secret with bearer tokens under key "tokens"; mounted and named by AUTH_TOKENS_FILE (default none: no auth). */
  authTokensSecret?: string;
  /** Further environment variables (default none). */
  extraEnv?: Record<string, pulumi.Input<string>>;
  /** CIDRs allowed to reach the app ports (HTTP and gRPC), e.g. the VPC for NLB targets (default none). */
  ingressCidrs?: string[];
  /** Namespaces allowed to reach the app ports (HTTP and gRPC), e.g. monitoring (default none; the own namespace always may). */
  ingressNamespaces?: pulumi.Input<string>[];
  /** UID/GID the container runs as; must match the image's USER (default 1000). */
  runAsUser?: number;
  /** PriorityClass of the pods, e.g. the warm spare's serving class that preempts placeholders (default none: priority 0). */
  priorityClassName?: pulumi.Input<string>;
}

export class InferenceService extends pulumi.ComponentResource {
  public readonly namespace: pulumi.Output<string>;
  public readonly deploymentName: pulumi.Output<string>;
  public readonly serviceName: pulumi.Output<string>;
  /** Pod labels, also the selector of the Deployment, Service, PDB and NetworkPolicy. */
  public readonly selector: Record<string, string>;
  /** Name of the Service port that serves the app and /metrics. */
  public readonly metricsPortName = APP_PORT.name;
  /** Name of the Service port of the gRPC front door. */
  public readonly grpcPortName = GRPC_PORT.name;
  public readonly metricsPath = HEALTH.metrics;

  constructor(name: string, args: InferenceServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-platform:infra:InferenceService", name, {}, opts);
    const selector = { "app.kubernetes.io/name": name, "app.kubernetes.io/component": "server" };
    const labels = { ...selector, "app.kubernetes.io/part-of": "inference-platform" };
    const preStop = args.preStopSeconds ?? 10;
    const shutdownGraceMs = args.shutdownGraceMs ?? 20_000;
    const uid = args.runAsUser ?? 1000;
    const gpus: Record<string, string> = args.gpu ? { [GPU_RESOURCE]: String(args.gpu.count) } : {};

    // CPU pods run one server process per whole CPU requested (WORKERS; the app shares the
    // port between them and sizes onnxruntime's threads so processes x threads <= CPUs).
    // GPU pods run one: every process would hold its own CUDA context and copy of the model.
    const cores = Math.max(1, Math.floor(cpuCores(args.cpu)));
    const workers = args.gpu ? 1 : cores;
    const env: k8s.types.input.core.v1.EnvVar[] = [
      { name: "PORT", value: String(APP_PORT.number) },
      { name: "GRPC_PORT", value: String(GRPC_PORT.number) },
      { name: "EXECUTION_PROVIDER", value: args.gpu ? "cuda" : "cpu" },
      { name: "WORKERS", value: String(workers) },
      { name: "ORT_INTRA_OP_THREADS", value: String(args.ortIntraOpThreads || Math.max(1, Math.floor(cores / workers))) },
      { name: "MAX_BATCH_SIZE", value: String(args.maxBatchSize ?? 32) },
      { name: "MAX_QUEUE_DELAY_MS", value: String(args.maxQueueDelayMs ?? 5) },
      { name: "SHUTDOWN_GRACE_MS", value: String(shutdownGraceMs) },
      ...(args.redisSecret
        ? [{ name: "REDIS_URL", valueFrom: { secretKeyRef: { name: args.redisSecret.name, key: args.redisSecret.key } } }]
        : []),
      ...(args.authTokensSecret ? [{ name: "AUTH_TOKENS_FILE", value: `${AUTH_MOUNT}/tokens` }] : []),
      ...Object.entries(args.extraEnv ?? {}).map(([k, v]) => ({ name: k, value: v })),
    ];
    const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
      httpGet: { path, port: APP_PORT.name },
      periodSeconds,
      failureThreshold,
      timeoutSeconds: 2,
    });

    const serviceAccount = new k8s.core.v1.ServiceAccount(
      name,
      { metadata: { name, namespace: args.namespace, labels }, automountServiceAccountToken: false },
      { parent: this },
    );

    const deployment = new k8s.apps.v1.Deployment(
      name,
      {
        metadata: { name, namespace: args.namespace, labels },
        spec: {
          ...(args.replicas === undefined ? {} : { replicas: args.replicas }),
          revisionHistoryLimit: 5,
          selector: { matchLabels: selector },
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          minReadySeconds: args.minReadySeconds ?? 5,
          progressDeadlineSeconds: args.progressDeadlineSeconds ?? 600,
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: serviceAccount.metadata.name,
              ...(args.priorityClassName ? { priorityClassName: args.priorityClassName } : {}),
              automountServiceAccountToken: false,
              // preStop, then the app's own drain, then a margin before SIGKILL.
              terminationGracePeriodSeconds: preStop + Math.ceil(shutdownGraceMs / 1000) + 5,
              securityContext: {
                runAsNonRoot: true,
                runAsUser: uid,
                runAsGroup: uid,
                fsGroup: uid,
                seccompProfile: { type: "RuntimeDefault" },
              },
              nodeSelector: { "kubernetes.io/arch": args.arch ?? "amd64" },
              ...(args.gpu
                ? {
                    affinity: {
                      nodeAffinity: {
                        requiredDuringSchedulingIgnoredDuringExecution: {
                          nodeSelectorTerms: [{ matchExpressions: [{ key: POOL_LABEL, operator: "In", values: args.gpu.pools }] }],
                        },
                      },
                    },
                  }
                : {}),
              tolerations: args.gpu ? [{ key: GPU_RESOURCE, operator: "Exists", effect: "NoSchedule" }] : [],
              topologySpreadConstraints: [
                // GPUs are scarce per zone: prefer spreading, never refuse to schedule for it.
                { maxSkew: 1, topologyKey: "topology.kubernetes.io/zone", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
                { maxSkew: 1, topologyKey: "kubernetes.io/hostname", whenUnsatisfiable: "ScheduleAnyway", labelSelector: { matchLabels: selector } },
              ],
              containers: [
                {
                  name: "server",
                  image: args.image,
                  imagePullPolicy: args.imagePullPolicy ?? "IfNotPresent",
                  ports: [
                    { name: APP_PORT.name, containerPort: APP_PORT.number, protocol: "TCP" },
                    { name: GRPC_PORT.name, containerPort: GRPC_PORT.number, protocol: "TCP" },
                  ],
                  env,
                  resources: {
                    requests: { cpu: args.cpu, memory: args.memory, ...gpus },
                    limits: { memory: args.memory, ...gpus },
                  },
                  // Model load and CUDA start-up may take minutes; liveness waits for it. All probes use
                  // HTTP: both front doors share one readiness (app/src/app.ts), REST answers it.
                  startupProbe: probe(HEALTH.live, 5, 60),
                  readinessProbe: probe(HEALTH.ready, 5, 2),
                  livenessProbe: probe(HEALTH.live, 10, 3),
                  lifecycle: { preStop: { sleep: { seconds: preStop } } },
                  securityContext: {
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    runAsNonRoot: true,
                    capabilities: { drop: ["ALL"] },
                  },
                  volumeMounts: [
                    { name: "tmp", mountPath: "/tmp" },
                    ...(args.authTokensSecret ? [{ name: "auth", mountPath: AUTH_MOUNT, readOnly: true }] : []),
                  ],
                },
              ],
              volumes: [
                { name: "tmp", emptyDir: { sizeLimit: "1Gi" } },
                ...(args.authTokensSecret ? [{ name: "auth", secret: { secretName: args.authTokensSecret } }] : []),
              ],
            },
          },
        },
      },
      // An autoscaler owns spec.replicas when replicas is left out.
      { parent: this, ...(args.replicas === undefined ? { ignoreChanges: ["spec.replicas"] } : {}) },
    );

    const service = new k8s.core.v1.Service(
      name,
      {
        metadata: { name, namespace: args.namespace, labels },
        spec: {
          type: "ClusterIP",
          selector,
          ports: [
            { name: APP_PORT.name, port: 80, targetPort: APP_PORT.name, protocol: "TCP" },
            { name: GRPC_PORT.name, port: GRPC_PORT.number, targetPort: GRPC_PORT.name, protocol: "TCP", appProtocol: GRPC_APP_PROTOCOL },
          ],
        },
      },
      { parent: this },
    );

    new k8s.policy.v1.PodDisruptionBudget(
      name,
      { metadata: { name, namespace: args.namespace, labels }, spec: { maxUnavailable: 1, selector: { matchLabels: selector } } },
      { parent: this },
    );

    // Whoever may call REST may call gRPC: both front doors, on every rule.
    const port = [APP_PORT, GRPC_PORT].map((p) => ({ port: p.number, protocol: "TCP" }));
    new k8s.networking.v1.NetworkPolicy(
      name,
      {
        metadata: { name, namespace: args.namespace, labels },
        spec: {
          podSelector: { matchLabels: selector },
          policyTypes: ["Ingress", "Egress"],
          ingress: [
            { from: [{ podSelector: {} }], ports: port },
            ...((args.ingressCidrs ?? []).length > 0
              ? [{ from: (args.ingressCidrs ?? []).map((cidr) => ({ ipBlock: { cidr } })), ports: port }]
              : []),
            ...((args.ingressNamespaces ?? []).length > 0
              ? [
                  {
                    from: (args.ingressNamespaces ?? []).map((ns) => ({
                      namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } },
                    })),
                    ports: port,
                  },
                ]
              : []),
          ],
          egress: [
            // DNS, and Redis wherever it runs (ElastiCache in the VPC or in-cluster); nothing else.
            { ports: [{ port: 53, protocol: "UDP" }, { port: 53, protocol: "TCP" }] },
            { ports: [{ port: 6379, protocol: "TCP" }] },
          ],
        },
      },
      { parent: this },
    );

    this.namespace = pulumi.output(args.namespace);
    this.deploymentName = deployment.metadata.name;
    this.serviceName = service.metadata.name;
    this.selector = selector;
    this.registerOutputs({ namespace: this.namespace, deploymentName: this.deploymentName, serviceName: this.serviceName });
  }
}
