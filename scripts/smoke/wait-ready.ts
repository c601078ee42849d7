// When is a freshly deployed stack ready for its smoke test? Not when the Deployment is
// available: behind an NLB with IP targets a new pod's target stays `initial` for minutes after
// the pod is ready (Elastic Load Balancing, "Register targets for your Network Load Balancer";
// aws/containers-roadmap#2511), and a stack that KEDA scaled to zero has no target at all until
// something wakes it. CI polls the Deployment, the target groups and the endpoint, and asks
// `nextWaitStep` what to do; the decision is pure so that every case is tested. `npm run
// wait-ready` (scripts/wait-ready.ts) does the polling with kubectl and the AWS CLI.

/** The workload's status as `kubectl get deployment|rollout -o json` reports it. */
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
  /** Target states per target group of the app's NLB (one per listener); absent without an NLB (local). */
  targets?: Record<string, TargetStates>;
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
  for (const [group, states] of Object.entries(o.targets ?? {})) {
    const healthy = states.healthy ?? 0;
    const initial = states.initial ?? 0;
    if (healthy < d.replicas || initial > 0) {
      return `NLB targets (${group}): ${healthy} healthy of ${d.replicas} wanted, ${initial} still in initial health checks`;
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
    // Not `kubectl scale`: with every trigger inactive and lastActiveTime older than cooldownPeriod,
    // KEDA's next poll scales a hand-scaled target straight back to zero (pkg/scaling/executor/
    // scale_scaledobjects.go, https://github.com/kedacore/keda). The wake pauses the ScaledObject at
    // one replica instead (annotation autoscaling.keda.sh/paused-replicas, KEDA docs "Pausing
    // autoscaling", https://keda.sh/docs/2.15/concepts/scaling-deployments/), lifted after the smoke test.
    return { action: "wake", replicas: 1, reason: "scaled to zero (outside active hours): waking one replica for the smoke test" };
  }
  const reason = notReady(o);
  if (reason === undefined) return { action: "ready" };
  if (o.now >= o.deadline) return { action: "fail", reason: `not ready before the deadline: ${reason}` };
  return { action: "wait", reason };
}

// The AWS CLI's JSON output has the API's response shape: DescribeLoadBalancers returns
// LoadBalancers[] with DNSName and LoadBalancerArn, DescribeTargetGroups (filtered by
// --load-balancer-arn) TargetGroups[] with TargetGroupArn and TargetGroupName, DescribeTargetHealth
// TargetHealthDescriptions[] with TargetHealth.State (initial | healthy | unhealthy | unused |
// draining | unavailable). https://docs.aws.amazon.com/cli/v1/reference/elbv2/describe-load-balancers.html,
// https://docs.aws.amazon.com/cli/v1/reference/elbv2/describe-target-groups.html,
// https://docs.aws.amazon.com/cli/v1/reference/elbv2/describe-target-health.html

/** The ARN of the load balancer whose DNS name is `dnsName`, from `aws elbv2 describe-load-balancers`. */
export function loadBalancerArnFromDescribe(json: unknown, dnsName: string): string {
  const list = (json as { LoadBalancers?: { DNSName?: string; LoadBalancerArn?: string }[] })?.LoadBalancers;
  if (!Array.isArray(list)) throw new Error("describe-load-balancers output has no LoadBalancers list");
  // DNS names compare without case; the Service may report the name with a trailing dot.
  const wanted = dnsName.replace(/\.$/, "").toLowerCase();
  const lb = list.find((l) => l?.DNSName?.toLowerCase() === wanted);
  if (!lb?.LoadBalancerArn) throw new Error(`no load balancer named ${dnsName} in this account and region (${list.length} listed)`);
  return lb.LoadBalancerArn;
}

/** The target groups (name and ARN) of a load balancer, from `aws elbv2 describe-target-groups --load-balancer-arn`. */
export function targetGroupsFromDescribe(json: unknown): { name: string; arn: string }[] {
  const list = (json as { TargetGroups?: { TargetGroupArn?: string; TargetGroupName?: string }[] })?.TargetGroups;
  if (!Array.isArray(list)) throw new Error("describe-target-groups output has no TargetGroups list");
  const groups = list.map((g) => {
    if (typeof g?.TargetGroupArn !== "string") throw new Error("describe-target-groups output has a target group without TargetGroupArn");
    return { name: g.TargetGroupName ?? g.TargetGroupArn, arn: g.TargetGroupArn };
  });
  if (groups.length === 0) throw new Error("the load balancer has no target groups");
  return groups;
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

/**
 * The workload status from `kubectl get deployment|rollouts.argoproj.io <name> -o json`. A Rollout
 * reports observedGeneration as a string (Argo Rollouts' RolloutStatus); one that is not a number
 * (older controllers wrote a hash) counts as observed, as in scripts/canary/rollout-state.ts.
 */
export function deploymentStatusFromKubectl(json: unknown): DeploymentStatus {
  const d = json as { metadata?: { generation?: number }; spec?: { replicas?: number }; status?: Record<string, number | string | undefined> };
  if (typeof d?.metadata?.generation !== "number") throw new Error("kubectl output is not a Deployment or Rollout (no metadata.generation)");
  const s = d.status ?? {};
  const count = (v: number | string | undefined) => (typeof v === "number" ? v : 0);
  const observed = s.observedGeneration === undefined ? 0 : Number(s.observedGeneration);
  return {
    generation: d.metadata.generation,
    observedGeneration: Number.isInteger(observed) ? observed : d.metadata.generation,
    // Kubernetes defaults spec.replicas to 1 when unset.
    replicas: d.spec?.replicas ?? 1,
    updatedReplicas: count(s.updatedReplicas),
    availableReplicas: count(s.availableReplicas),
  };
}
