// npm run plan -- <stack | path/to/Pulumi.x.yaml>
// Runs the Pulumi program under mocks with that stack's config and prints the
// resource tree (type, name, key settings) and an estimated monthly cost. Needs no
// credentials, no Pulumi CLI and no cloud.
import { existsSync } from "node:fs";
import path from "node:path";
import { runCli, UsageError, type CommandSpec } from "./lib/cli-args.js";
import prices from "../infra/cluster/prices.json" with { type: "json" };
import { PROTECTED_TYPES } from "../infra/protection.js";
import { runProgram, STACKS, transformedOptions, type ProgramRun, type RecordedResource, type StackName, type StackSource } from "./lib/mock-program.js";
import { estimateMonthlyCost, type CostEstimate } from "./lib/cost-estimate.js";
import { coldStart, readFigures, renderColdStart } from "./image/cold-start.js";
import { stepSplits, type CanaryStep } from "../infra/delivery/canary.js";

/** The few settings worth a glance, per resource type. */
function keySettings(r: RecordedResource): string {
  const i = r.inputs;
  const spec = i.spec ?? {};
  switch (r.type) {
    case "awsx:ec2:Vpc":
      return `cidr=${i.cidrBlock} azs=${i.numberOfAvailabilityZones} nat=${i.natGateways?.strategy}`;
    case "eks:index:Cluster":
      return `name=${i.name} version=${i.version} autoMode=${i.autoMode?.enabled === true} publicEndpoint=${i.endpointPublicAccess}`;
    case "aws:ecr/repository:Repository":
      return `name=${i.name} tags=${i.imageTagMutability} scanOnPush=${i.imageScanningConfiguration?.scanOnPush === true}`;
    case "docker-build:index:Image":
      return `dockerfile=${path.relative(process.cwd(), i.dockerfile?.location ?? "")} push=${i.push} tags=${(i.tags ?? []).join(",")}`;
    case "pulumi:pulumi:StackReference":
      return `stack=${i.name}`;
    case "kubernetes:helm.sh/v3:Release":
      return `chart=${i.chart}@${i.version} namespace=${i.namespace ?? "default"}`;
    case "aws:elasticache/replicationGroup:ReplicationGroup":
      return `engine=${i.engine} node=${i.nodeType} x${i.numCacheClusters} multiAz=${i.multiAzEnabled === true}`;
    case "kubernetes:karpenter.sh/v1:NodePool": {
      const req = Object.fromEntries((spec.template?.spec?.requirements ?? []).map((q: any) => [q.key.split("/").pop(), q.values.join("|")]));
      return `families=${req["instance-family"]} gpus/node=${req["instance-gpu-count"]} capacity=${req["capacity-type"]} max=${spec.limits?.["nvidia.com/gpu"]} GPUs`;
    }
    case "kubernetes:apps/v1:Deployment": {
      const c = spec.template?.spec?.containers?.[0] ?? {};
      return `replicas=${spec.replicas ?? "autoscaled"} image=${c.image} gpu=${c.resources?.limits?.["nvidia.com/gpu"] ?? 0}`;
    }
    case "kubernetes:argoproj.io/v1alpha1:Rollout": {
      const weights = (spec.strategy?.canary?.steps ?? []).filter((s: any) => s.setWeight !== undefined).map((s: any) => `${s.setWeight}%`);
      return `workload=${spec.workloadRef?.kind}/${spec.workloadRef?.name} replicas=${spec.replicas ?? "autoscaled"} canary steps=${weights.join(" → ")}`;
    }
    case "kubernetes:core/v1:Service":
      return `type=${spec.type} ports=${(spec.ports ?? []).map((p: any) => p.nodePort ?? p.port).join(",")}${spec.loadBalancerClass ? ` class=${spec.loadBalancerClass}` : ""}`;
    default:
      return i.kind && i.metadata?.name ? `${i.kind}/${i.metadata.name}` : "";
  }
}

/**
 * The canary's steps as the controller will run them: pods and traffic share at the
 * fewest pods (the Rollout's replicas, or the autoscaler's minimum), hold, analysis.
 */
export function renderCanary(run: ProgramRun): string[] {
  const rollout = run.resources.find((r) => r.type === "kubernetes:argoproj.io/v1alpha1:Rollout");
  if (!rollout) return [];
  const spec = rollout.inputs.spec;
  const scaled = run.resources.find((r) => r.type === "kubernetes:keda.sh/v1alpha1:ScaledObject");
  const pods: number = spec.replicas ?? scaled?.inputs.spec.minReplicaCount ?? 1;
  const raw: any[] = spec.strategy.canary.steps;
  const steps: CanaryStep[] = raw.flatMap((s, i) => (s.setWeight === undefined ? [] : [{ weight: s.setWeight, pause: raw[i + 1]?.pause?.duration ?? "-" }]));
  const analysis = (raw.find((s) => s.analysis)?.analysis.templates ?? []).map((t: any) => t.templateName).join(", ");
  return [
    `Canary (Argo Rollouts ${rollout.inputs.metadata.name}, no traffic router: traffic follows pods; at ${pods} pods):`,
    ...stepSplits(steps, pods).map(
      (s, i) => `  step ${i + 1}: ${s.weight}% → ${s.canary} canary + ${s.stable} stable pods (${Math.round(s.trafficShare * 100)}% of requests), hold ${s.pause}, then analysis ${analysis}`,
    ),
    `  then the new version takes all pods; background analysis from the first analysis step; a failed analysis aborts to stable.`,
  ];
}

/** The resource tree as indented lines, children under their parents in registration order. */
export function renderTree(run: ProgramRun): string[] {
  const urns = new Set(run.resources.map((r) => r.urn));
  const children = new Map<string, RecordedResource[]>();
  for (const r of run.resources) {
    const parent = urns.has(r.parent) ? r.parent : "";
    children.set(parent, [...(children.get(parent) ?? []), r]);
  }
  const lines: string[] = [];
  const visit = (parent: string, depth: number) => {
    for (const r of children.get(parent) ?? []) {
      // Remote components (eks, awsx) protect a child through a transform; the mocks never see the child.
      const protects = PROTECTED_TYPES.filter((type) => transformedOptions(run.transforms.get(r.urn) ?? [], type).protect === true);
      const flags = (r.opts.protect ? " [protected]" : "") + (protects.length > 0 ? ` [protects ${protects.join(", ")}]` : "");
      const settings = keySettings(r);
      lines.push(`${"  ".repeat(depth)}${r.type}  ${r.name}${flags}${settings ? `  ${settings}` : ""}`);
      visit(r.urn, depth + 1);
    }
  };
  visit("", 0);
  return lines;
}

const usd = (n: number) => n.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

function renderCost(cost: CostEstimate): string[] {
  const width = Math.max(12, ...cost.lines.map((l) => l.item.length));
  const row = (a: string, b: string, lo: string, hi: string) => `  ${a.padEnd(width)}  ${lo.padStart(11)}  ${hi.padStart(11)}  ${b}`;
  return [
    `Estimated monthly cost, USD (${prices.region} prices of ${prices.date}; approximate):`,
    row("item", "detail", "low", "high"),
    ...cost.lines.map((l) => row(l.item, l.detail, usd(l.low), usd(l.high))),
    row("total", "", usd(cost.low), usd(cost.high)),
    `  low: minimum replicas, spot where allowed; high: every GPU pool at its limit, on-demand where allowed.`,
    `  Prices: ${prices.source} ${prices.note}`,
  ];
}

export const PLAN: CommandSpec = {
  command: "npm run plan",
  usage: `usage: npm run plan -- <stack | path/to/Pulumi.<stack>.yaml>
Runs the Pulumi program under mocks with that stack's config and prints the resource tree and an
estimated monthly cost. Needs no credentials, no Pulumi CLI and no cloud.
  stack: ${STACKS.join(", ")}`,
  positionals: [1, 1],
};

/** A known stack name, or an existing Pulumi.<stack>.yaml file. */
export function planSource(arg: string): StackSource {
  if ((STACKS as readonly string[]).includes(arg)) return arg as StackName;
  const file = path.resolve(arg);
  if (/^Pulumi\..+\.yaml$/.test(path.basename(file)) && existsSync(file)) return { file };
  throw new UsageError(`unknown stack "${arg}"; known stacks: ${STACKS.join(", ")}, or a path to an existing Pulumi.<stack>.yaml`);
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith("scripts/plan.ts")) {
  await runCli(PLAN, process.argv.slice(2), async ({ positionals }) => {
    const run = await runProgram(planSource(positionals[0]!));
    console.log(`Stack ${run.stack}: ${run.resources.length} resources (program run under mocks; nothing was created)\n`);
    for (const line of renderTree(run)) console.log(line);
    console.log("");
    const canary = renderCanary(run);
    if (canary.length > 0) console.log(`${canary.join("\n")}\n`);
    for (const line of renderCost(estimateMonthlyCost(run))) console.log(line);
    console.log("");
    const figures = readFigures();
    for (const line of renderColdStart(coldStart(run, figures), figures)) console.log(line);
    // The program's own refusal (an invalid stack file) is the answer, not a crash.
  }, (err) => (err instanceof Error ? { message: err.message } : undefined));
}
