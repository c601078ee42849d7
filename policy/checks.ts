// The guardrails as pure functions: each takes resources as (type, props, options) and returns
// the violations it finds, one message each. policies.ts registers them with CrossGuard; the
// tests call them on the resources the program registers under mocks.

/** A resource as a check sees it: its type token, its properties and the options that matter here. */
export interface Subject {
  type: string;
  name: string;
  props: Record<string, unknown>;
  protect: boolean;
}

export type ResourceCheck = (r: Subject) => string[];
export type StackCheck = (resources: readonly Subject[]) => string[];

const GPU_RESOURCE = "nvidia.com/gpu";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const obj = (v: unknown): Obj => (isObj(v) ? v : {});
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const at = (v: unknown, ...path: string[]): unknown => path.reduce<unknown>((o, k) => (isObj(o) ? o[k] : undefined), v);

/** Where each workload kind keeps its pod spec. */
const POD_SPEC_PATH: Record<string, string[]> = {
  "kubernetes:apps/v1:Deployment": ["spec", "template", "spec"],
  "kubernetes:apps/v1:StatefulSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:DaemonSet": ["spec", "template", "spec"],
  "kubernetes:apps/v1:ReplicaSet": ["spec", "template", "spec"],
  "kubernetes:batch/v1:Job": ["spec", "template", "spec"],
  "kubernetes:batch/v1:CronJob": ["spec", "jobTemplate", "spec", "template", "spec"],
  "kubernetes:core/v1:Pod": ["spec"],
};

/** The pod spec of a workload, or undefined for anything that runs no pods. */
function podSpec(r: Subject): Obj | undefined {
  const path = POD_SPEC_PATH[r.type];
  if (!path) return undefined;
  const spec = at(r.props, ...path);
  return isObj(spec) ? spec : undefined;
}

function containers(pod: Obj): Obj[] {
  return [...list(pod.initContainers), ...list(pod.containers)].filter(isObj);
}

const label = (r: Subject, c?: Obj) => `${r.type.split(":").pop()} ${r.name}${c ? ` container "${String(c.name)}"` : ""}`;

/** Every container states cpu and memory requests and a memory limit, so the scheduler and the OOM killer both know its size. */
export const containerResources: ResourceCheck = (r) => {
  const pod = podSpec(r);
  if (!pod) return [];
  return containers(pod).flatMap((c) => {
    const missing = [
      at(c, "resources", "requests", "cpu") === undefined ? "requests.cpu" : undefined,
      at(c, "resources", "requests", "memory") === undefined ? "requests.memory" : undefined,
      at(c, "resources", "limits", "memory") === undefined ? "limits.memory" : undefined,
    ].filter((m): m is string => m !== undefined);
    return missing.length ? [`${label(r, c)} has no ${missing.join(", ")}`] : [];
  });
};

/** Images are pinned by digest, so a deploy runs exactly the bytes that were tested. */
export const imagesPinnedByDigest: ResourceCheck = (r) => {
  const pod = podSpec(r);
  if (!pod) return [];
  return containers(pod).flatMap((c) =>
    typeof c.image === "string" && /@sha256:[0-9a-f]{64}$/.test(c.image) ? [] : [`${label(r, c)} image "${String(c.image)}" is not pinned by digest (<repository>@sha256:...)`],
  );
};

/** No privileged containers and none running as root: runAsNonRoot on the pod or container, never uid 0. */
export const nonRootUnprivileged: ResourceCheck = (r) => {
  const pod = podSpec(r);
  if (!pod) return [];
  const podCtx = obj(pod.securityContext);
  return containers(pod).flatMap((c) => {
    const ctx = obj(c.securityContext);
    const out: string[] = [];
    if (ctx.privileged === true) out.push(`${label(r, c)} is privileged`);
    const nonRoot = ctx.runAsNonRoot ?? podCtx.runAsNonRoot;
    const uid = ctx.runAsUser ?? podCtx.runAsUser;
    if (uid === 0) out.push(`${label(r, c)} runs as uid 0`);
    else if (nonRoot !== true) out.push(`${label(r, c)} may run as root: set securityContext.runAsNonRoot: true`);
    return out;
  });
};

function requestsGpu(pod: Obj): boolean {
  return containers(pod).some((c) => at(c, "resources", "limits", GPU_RESOURCE) !== undefined || at(c, "resources", "requests", GPU_RESOURCE) !== undefined);
}

function toleratesGpuTaint(pod: Obj): boolean {
  return list(pod.tolerations).some((t) => {
    const tol = obj(t);
    const keyOk = tol.key === GPU_RESOURCE || (tol.key === undefined && tol.operator === "Exists");
    const effectOk = tol.effect === undefined || tol.effect === "NoSchedule";
    return keyOk && effectOk;
  });
}

/** Node selection that aims at GPU nodes: a selector or affinity key that names a GPU. */
function targetsGpuNodes(pod: Obj): boolean {
  const keys = [
    ...Object.keys(obj(pod.nodeSelector)),
    ...list(at(pod, "affinity", "nodeAffinity", "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms")).flatMap((t) =>
      list(obj(t).matchExpressions).map((e) => String(obj(e).key)),
    ),
  ];
  return keys.some((k) => /gpu/i.test(k));
}

/**
 * A pod meant for GPU nodes both tolerates the nvidia.com/gpu taint and asks for nvidia.com/gpu:
 * without the toleration it never schedules there, without the request it lands on a GPU node
 * without a GPU of its own. DaemonSets (device plugin, DCGM exporter) only need the toleration.
 */
export const gpuPodsTolerateAndRequest: ResourceCheck = (r) => {
  const pod = podSpec(r);
  if (!pod) return [];
  const requests = requestsGpu(pod);
  const tolerates = toleratesGpuTaint(pod);
  if (!requests && !tolerates && !targetsGpuNodes(pod)) return [];
  const out: string[] = [];
  if (!tolerates) out.push(`${label(r)} runs on GPU nodes but does not tolerate the ${GPU_RESOURCE}:NoSchedule taint`);
  if (!requests && r.type !== "kubernetes:apps/v1:DaemonSet") out.push(`${label(r)} targets GPU nodes but requests no ${GPU_RESOURCE}`);
  return out;
};

/**
 * Karpenter NodePools that launch GPU instances taint their nodes nvidia.com/gpu:NoSchedule,
 * so that only pods which asked for a GPU land on them.
 */
export const gpuNodesTainted: ResourceCheck = (r) => {
  if (r.type !== "kubernetes:karpenter.sh/v1:NodePool") return [];
  const spec = at(r.props, "spec", "template", "spec");
  const gpu = list(at(spec, "requirements")).some((q) => /\/instance-gpu-/.test(String(obj(q).key)) && obj(q).operator !== "DoesNotExist");
  if (!gpu) return [];
  const tainted = list(at(spec, "taints")).some((t) => obj(t).key === GPU_RESOURCE && obj(t).effect === "NoSchedule");
  return tainted ? [] : [`NodePool ${r.name} launches GPU nodes without the ${GPU_RESOURCE}:NoSchedule taint`];
};

/** ElastiCache encrypts in transit and at rest and requires AUTH. */
export const elastiCacheEncrypted: ResourceCheck = (r) => {
  if (r.type !== "aws:elasticache/replicationGroup:ReplicationGroup") return [];
  const p = r.props;
  const out: string[] = [];
  if (p.transitEncryptionEnabled !== true) out.push(`ReplicationGroup ${r.name} must set transitEncryptionEnabled: true`);
  if (p.atRestEncryptionEnabled !== true) out.push(`ReplicationGroup ${r.name} must set atRestEncryptionEnabled: true`);
  const auth = (typeof p.authToken === "string" && p.authToken.length > 0) || list(p.userGroupIds).length > 0;
  if (!auth) out.push(`ReplicationGroup ${r.name} must require AUTH (authToken or userGroupIds)`);
  return out;
};

/** Tag that marks subnets for internet-facing load balancers, i.e. public ones. */
const PUBLIC_LB_SUBNET_TAG = "kubernetes.io/role/elb";

/**
 * Nodes live in private subnets: the EKS cluster puts workers on privateSubnetIds and gives them
 * no public IPs, and node classes neither select the public load balancer subnets nor ask for
 * public IPs.
 */
export const nodesInPrivateSubnets: ResourceCheck = (r) => {
  const p = r.props;
  const out: string[] = [];
  if (r.type === "eks:index:Cluster") {
    if (p.nodeAssociatePublicIpAddress === true) out.push(`eks Cluster ${r.name} gives nodes public IPs (nodeAssociatePublicIpAddress: true)`);
    if (p.privateSubnetIds === undefined) out.push(`eks Cluster ${r.name} has no privateSubnetIds: its nodes would run in public or unspecified subnets`);
    const publicIds = new Set(list(p.publicSubnetIds).map(String));
    if (list(p.nodeSubnetIds).some((id) => publicIds.has(String(id)))) out.push(`eks Cluster ${r.name} puts nodes in its public subnets (nodeSubnetIds)`);
  }
  if (r.type === "kubernetes:karpenter.k8s.aws/v1:EC2NodeClass" || r.type === "kubernetes:eks.amazonaws.com/v1:NodeClass") {
    const kind = r.type.split(":").pop();
    const terms = list(at(p, "spec", "subnetSelectorTerms"));
    if (terms.some((t) => Object.keys(obj(obj(t).tags)).includes(PUBLIC_LB_SUBNET_TAG))) {
      out.push(`${kind} ${r.name} selects the public load balancer subnets (${PUBLIC_LB_SUBNET_TAG})`);
    }
    if (at(p, "spec", "advancedNetworking", "associatePublicIPAddress") === true || at(p, "spec", "associatePublicIPAddress") === true) {
      out.push(`${kind} ${r.name} gives nodes public IPs (associatePublicIPAddress: true)`);
    }
  }
  return out;
};

/** Managed node groups use no subnet that maps public IPs on launch. */
export const nodeGroupsInPrivateSubnets: StackCheck = (resources) => {
  const publicSubnetIds = new Set(
    resources
      .filter((r) => r.type === "aws:ec2/subnet:Subnet" && r.props.mapPublicIpOnLaunch === true)
      .map((r) => r.props.id)
      .filter((id): id is string => typeof id === "string"),
  );
  return resources
    .filter((r) => r.type === "aws:eks/nodeGroup:NodeGroup")
    .flatMap((r) => {
      const bad = list(r.props.subnetIds).filter((id) => publicSubnetIds.has(String(id)));
      return bad.length ? [`node group ${r.name} uses public subnets ${bad.join(", ")}`] : [];
    });
};

/**
 * Resource types whose loss loses data, the cluster or the images releases run. The EKS cluster and
 * the VPC are children of packaged components (eks, awsx); the engine hands the pack those children
 * with the options the program's transforms gave them (infra/protection.ts).
 */
const STATEFUL_TYPES = [
  "aws:elasticache/replicationGroup:ReplicationGroup",
  "aws:ecr/repository:Repository",
  "aws:eks/cluster:Cluster",
  "aws:ec2/vpc:Vpc",
] as const;

/**
 * Components whose `protect` every child would inherit (IAM roles, access entries, subnets, the
 * Kubernetes provider), so that removing a role or replacing any of them fails: Pulumi docs, resource
 * option protect, https://www.pulumi.com/docs/iac/concepts/resources/options/protect/.
 */
const isComponent = (type: string) => type === "eks:index:Cluster" || type.startsWith("awsx:") || type.startsWith("inference-platform:");

/**
 * Stateful resources carry `protect`, so no update or destroy deletes them by accident; components
 * do not, so their other children stay replaceable. An ECR repository with `forceDelete` declares its
 * images disposable (a build cache) and needs no protection.
 */
export const statefulProtected: ResourceCheck = (r) => {
  if (isComponent(r.type) && r.protect) {
    return [`${r.type} ${r.name} is a component: protect would pass to all its children; protect its stateful resources instead (transforms)`];
  }
  const disposable = r.type === "aws:ecr/repository:Repository" && r.props.forceDelete === true;
  return (STATEFUL_TYPES as readonly string[]).includes(r.type) && !disposable && !r.protect
    ? [`${r.type} ${r.name} is stateful and must be protected (resource option protect: true)`]
    : [];
};

const SSL_CERT = "service.beta.kubernetes.io/aws-load-balancer-ssl-cert";
const ALB_CERT = "alb.ingress.kubernetes.io/certificate-arn";

/** Load balancers terminate TLS: NLB Services carry an ACM certificate, ALB Ingresses too, AWS listeners use HTTPS/TLS. */
export const loadBalancerTls: ResourceCheck = (r) => {
  const annotations = obj(at(r.props, "metadata", "annotations"));
  if (r.type === "kubernetes:core/v1:Service" && at(r.props, "spec", "type") === "LoadBalancer") {
    return typeof annotations[SSL_CERT] === "string" && annotations[SSL_CERT] !== "" ? [] : [`Service ${r.name} is a load balancer without TLS (annotation ${SSL_CERT})`];
  }
  if (r.type === "kubernetes:networking.k8s.io/v1:Ingress") {
    return typeof annotations[ALB_CERT] === "string" && annotations[ALB_CERT] !== "" ? [] : [`Ingress ${r.name} has no TLS certificate (annotation ${ALB_CERT})`];
  }
  if (r.type === "aws:lb/listener:Listener" || r.type === "aws:alb/listener:Listener") {
    return ["HTTPS", "TLS"].includes(String(r.props.protocol)) ? [] : [`Listener ${r.name} uses ${String(r.props.protocol)}, not HTTPS or TLS`];
  }
  return [];
};

function matches(selector: unknown, labels: Obj): boolean {
  const match = obj(obj(selector).matchLabels);
  const keys = Object.keys(match);
  return keys.length > 0 && keys.every((k) => labels[k] === match[k]);
}

/** Every Deployment that runs more than one replica (or is autoscaled) is covered by a PodDisruptionBudget. */
export const deploymentsHavePdb: StackCheck = (resources) => {
  const pdbs = resources.filter((r) => r.type === "kubernetes:policy/v1:PodDisruptionBudget");
  return resources
    .filter((r) => r.type === "kubernetes:apps/v1:Deployment" && at(r.props, "spec", "replicas") !== 1)
    .filter((d) => {
      const labels = obj(at(d.props, "spec", "template", "metadata", "labels"));
      const ns = at(d.props, "metadata", "namespace");
      return !pdbs.some((p) => at(p.props, "metadata", "namespace") === ns && matches(at(p.props, "spec", "selector"), labels));
    })
    .map((d) => `Deployment ${d.name} has no PodDisruptionBudget selecting its pods`);
};

/** At least one PrometheusRule with at least one alert: an unwatched service is not in production. */
export const alertsPresent: StackCheck = (resources) => {
  const alerts = resources
    .filter((r) => r.type === "kubernetes:monitoring.coreos.com/v1:PrometheusRule")
    .flatMap((r) => list(at(r.props, "spec", "groups")).flatMap((g) => list(obj(g).rules)))
    .filter((rule) => typeof obj(rule).alert === "string");
  return alerts.length > 0 ? [] : ["the stack declares no PrometheusRule with an alert"];
};

const ACCESS_POLICY = "arn:aws:eks::aws:cluster-access-policy/";
/** The access entries CI needs and the policies that suffice for each, at cluster scope. */
const CI_ACCESS: Record<string, string[]> = {
  "ci-deploy": ["AmazonEKSClusterAdminPolicy"],
  "ci-preview": ["AmazonEKSAdminViewPolicy", "AmazonEKSViewPolicy"],
};

/**
 * An EKS cluster gives CI's deploy role cluster-admin and its preview role read access by access
 * entries: the creator's admin comes from bootstrap permissions and is nobody else's, so without
 * them the first CI run after a laptop `pulumi up` cannot reach the cluster.
 */
export const ciAccessEntries: ResourceCheck = (r) => {
  if (r.type !== "eks:index:Cluster") return [];
  const entries = obj(r.props.accessEntries);
  return Object.entries(CI_ACCESS).flatMap(([key, allowed]) => {
    const entry = obj(entries[key]);
    if (typeof entry.principalArn !== "string") return [`eks Cluster ${r.name} has no access entry "${key}" for CI's ${key.slice(3)} role`];
    const granted = Object.values(obj(entry.accessPolicies)).filter(
      (p) => allowed.some((name) => obj(p).policyArn === `${ACCESS_POLICY}${name}`) && at(p, "accessScope", "type") === "cluster",
    );
    return granted.length > 0 ? [] : [`eks Cluster ${r.name} access entry "${key}" lacks ${allowed.join(" or ")} at cluster scope`];
  });
};
