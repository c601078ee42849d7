// The thin I/O layer under `npm run wait-ready`: where a stack's workload, autoscaler and load
// balancer are (its outputs, through the Automation API), and reading them with kubectl (which
// carries the stack's credentials: the EKS kubeconfig runs `aws eks get-token`; the local stack
// uses the current context) and the AWS CLI. All decisions are in wait-ready.ts.
import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { LocalWorkspace } from "@pulumi/pulumi/automation/index.js";
import { kubectlAccess, type KubectlAccess } from "../lib/kubeconfig.js";
import { automationErrorSummary } from "../release/stacks.js";
import { deploymentStatusFromKubectl, loadBalancerArnFromDescribe, targetGroupsFromDescribe, targetStatesFromDescribe, type DeploymentStatus, type TargetStates } from "./wait-ready.js";

const run = promisify(execFile);
const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** KEDA scales the target to this annotation's value and stops autoscaling until it is removed. */
export const PAUSED_REPLICAS = "autoscaling.keda.sh/paused-replicas";
/** Marks a pause as this command's wake, so that --resume never lifts a pause a person set. */
export const WOKEN_BY = "inference-platform/woken-for-smoke-test";

/** The stack cannot be read or acted on; the message is the one line printed. */
export class StackError extends Error {
  override name = "StackError";
}

export interface StackHandle extends KubectlAccess {
  stack: string;
  namespace: string;
  /** The workload kubectl reads: the canary's Rollout where the stack has one, else the Deployment. */
  workload: { resource: "deployment" | "rollouts.argoproj.io"; name: string };
  /** The KEDA ScaledObject; absent without autoscaling. */
  scaledObject?: string;
  endpointUrl: string;
  /** The NLB's DNS name and region; absent for a stack without an NLB (local). */
  nlb?: { hostname: string; region: string };
}

const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);

export async function openStack(stack: string): Promise<StackHandle> {
  let outputs: Record<string, { value: unknown }>;
  try {
    outputs = await (await LocalWorkspace.selectStack({ stackName: stack, workDir: REPO_ROOT })).outputs();
  } catch (err) {
    throw new StackError(`cannot read the outputs of stack ${stack}: ${automationErrorSummary((err as Error).message)}`);
  }
  const out = (k: string) => text(outputs[k]?.value);
  const namespace = out("namespaceName");
  const deployment = out("deploymentName");
  const endpointUrl = out("endpointUrl");
  if (!namespace || !deployment || !endpointUrl) throw new StackError(`stack ${stack} has no namespaceName / deploymentName / endpointUrl outputs: deploy it first`);
  const rollout = out("rolloutName");
  const scaledObject = out("scaledObjectName");
  const hostname = out("loadBalancerHostname");
  const region = out("region");
  let nlb: StackHandle["nlb"];
  if (out("loadBalancerType") === "nlb") {
    if (!hostname || !region) throw new StackError(`stack ${stack} has an NLB but no loadBalancerHostname / region output`);
    nlb = { hostname, region };
  }
  const base = {
    stack,
    namespace,
    workload: rollout ? { resource: "rollouts.argoproj.io" as const, name: rollout } : { resource: "deployment" as const, name: deployment },
    ...(scaledObject ? { scaledObject } : {}),
    endpointUrl,
    ...(nlb ? { nlb } : {}),
  };
  return { ...base, ...kubectlAccess(outputs.kubeconfig?.value, "wait-ready-") };
}

async function cli(tool: "kubectl" | "aws", args: string[]): Promise<string> {
  try {
    return (await run(tool, args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === "ENOENT") throw new StackError(`${tool} is not on PATH`);
    throw new StackError(`${tool} ${args.filter((a) => !a.includes("kubeconfig")).slice(0, 4).join(" ")}: ${(e.stderr ?? e.message).trim().split("\n").at(-1)}`);
  }
}

/** One CLI answer read by `read`; anything unexpected is a StackError naming the command. */
function parsed<T>(what: string, stdout: string, read: (json: unknown) => T): T {
  try {
    return read(JSON.parse(stdout));
  } catch (err) {
    throw new StackError(`${what}: ${(err as Error).message}`);
  }
}

const kubectl = (h: StackHandle, args: string[]) => cli("kubectl", [...h.kubectlArgs, "--namespace", h.namespace, ...args]);
const aws = (h: StackHandle, args: string[]) => cli("aws", ["elbv2", ...args, "--region", h.nlb!.region, "--output", "json"]);

export async function readWorkload(h: StackHandle): Promise<DeploymentStatus> {
  return parsed(`kubectl get ${h.workload.resource} ${h.workload.name}`, await kubectl(h, ["get", h.workload.resource, h.workload.name, "--output", "json"]), deploymentStatusFromKubectl);
}

/** The target groups of the stack's NLB, found by its DNS name (the endpoint may be a CNAME to it). */
export async function findTargetGroups(h: StackHandle): Promise<{ name: string; arn: string }[]> {
  const lbArn = parsed("aws elbv2 describe-load-balancers", await aws(h, ["describe-load-balancers"]), (j) => loadBalancerArnFromDescribe(j, h.nlb!.hostname));
  return parsed("aws elbv2 describe-target-groups", await aws(h, ["describe-target-groups", "--load-balancer-arn", lbArn]), targetGroupsFromDescribe);
}

export async function readTargetHealth(h: StackHandle, groups: readonly { name: string; arn: string }[]): Promise<Record<string, TargetStates>> {
  const states = await Promise.all(
    groups.map(async (g) => parsed("aws elbv2 describe-target-health", await aws(h, ["describe-target-health", "--target-group-arn", g.arn]), targetStatesFromDescribe)),
  );
  return Object.fromEntries(groups.map((g, i) => [g.name, states[i]!]));
}

async function scaledObjectAnnotations(h: StackHandle): Promise<Record<string, string>> {
  const what = `kubectl get scaledobject ${h.scaledObject}`;
  return parsed(what, await kubectl(h, ["get", "scaledobject", h.scaledObject!, "--output", "json"]), (j) => (j as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations ?? {});
}

/** Pauses the ScaledObject at `replicas` (KEDA scales the workload there and holds it), unless a person paused it. */
export async function pauseAutoscaling(h: StackHandle, replicas: number): Promise<void> {
  const annotations = await scaledObjectAnnotations(h);
  const byHand = annotations[PAUSED_REPLICAS];
  if (byHand !== undefined && annotations[WOKEN_BY] === undefined) {
    throw new StackError(`ScaledObject ${h.scaledObject} was paused by hand at ${byHand} replicas (${PAUSED_REPLICAS}): not waking it`);
  }
  await kubectl(h, ["annotate", "scaledobject", h.scaledObject!, `${PAUSED_REPLICAS}=${replicas}`, `${WOKEN_BY}=${new Date().toISOString()}`, "--overwrite"]);
}

/** Lifts the pause a wake left; false when there is none (none at all, one a person set, or no autoscaler). */
export async function resumeAutoscaling(h: StackHandle): Promise<boolean> {
  if (!h.scaledObject) return false;
  if ((await scaledObjectAnnotations(h))[WOKEN_BY] === undefined) return false;
  await kubectl(h, ["annotate", "scaledobject", h.scaledObject, `${PAUSED_REPLICAS}-`, `${WOKEN_BY}-`]);
  return true;
}
