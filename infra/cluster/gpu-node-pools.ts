// GPU capacity as Karpenter NodePools, one per configured pool. Nodes exist only
// while pods ask for them (scale from zero) and carry the nvidia.com/gpu taint so
// that only pods tolerating it (the GPU-requesting app) land there.
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { GpuPoolConfig } from "../config.js";
import { servingDisruptionBudgets } from "./karpenter-rules.js";

/** The label every node of a pool carries; the app selects its pool by it. */
export const POOL_LABEL = "inference-platform/pool";
/** The taint on GPU nodes and the resource name pods request. */
export const GPU_RESOURCE = "nvidia.com/gpu";

export interface NodeClassRef {
  group: string;
  kind: string;
  name: string;
}

/** EKS Auto Mode's built-in node class. */
const AUTO_MODE_NODE_CLASS: NodeClassRef = { group: "eks.amazonaws.com", kind: "NodeClass", name: "default" };

export interface GpuNodePoolsArgs {
  /** Pools from the stack config (required; may be empty). */
  pools: GpuPoolConfig[];
  /** Node class the pools launch with (default EKS Auto Mode's "default"; self-managed Karpenter passes an EC2NodeClass). */
  nodeClassRef?: NodeClassRef;
}

export class GpuNodePools extends pulumi.ComponentResource {
  /** NodePool names by pool name. */
  public readonly nodePoolNames: Record<string, string>;

  constructor(name: string, args: GpuNodePoolsArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-platform:infra:GpuNodePools", name, {}, opts);
    const nodeClassRef = args.nodeClassRef ?? AUTO_MODE_NODE_CLASS;
    // Auto Mode labels instances as eks.amazonaws.com/instance-*, Karpenter's AWS provider as karpenter.k8s.aws/instance-*.
    const labels = nodeClassRef.group === "eks.amazonaws.com" ? "eks.amazonaws.com" : "karpenter.k8s.aws";
    this.nodePoolNames = {};
    for (const pool of args.pools) {
      const nodePoolName = `gpu-${pool.name}`;
      new k8s.apiextensions.CustomResource(
        `${name}-${pool.name}`,
        {
          apiVersion: "karpenter.sh/v1",
          kind: "NodePool",
          metadata: { name: nodePoolName },
          spec: {
            template: {
              metadata: { labels: { ...pool.labels, [POOL_LABEL]: pool.name } },
              spec: {
                nodeClassRef,
                requirements: [
                  { key: `${labels}/instance-family`, operator: "In", values: pool.instanceFamilies },
                  { key: `${labels}/instance-gpu-count`, operator: "In", values: [String(pool.gpuCount)] },
                  { key: "karpenter.sh/capacity-type", operator: "In", values: pool.capacityTypes },
                  { key: "kubernetes.io/arch", operator: "In", values: ["amd64"] },
                ],
                taints: [{ key: GPU_RESOURCE, value: "true", effect: "NoSchedule" }],
                // At most Auto Mode's 21 days (karpenter-rules.ts); expiry drains nodes whatever the budgets say.
                expireAfter: pool.expireAfter,
              },
            },
            limits: { [GPU_RESOURCE]: String(pool.maxGpus) },
            ...(pool.weight === undefined ? {} : { weight: pool.weight }),
            // Serving nodes: empty ones go after consolidateAfter, busy ones one at a time (inside the window when set).
            disruption: {
              consolidationPolicy: pool.consolidationPolicy,
              consolidateAfter: pool.consolidateAfter,
              budgets: servingDisruptionBudgets(pool.maintenanceWindow),
            },
          },
        },
        { parent: this },
      );
      this.nodePoolNames[pool.name] = nodePoolName;
    }
    this.registerOutputs({ nodePoolNames: this.nodePoolNames });
  }
}
