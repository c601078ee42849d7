// The shared result cache. In AWS stacks: an ElastiCache for Valkey replication
// group in the private subnets, reachable only from the cluster's security group,
// TLS in transit, encrypted at rest, AUTH token generated here as a Pulumi secret,
// Multi-AZ with automatic failover where the stack asks for it. In the local
// stack: one in-cluster Valkey pod with the same AUTH token scheme, reachable from
// the app's namespace only. Either way the app reads the connection URL from a
// Kubernetes Secret, never from a plain env value. Valkey rather than Redis OSS:
// the same protocol and ioredis client, an open-source licence, and ElastiCache
// prices Valkey nodes about 20% lower.
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";

export const REDIS_PORT = 6379;
/** Key of the connection URL in the cache Secret. */
export const REDIS_URL_KEY = "url";

/** ElastiCache settings of a stack (stacks/*.yaml, cache). */
export interface ElastiCacheSettings {
  /** Node type, e.g. "cache.t4g.small". */
  nodeType: string;
  /** Cache nodes in the group: one primary plus read replicas (Multi-AZ needs at least 2). */
  nodes: number;
  /** Place replicas in other AZs and fail over automatically when the primary fails. */
  multiAz: boolean;
  /** Valkey engine version, e.g. "8.0". */
  engineVersion: string;
  /** Days of daily snapshots kept (0 = none). */
  snapshotRetentionDays: number;
}

/** Where the ElastiCache group lives and who may reach it. */
export interface ElastiCacheNetwork {
  /** VPC of the cluster. */
  vpcId: pulumi.Input<string>;
  /** Private subnets, one per AZ the group may use. */
  subnetIds: pulumi.Input<pulumi.Input<string>[]>;
  /** Security groups (the cluster's) allowed to connect on the Redis port. */
  clientSecurityGroupIds: pulumi.Input<string>[];
}

export interface CacheArgs {
  /** Namespace of the app; the connection Secret is created there (required). */
  namespace: pulumi.Input<string>;
  /** ElastiCache group to create; when absent an in-cluster Valkey serves the local stack (default absent). */
  elastiCache?: ElastiCacheSettings & ElastiCacheNetwork;
  /** Image of the in-cluster Valkey (default "valkey/valkey:8.1-alpine"). */
  image?: string;
  /** Protect the replication group, not its network or secrets (../protection.ts) (default false). */
  protect?: boolean;
  /** Tags for AWS resources (default none). */
  tags?: Record<string, string>;
}

export class Cache extends pulumi.ComponentResource {
  /** Name of the Secret holding the connection URL under key `secretKey`. */
  public readonly secretName: pulumi.Output<string>;
  public readonly secretKey = REDIS_URL_KEY;
  /** Host the app connects to. */
  public readonly host: pulumi.Output<string>;
  /** Whether the connection uses TLS (rediss://). */
  public readonly tls: boolean;

  constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-platform:infra:Cache", name, {}, opts);
    // Letters and digits only: valid as an ElastiCache AUTH token (16-128 printable, no @ " /) and safe in a URL.
    const token = new random.RandomPassword(`${name}-auth-token`, { length: 48, special: false }, { parent: this });

    let url: pulumi.Output<string>;
    if (args.elastiCache) {
      const group = this.replicationGroup(name, args.elastiCache, token.result, args);
      this.host = group.primaryEndpointAddress;
      this.tls = true;
      url = pulumi.interpolate`rediss://:${token.result}@${group.primaryEndpointAddress}:${REDIS_PORT}`;
    } else {
      this.host = this.inCluster(name, args, token.result);
      this.tls = false;
      url = pulumi.interpolate`redis://:${token.result}@${this.host}:${REDIS_PORT}`;
    }

    const secret = new k8s.core.v1.Secret(
      `${name}-connection`,
      {
        metadata: { name: "redis-connection", namespace: args.namespace },
        type: "Opaque",
        stringData: { [REDIS_URL_KEY]: pulumi.secret(url) },
      },
      { parent: this },
    );
    this.secretName = secret.metadata.name;
    this.registerOutputs({ secretName: this.secretName, host: this.host, tls: this.tls });
  }

  private replicationGroup(
    name: string,
    c: ElastiCacheSettings & ElastiCacheNetwork,
    token: pulumi.Output<string>,
    args: CacheArgs,
  ): aws.elasticache.ReplicationGroup {
    const sg = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      { vpcId: c.vpcId, description: "Valkey result cache: reachable from the EKS cluster only", tags: args.tags },
      { parent: this },
    );
    c.clientSecurityGroupIds.forEach((clientSg, i) => {
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-from-cluster-${i}`,
        {
          securityGroupId: sg.id,
          referencedSecurityGroupId: clientSg,
          ipProtocol: "tcp",
          fromPort: REDIS_PORT,
          toPort: REDIS_PORT,
          description: "Redis protocol from the cluster",
        },
        { parent: this },
      );
    });
    const subnets = new aws.elasticache.SubnetGroup(
      `${name}-subnets`,
      { subnetIds: c.subnetIds, description: "Private subnets of the result cache", tags: args.tags },
      { parent: this },
    );
    return new aws.elasticache.ReplicationGroup(
      `${name}-valkey`,
      {
        description: "Inference result cache",
        engine: "valkey",
        engineVersion: c.engineVersion,
        nodeType: c.nodeType,
        numCacheClusters: c.nodes,
        automaticFailoverEnabled: c.multiAz,
        multiAzEnabled: c.multiAz,
        port: REDIS_PORT,
        subnetGroupName: subnets.name,
        securityGroupIds: [sg.id],
        transitEncryptionEnabled: true,
        transitEncryptionMode: "required",
        atRestEncryptionEnabled: true,
        authToken: token,
        snapshotRetentionLimit: c.snapshotRetentionDays,
        autoMinorVersionUpgrade: true,
        applyImmediately: true,
        tags: args.tags,
      },
      { parent: this, protect: args.protect ?? false },
    );
  }

  /** One Valkey pod behind a Service; returns the Service's cluster DNS name. */
  private inCluster(name: string, args: CacheArgs, token: pulumi.Output<string>): pulumi.Output<string> {
    const labels = { "app.kubernetes.io/name": "valkey", "app.kubernetes.io/part-of": "inference-platform" };
    const auth = new k8s.core.v1.Secret(
      `${name}-auth`,
      { metadata: { name: "valkey-auth", namespace: args.namespace }, type: "Opaque", stringData: { password: token } },
      { parent: this },
    );
    new k8s.apps.v1.Deployment(
      `${name}-valkey`,
      {
        metadata: { name: "valkey", namespace: args.namespace, labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: labels },
          template: {
            metadata: { labels },
            spec: {
              securityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: { type: "RuntimeDefault" } },
              containers: [
                {
                  name: "valkey",
                  image: args.image ?? "valkey/valkey:8.1-alpine",
                  // A cache: no persistence, bounded memory, evict least-recently-used keys when full.
                  args: ["--requirepass", "$(VALKEY_PASSWORD)", "--save", "", "--appendonly", "no", "--maxmemory", "200mb", "--maxmemory-policy", "allkeys-lru"],
                  env: [{ name: "VALKEY_PASSWORD", valueFrom: { secretKeyRef: { name: auth.metadata.name, key: "password" } } }],
                  ports: [{ name: "redis", containerPort: REDIS_PORT }],
                  readinessProbe: { tcpSocket: { port: "redis" }, periodSeconds: 5 },
                  livenessProbe: { tcpSocket: { port: "redis" }, periodSeconds: 10, initialDelaySeconds: 10 },
                  resources: { requests: { cpu: "50m", memory: "128Mi" }, limits: { memory: "256Mi" } },
                  securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                  volumeMounts: [{ name: "data", mountPath: "/data" }],
                },
              ],
              volumes: [{ name: "data", emptyDir: {} }],
            },
          },
        },
      },
      { parent: this },
    );
    const service = new k8s.core.v1.Service(
      `${name}-valkey`,
      {
        metadata: { name: "valkey", namespace: args.namespace, labels },
        spec: { selector: labels, ports: [{ name: "redis", port: REDIS_PORT, targetPort: "redis" }] },
      },
      { parent: this },
    );
    new k8s.networking.v1.NetworkPolicy(
      `${name}-valkey`,
      {
        metadata: { name: "valkey", namespace: args.namespace },
        spec: {
          podSelector: { matchLabels: labels },
          policyTypes: ["Ingress"],
          // Pods of its own namespace only: the app's namespace holds nothing else.
          ingress: [{ from: [{ podSelector: {} }], ports: [{ port: REDIS_PORT, protocol: "TCP" }] }],
        },
      },
      { parent: this },
    );
    return pulumi.interpolate`${service.metadata.name}.${service.metadata.namespace}.svc.cluster.local`;
  }
}
