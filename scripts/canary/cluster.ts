// The thin I/O layer under `npm run canary`: where a stack's Rollout lives (its
// outputs, through the Pulumi Automation API) and reading and patching it with
// kubectl, which carries the stack's credentials (the EKS kubeconfig runs
// `aws eks get-token`; the local stack uses the current context).
import { execFile } from "node:child_process";
import path from "node:path";
import { promisify } from "node:util";
import { LocalWorkspace } from "@pulumi/pulumi/automation/index.js";
import { kubectlAccess } from "../lib/kubeconfig.js";
import type { RolloutObject, RolloutPatches } from "./rollout-state.js";

const run = promisify(execFile);
const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), "../..");

export class ClusterError extends Error {
  override name = "ClusterError";
}

export interface RolloutHandle {
  namespace: string;
  name: string;
  /** kubectl arguments that select the stack's cluster. */
  kubectlArgs: string[];
  /** Removes the temporary kubeconfig. */
  close(): void;
}

/** The stack's Rollout (named as its Deployment) and a kubeconfig for its cluster. */
export async function openRollout(stack: string): Promise<RolloutHandle> {
  let outputs: Record<string, { value: unknown }>;
  try {
    outputs = await (await LocalWorkspace.selectStack({ stackName: stack, workDir: REPO_ROOT })).outputs();
  } catch (err) {
    throw new ClusterError(`cannot read the outputs of stack ${stack}: ${(err as Error).message.split("\n")[0]}`);
  }
  const namespace = outputs.namespaceName?.value;
  const name = outputs.deploymentName?.value;
  if (typeof namespace !== "string" || typeof name !== "string") throw new ClusterError(`stack ${stack} has no namespaceName / deploymentName outputs: deploy it first`);
  return { namespace, name, ...kubectlAccess(outputs.kubeconfig?.value, "canary-") };
}

async function kubectl(h: RolloutHandle, args: string[]): Promise<string> {
  try {
    return (await run("kubectl", [...h.kubectlArgs, "--namespace", h.namespace, ...args], { maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (err) {
    const e = err as { code?: string; stderr?: string; message: string };
    if (e.code === "ENOENT") throw new ClusterError("kubectl is not on PATH (https://kubernetes.io/docs/tasks/tools/)");
    throw new ClusterError(`kubectl ${args.join(" ")}: ${(e.stderr ?? e.message).trim().split("\n").at(-1)}`);
  }
}

export async function readRollout(h: RolloutHandle): Promise<RolloutObject> {
  return JSON.parse(await kubectl(h, ["get", "rollouts.argoproj.io", h.name, "--output", "json"])) as RolloutObject;
}

/** metadata.generation of the Deployment the Rollout references (same name). */
export async function readDeploymentGeneration(h: RolloutHandle): Promise<number> {
  return Number(await kubectl(h, ["get", "deployment", h.name, "--output", "jsonpath={.metadata.generation}"]));
}

/** Applies the status patch (status subresource) and then the spec patch, as the kubectl plugin does. */
export async function patchRollout(h: RolloutHandle, patches: RolloutPatches): Promise<void> {
  if (patches.status) await kubectl(h, ["patch", "rollouts.argoproj.io", h.name, "--type", "merge", "--subresource", "status", "--patch", JSON.stringify(patches.status)]);
  if (patches.spec) await kubectl(h, ["patch", "rollouts.argoproj.io", h.name, "--type", "merge", "--patch", JSON.stringify(patches.spec)]);
}
