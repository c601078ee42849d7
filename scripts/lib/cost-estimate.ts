// A monthly cost range for what a stack registers, priced from infra/prices.json.
// It reads the resources themselves (not the config), so whatever a component adds
// that costs money shows up here once its type is priced. Low = the least the stack
// runs (minimum replicas, spot where allowed); high = every pool at its limit at
// on-demand prices.
import prices from "../../infra/cluster/prices.json" with { type: "json" };
import { cheapestGpuType, INSTANCE_TYPES } from "../../infra/cluster/instance-types.js";
import { POOL_LABEL } from "../../infra/cluster/gpu-node-pools.js";
import { cpuCores, gibOf } from "../../infra/serving/quantity.js";
import type { ProgramRun, RecordedResource } from "./mock-program.js";

export interface CostLine {
  item: string;
  detail: string;
  low: number;
  high: number;
}

export interface CostEstimate {
  lines: CostLine[];
  low: number;
  high: number;
}

const HOURS = prices.hoursPerMonth;
const A = prices.assumptions;

function instancePrice(type: string): number {
  const t = INSTANCE_TYPES.find((i) => i.name === type);
  if (!t) throw new Error(`no price for instance type ${type} in infra/prices.json`);
  return t.usdPerHour;
}

const of = (run: ProgramRun, type: string) => run.resources.filter((r) => r.type === type);

/** Replicas a Deployment runs at least: its own count, or the minimum of the autoscaler that targets it. */
function minReplicas(run: ProgramRun, deployment: RecordedResource): number {
  if (typeof deployment.inputs.spec?.replicas === "number") return deployment.inputs.spec.replicas;
  const name = deployment.inputs.metadata?.name;
  const scaler = run.resources.find(
    (r) => r.inputs?.kind === "ScaledObject" && r.inputs.spec?.scaleTargetRef?.name === name,
  );
  const hpa = run.resources.find(
    (r) => r.inputs?.kind === "HorizontalPodAutoscaler" && r.inputs.spec?.scaleTargetRef?.name === name,
  );
  return scaler?.inputs.spec.minReplicaCount ?? hpa?.inputs.spec.minReplicas ?? 1;
}

interface PoolDemand {
  /** GPUs the pool must hold at least (minimum replicas of the pods that land there first). */
  gpus: number;
  /** The largest pod's requests, which one node must fit. */
  vcpu: number;
  memoryGiB: number;
}

/** What Deployments pinned to GPU pools ask of each pool (the minimum goes to the highest-weight pool). */
function demandByPool(run: ProgramRun, pools: RecordedResource[]): Map<string, PoolDemand> {
  const weight = (pool: string) => pools.find((p) => poolName(p) === pool)?.inputs.spec.weight ?? 0;
  const demand = new Map<string, PoolDemand>();
  for (const d of of(run, "kubernetes:apps/v1:Deployment")) {
    const pod = d.inputs.spec?.template?.spec;
    const terms = pod?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
    const allowed: string[] = terms.flatMap((t: any) =>
      (t.matchExpressions ?? []).filter((e: any) => e.key === POOL_LABEL).flatMap((e: any) => e.values),
    );
    const requests = pod?.containers?.[0]?.resources?.requests ?? {};
    const gpus = Number(requests["nvidia.com/gpu"] ?? 0);
    if (allowed.length === 0 || gpus === 0) continue;
    const first = [...allowed].sort((a, b) => weight(b) - weight(a))[0] as string;
    for (const pool of allowed) {
      const had = demand.get(pool) ?? { gpus: 0, vcpu: 0, memoryGiB: 0 };
      demand.set(pool, {
        gpus: had.gpus + (pool === first ? minReplicas(run, d) * gpus : 0),
        vcpu: Math.max(had.vcpu, cpuCores(String(requests.cpu ?? "0"))),
        memoryGiB: Math.max(had.memoryGiB, gibOf(String(requests.memory ?? "0"))),
      });
    }
  }
  return demand;
}

const poolName = (p: RecordedResource): string => p.inputs.spec?.template?.metadata?.labels?.[POOL_LABEL] ?? p.name;

/** GiB of every `resources.requests.storage` under an object (PVC templates in manifests and Helm values), times the `replicas` beside them. */
function storageRequests(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((s: number, v) => s + storageRequests(v), 0);
  if (typeof value !== "object" || value === null) return 0;
  const v = value as Record<string, any>;
  const own = typeof v.resources?.requests?.storage === "string" ? gibOf(v.resources.requests.storage) : 0;
  const below = Object.entries(v).reduce((s, [k, child]) => s + (k === "resources" ? 0 : storageRequests(child)), 0);
  return (own + below) * (typeof v.replicas === "number" && v.replicas > 0 ? v.replicas : 1);
}

export function estimateMonthlyCost(run: ProgramRun): CostEstimate {
  const lines: CostLine[] = [];
  const add = (item: string, detail: string, low: number, high = low) => lines.push({ item, detail, low, high });
  const autoMode = of(run, "eks:index:Cluster").some((c) => c.inputs.autoMode?.enabled);
  const fee = autoMode ? prices.eks.autoModeFeeFraction : 0;
  const rootVolume = A.nodeRootVolumeGiB * prices.ebs.gp3PerGBMonth;

  for (const c of of(run, "eks:index:Cluster")) {
    add("EKS control plane", String(c.inputs.name ?? c.name), prices.eks.controlPlanePerHour * HOURS);
    const sys = A.systemNodes;
    const perNode = instancePrice(sys.instanceType) * (1 + fee) * HOURS + rootVolume;
    add("system nodes", `${sys.min}-${sys.max} x ${sys.instanceType}${autoMode ? " + Auto Mode fee" : ""} (assumed)`, sys.min * perNode, sys.max * perNode);
  }

  for (const vpc of of(run, "awsx:ec2:Vpc")) {
    const strategy = vpc.inputs.natGateways?.strategy ?? "OnePerAz";
    const count = strategy === "None" ? 0 : strategy === "Single" ? 1 : (vpc.inputs.numberOfAvailabilityZones ?? 3);
    const each = prices.natGateway.perHour * HOURS + A.natGBPerMonth * prices.natGateway.perGB;
    add("NAT gateways", `${count} x (hourly + ${A.natGBPerMonth} GB processed)`, count * each);
  }

  const pools = of(run, "kubernetes:karpenter.sh/v1:NodePool");
  const demand = demandByPool(run, pools);
  for (const pool of pools) {
    const spec = pool.inputs.spec.template.spec;
    const req = (key: string): string[] => spec.requirements.find((r: any) => r.key.endsWith(key))?.values ?? [];
    const gpuCount = Number(req("/instance-gpu-count")[0] ?? 1);
    const need = demand.get(poolName(pool)) ?? { gpus: 0, vcpu: 0, memoryGiB: 0 };
    const type = cheapestGpuType(req("/instance-family"), gpuCount, need);
    if (!type) {
      throw new Error(`NodePool ${pool.name}: no priced ${req("/instance-family").join("/")} type with ${gpuCount} GPUs, ${need.vcpu} vCPU, ${need.memoryGiB} GiB`);
    }
    const capacity = req("karpenter.sh/capacity-type");
    const spot = capacity.includes("spot");
    const onDemand = capacity.includes("on-demand");
    const feePerNode = type.usdPerHour * fee * HOURS;
    const lowPerNode = type.usdPerHour * (spot ? A.spotFraction : 1) * HOURS + feePerNode + rootVolume;
    const highPerNode = type.usdPerHour * (onDemand ? 1 : A.spotFraction) * HOURS + feePerNode + rootVolume;
    const minNodes = Math.ceil(need.gpus / gpuCount);
    const maxNodes = Math.floor(Number(pool.inputs.spec.limits?.["nvidia.com/gpu"] ?? gpuCount) / gpuCount);
    add(
      `GPU pool ${poolName(pool)}`,
      `${minNodes}-${maxNodes} x ${type.name} (${capacity.join("/")})`,
      minNodes * lowPerNode,
      maxNodes * highPerNode,
    );
  }

  for (const svc of of(run, "kubernetes:core/v1:Service")) {
    if (svc.inputs.spec?.type !== "LoadBalancer" || !String(svc.inputs.spec?.loadBalancerClass ?? "").startsWith("eks.amazonaws.com/")) continue;
    add("network load balancer", `${svc.name} (hourly + ${A.lcuPerHour} LCU)`, (prices.networkLoadBalancer.perHour + A.lcuPerHour * prices.networkLoadBalancer.perLcuHour) * HOURS);
  }

  for (const rg of of(run, "aws:elasticache/replicationGroup:ReplicationGroup")) {
    const nodeType = String(rg.inputs.nodeType);
    const perHour = (prices.elasticache.nodePerHour as Record<string, number>)[nodeType];
    if (perHour === undefined) throw new Error(`no price for ElastiCache node type ${nodeType} in infra/prices.json`);
    const nodes = Number(rg.inputs.numCacheClusters ?? 1);
    const discount = rg.inputs.engine === "valkey" ? 1 - prices.elasticache.valkeyDiscount : 1;
    add("ElastiCache", `${nodes} x ${nodeType} (${rg.inputs.engine ?? "redis"})`, nodes * perHour * discount * HOURS);
  }

  if (run.resources.some((r) => r.type.startsWith("aws:") || r.type.startsWith("eks:"))) {
    const gib = run.resources
      .filter((r) => r.type.startsWith("kubernetes:"))
      .reduce((sum, r) => sum + storageRequests(r.inputs), 0);
    if (gib > 0) add("EBS volumes (gp3)", `${gib} GiB requested by volume claims`, gib * prices.ebs.gp3PerGBMonth);
  }

  const low = lines.reduce((s, l) => s + l.low, 0);
  const high = lines.reduce((s, l) => s + l.high, 0);
  return { lines, low, high };
}
