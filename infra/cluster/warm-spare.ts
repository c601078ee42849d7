// Warm spare GPUs: per GPU pool, placeholder pods of a negative PriorityClass hold
// GPUs on running nodes. A serving pod (high PriorityClass) that finds no free GPU
// preempts a placeholder at once and starts on a warm node that already has the
// app's image (the placeholders run it), skipping node launch and image pull; the
// evicted placeholder goes Pending and Karpenter launches a node for it, which
// becomes the next warm spare. Sources:
//   https://kubernetes.io/docs/tasks/administer-cluster/node-overprovisioning/
//   https://kubernetes.io/docs/concepts/scheduling-eviction/pod-priority-preemption/
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { GPU_RESOURCE, POOL_LABEL } from "./gpu-node-pools.js";

/** A PriorityClass as the scheduler sees it (value, and whether its pods may preempt). */
export interface Priority {
  value: number;
  preemptionPolicy: "PreemptLowerPriority" | "Never";
}

/** Serving pods: above every default-priority (0) pod; user classes may go up to 1e9 (higher is reserved for system classes). */
export const SERVING_PRIORITY: Priority = { value: 1_000_000, preemptionPolicy: "PreemptLowerPriority" };
/** Placeholders: below everything, and never preempting anything themselves. */
export const PLACEHOLDER_PRIORITY: Priority = { value: -10, preemptionPolicy: "Never" };

/**
 * Kubernetes' rule: a pending pod may preempt a running one when its class allows
 * preemption and its priority is strictly higher (pod-priority-preemption, "Preemption").
 */
export function mayPreempt(pending: Priority, running: Priority): boolean {
  return pending.preemptionPolicy !== "Never" && pending.value > running.value;
}

export interface WarmSparePool {
  /** GPU pool name (the node label value of POOL_LABEL). */
  name: string;
  /** GPUs to hold warm in this pool; 0 holds none. */
  gpus: number;
}

export interface WarmSpareArgs {
  /** Namespace of the placeholder Deployments (required; the app's). */
  namespace: pulumi.Input<string>;
  /** Pools and the GPUs each keeps warm (required; may be empty). */
  pools: WarmSparePool[];
  /** GPUs one serving pod requests; each placeholder holds as many (required). */
  gpusPerReplica: number;
  /** CPU one serving pod requests; each placeholder requests the same, so that evicting one makes room for exactly one serving pod (required). */
  cpu: string;
  /** Memory one serving pod requests, likewise (required). */
  memory: string;
  /** Image the placeholders run: the app's, so that warm nodes have it pulled before a serving pod needs it (required). */
  image: pulumi.Input<string>;
}

/** Placeholder pods per pool: the warm GPUs in whole serving-pod slots. */
export function placeholderReplicas(gpus: number, gpusPerReplica: number): number {
  return Math.floor(gpus / gpusPerReplica);
}

export class WarmSpare extends pulumi.ComponentResource {
  /** PriorityClass the serving pods run with. */
  public readonly servingPriorityClassName: pulumi.Output<string>;
  /** PriorityClass of the placeholders. */
  public readonly placeholderPriorityClassName: pulumi.Output<string>;

  constructor(name: string, args: WarmSpareArgs, opts?: pulumi.ComponentResourceOptions) {
    super("inference-platform:infra:WarmSpare", name, {}, opts);
    const priorityClass = (suffix: string, p: Priority, description: string) =>
      new k8s.scheduling.v1.PriorityClass(
        `${name}-${suffix}`,
        { metadata: { name: `${name}-${suffix}` }, value: p.value, preemptionPolicy: p.preemptionPolicy, globalDefault: false, description },
        { parent: this },
      );
    const serving = priorityClass("serving", SERVING_PRIORITY, "Inference serving pods: preempt warm-spare placeholders for their GPUs.");
    const placeholder = priorityClass("placeholder", PLACEHOLDER_PRIORITY, "Warm-spare placeholders: hold GPUs until a serving pod needs them; never preempt.");

    for (const pool of args.pools) {
      const replicas = placeholderReplicas(pool.gpus, args.gpusPerReplica);
      if (replicas === 0) continue;
      const labels = { "app.kubernetes.io/name": `${name}-${pool.name}`, "app.kubernetes.io/component": "warm-spare", "app.kubernetes.io/part-of": "inference-platform" };
      const requests = { cpu: args.cpu, memory: args.memory, [GPU_RESOURCE]: String(args.gpusPerReplica) };
      new k8s.apps.v1.Deployment(
        `${name}-${pool.name}`,
        {
          metadata: { name: `${name}-${pool.name}`, namespace: args.namespace, labels },
          spec: {
            replicas,
            selector: { matchLabels: labels },
            template: {
              metadata: { labels },
              spec: {
                priorityClassName: placeholder.metadata.name,
                // A victim's grace period delays the serving pod that preempts it: none.
                terminationGracePeriodSeconds: 0,
                automountServiceAccountToken: false,
                securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, seccompProfile: { type: "RuntimeDefault" } },
                affinity: {
                  nodeAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: {
                      nodeSelectorTerms: [{ matchExpressions: [{ key: POOL_LABEL, operator: "In", values: [pool.name] }] }],
                    },
                  },
                },
                tolerations: [{ key: GPU_RESOURCE, operator: "Exists", effect: "NoSchedule" }],
                containers: [
                  {
                    name: "placeholder",
                    image: args.image,
                    // Idles without touching the GPU (node is in every image of the app).
                    command: ["node", "-e", "setInterval(() => {}, 1 << 30)"],
                    resources: { requests, limits: { memory: args.memory, [GPU_RESOURCE]: String(args.gpusPerReplica) } },
                    securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ["ALL"] } },
                  },
                ],
              },
            },
          },
        },
        { parent: this },
      );
    }
    this.servingPriorityClassName = serving.metadata.name;
    this.placeholderPriorityClassName = placeholder.metadata.name;
    this.registerOutputs({ servingPriorityClassName: this.servingPriorityClassName, placeholderPriorityClassName: this.placeholderPriorityClassName });
  }
}
