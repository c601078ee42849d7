// Rollout timing behind an NLB with IP targets, derived from the target group's health-check
// settings. Kubernetes only sees pod readiness; the NLB sees target health, and the two disagree
// for minutes: a new IP target is registered, then needs `healthyThreshold` passing checks
// `interval` seconds apart before the NLB sends it traffic, and "it can take a few minutes for the
// registration process to complete and health checks to start" (Elastic Load Balancing,
// "Register targets for your Network Load Balancer"); users measure 3-4 minutes
// (aws/containers-roadmap#2511). The AWS Load Balancer Controller closes that gap with its
// target-health pod readiness gate, but EKS Auto Mode's built-in load balancing has none
// (aws/containers-roadmap#2511, open), so the Deployment has to wait instead:
//
// - minReadySeconds = registration + healthyThreshold x interval: a surged pod counts as available
//   (and lets the next old pod go, maxUnavailable 0) only once its target can be healthy;
// - preStop sleep = the time the NLB takes to stop opening new connections to a deregistered target
//   ("a few minutes" by the same page): the pod keeps serving meanwhile, because after SIGTERM the
//   app serves on only for its drain window (DRAIN_WINDOW_MS, 10 s, inside SHUTDOWN_GRACE_MS) and
//   then answers new requests 503 (docs/app.md, Shutdown). The window is not stretched to the
//   preStop instead: the app refuses a window longer than its grace period, and the sleep already
//   covers the NLB's lag before SIGTERM. Open gRPC connections stay pinned to the pod through the
//   sleep (the NLB only stops new ones); the GOAWAY at SIGTERM sends their clients to other pods;
// - deregistration delay = preStop + the app's drain: the NLB keeps in-flight connections open until
//   the app has finished them;
// - terminationGracePeriodSeconds = preStop + drain + a margin, and on spot capacity it must fit the
//   two-minute interruption notice (Amazon EC2 User Guide, "Spot Instance interruption notices").

/** The NLB target group's health check (service.beta.kubernetes.io/aws-load-balancer-healthcheck-*). */
export interface NlbHealthCheck {
  /** Seconds between checks (5-300). */
  intervalSeconds: number;
  /** Consecutive passes before a target is healthy (2-10). */
  healthyThreshold: number;
  /** Consecutive failures before a target is unhealthy (2-10). */
  unhealthyThreshold: number;
}

export interface RolloutTimingInput {
  healthCheck: NlbHealthCheck;
  /** Seconds from pod readiness until the NLB has registered the target and begun health checks. */
  registrationSeconds: number;
  /** Seconds from endpoint removal until the NLB stops opening connections to the target (the preStop sleep). */
  deregistrationSeconds: number;
  /** Seconds the app takes to drain after SIGTERM (SHUTDOWN_GRACE_MS rounded up). */
  drainSeconds: number;
}

export interface RolloutTiming {
  minReadySeconds: number;
  preStopSeconds: number;
  deregistrationDelaySeconds: number;
  terminationGracePeriodSeconds: number;
  /** Longer than one surge step can take, so a slow NLB does not fail the rollout. */
  progressDeadlineSeconds: number;
}

/** Seconds between SIGKILL's deadline and the end of the app's own drain. */
export const TERMINATION_MARGIN_SECONDS = 5;
/** Warning a spot instance gets before EC2 reclaims it. */
export const SPOT_NOTICE_SECONDS = 120;
/** Kubernetes' default progressDeadlineSeconds. */
const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;

/** Seconds after registration until a target that passes every check is healthy. */
export function secondsToHealthy(hc: NlbHealthCheck): number {
  return hc.healthyThreshold * hc.intervalSeconds;
}

export function rolloutTiming(t: RolloutTimingInput): RolloutTiming {
  const minReadySeconds = t.registrationSeconds + secondsToHealthy(t.healthCheck);
  const terminationGracePeriodSeconds = t.deregistrationSeconds + t.drainSeconds + TERMINATION_MARGIN_SECONDS;
  return {
    minReadySeconds,
    preStopSeconds: t.deregistrationSeconds,
    deregistrationDelaySeconds: t.deregistrationSeconds + t.drainSeconds,
    terminationGracePeriodSeconds,
    progressDeadlineSeconds: minReadySeconds + DEFAULT_PROGRESS_DEADLINE_SECONDS,
  };
}

/** Why a pod with this termination grace loses requests on spot capacity, or undefined when it fits. */
export function spotNoticeProblem(terminationGracePeriodSeconds: number): string | undefined {
  return terminationGracePeriodSeconds > SPOT_NOTICE_SECONDS
    ? `a pod needs ${terminationGracePeriodSeconds} s to stop, longer than the ${SPOT_NOTICE_SECONDS} s spot interruption notice`
    : undefined;
}
