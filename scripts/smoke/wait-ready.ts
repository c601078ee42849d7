// When is a freshly deployed stack ready for its smoke test? Not when the Deployment is
// available: behind an NLB with IP targets a new pod's target stays `initial` for minutes after
// the pod is ready (Elastic Load Balancing, "Register targets for your Network Load Balancer";
// aws/containers-roadmap#2511), and a stack that KEDA scaled to zero has no target at all until
// something wakes it. CI polls the Deployment, the target group and the endpoint, and asks
// `nextWaitStep` what to do; the decision is pure so that every case is tested.

/** The Deployment's status as `kubectl get deployment -o json` reports it. */
export interface DeploymentStatus {
  generation: number;
  observedGeneration: number;
  /** spec.replicas (0 when KEDA scaled the stack to zero). */
  replicas: number;
  updatedReplicas: number;
  availableReplicas: number;
}

/** NLB target states (ELB API TargetHealth.State) and how many targets are in each. */
export type TargetStates = Partial<Record<"initial" | "healthy" | "unhealthy" | "unused" | "draining" | "unavailable", number>>;

export interface WaitObservation {
  /** Milliseconds since the epoch, now and when waiting gives up. */
  now: number;
  deadline: number;
  deployment: DeploymentStatus;
  /** The app's target group; absent for a stack without an NLB (local). */
  targets?: TargetStates;
  /** Whether the readiness URL answered 200 through the load balancer. */
  endpointReady: boolean;
  /** Whether this wait already woke the stack from zero (it wakes it once). */
  woken: boolean;
}

export type WaitStep =
  | { action: "ready" }
  | { action: "wait"; reason: string }
  | { action: "wake"; replicas: 1; reason: string }
  | { action: "fail"; reason: string };

/** Why the stack is not yet ready, or undefined when it is. */
function notReady(o: WaitObservation): string | undefined {
  const d = o.deployment;
  if (d.observedGeneration < d.generation) return `the Deployment controller has not seen generation ${d.generation} yet`;
  if (d.updatedReplicas < d.replicas || d.availableReplicas < d.replicas) {
    return `rollout: ${d.updatedReplicas}/${d.replicas} updated, ${d.availableReplicas}/${d.replicas} available`;
  }
  if (o.targets) {
    const healthy = o.targets.healthy ?? 0;
    const initial = o.targets.initial ?? 0;
    if (healthy < d.replicas || initial > 0) {
      return `NLB targets: ${healthy} healthy of ${d.replicas} wanted, ${initial} still in initial health checks`;
    }
  }
  if (!o.endpointReady) return "the readiness URL does not answer 200 through the load balancer yet";
  return undefined;
}

/** The next thing CI does: run the smoke test, wait and poll again, wake a stack at zero, or give up. */
export function nextWaitStep(o: WaitObservation): WaitStep {
  if (o.deployment.replicas === 0 && o.deployment.observedGeneration >= o.deployment.generation) {
    if (o.woken) {
      if (o.now >= o.deadline) return { action: "fail", reason: "the stack stayed at zero replicas after it was woken" };
      return { action: "wait", reason: "woken from zero; waiting for the autoscaler to keep one replica" };
    }
    // KEDA scales a ScaledObject at zero back to zero only after cooldownPeriod without activity,
    // so one replica set by hand serves the smoke test (KEDA docs, ScaledObject spec, cooldownPeriod).
    return { action: "wake", replicas: 1, reason: "scaled to zero (outside active hours): waking one replica for the smoke test" };
  }
  const reason = notReady(o);
  if (reason === undefined) return { action: "ready" };
  if (o.now >= o.deadline) return { action: "fail", reason: `not ready before the deadline: ${reason}` };
  return { action: "wait", reason };
}

/** Target states counted from `aws elbv2 describe-target-health --output json`. */
export function targetStatesFromDescribe(json: unknown): TargetStates {
  const list = (json as { TargetHealthDescriptions?: { TargetHealth?: { State?: string } }[] })?.TargetHealthDescriptions;
  if (!Array.isArray(list)) throw new Error("describe-target-health output has no TargetHealthDescriptions list");
  const states: Record<string, number> = {};
  for (const d of list) {
    const state = d?.TargetHealth?.State;
    if (typeof state !== "string") throw new Error("describe-target-health output has a target without TargetHealth.State");
    states[state] = (states[state] ?? 0) + 1;
  }
  return states as TargetStates;
}

/** The Deployment status from `kubectl get deployment <name> -o json`. */
export function deploymentStatusFromKubectl(json: unknown): DeploymentStatus {
  const d = json as { metadata?: { generation?: number }; spec?: { replicas?: number }; status?: Record<string, number | undefined> };
  if (typeof d?.metadata?.generation !== "number") throw new Error("kubectl output is not a Deployment (no metadata.generation)");
  const s = d.status ?? {};
  return {
    generation: d.metadata.generation,
    observedGeneration: s.observedGeneration ?? 0,
    // Kubernetes defaults spec.replicas to 1 when unset.
    replicas: d.spec?.replicas ?? 1,
    updatedReplicas: s.updatedReplicas ?? 0,
    availableReplicas: s.availableReplicas ?? 0,
  };
}
