// How Argo Rollouts splits pods between canary and stable when no traffic router
// sits in front of them (ours: the NLB sends each pod an equal share), so that the
// plan and the docs can show what share of traffic each canary step really gets.
// The rule is approximateWeightedCanaryStableReplicaCounts in Argo Rollouts v1.9.0,
// utils/replicaset/canary.go: of the candidate (canary, total) pairs built from the
// ceiling and floor of replicas × weight / 100, with total = replicas or replicas + 1
// when maxSurge allows, pick the one whose canary share is nearest the weight (first
// wins a tie); a weight of 1-99 never yields 0 canary or 0 stable pods when 2 or more
// pods run (surge included).
// https://github.com/argoproj/argo-rollouts/blob/v1.9.0/utils/replicaset/canary.go

export interface CanarySplit {
  /** Pods of the new version. */
  canary: number;
  /** Pods of the stable version. */
  stable: number;
  /** Share of requests the canary receives, 0..1: its share of the pods behind the load balancer. */
  trafficShare: number;
}

const MAX_WEIGHT = 100;

/** Surge of one pod, none unavailable: the Deployment's own rolling-update budget, kept for canary steps. */
export const CANARY_MAX_SURGE = 1;

/** The canary/stable pod counts Argo Rollouts aims for at `weight` percent, with `maxSurge` extra pods allowed (as a count). */
export function canarySplit(replicas: number, weight: number, maxSurge: number): CanarySplit {
  if (!Number.isInteger(replicas) || replicas < 0) throw new RangeError(`replicas must be a whole number >= 0, got ${replicas}`);
  if (!Number.isInteger(weight) || weight < 0 || weight > MAX_WEIGHT) throw new RangeError(`weight must be a whole percentage 0-100, got ${weight}`);
  if (replicas === 0) return { canary: 0, stable: 0, trafficShare: 0 };
  const exact = (replicas * weight) / MAX_WEIGHT;
  const ceil = Math.ceil(exact);
  const floor = Math.floor(exact);
  const tied = (total: number) => ((total * weight) / MAX_WEIGHT) % 1 === 0.5;
  const zeroAllowed = weight === MAX_WEIGHT || weight === 0 || (replicas === 1 && maxSurge === 0);

  const options: { canary: number; total: number }[] = [];
  if (ceil < replicas || zeroAllowed) options.push({ canary: ceil, total: replicas });
  if (!tied(replicas) && (floor !== 0 || zeroAllowed)) options.push({ canary: floor, total: replicas });
  if (maxSurge > 0) {
    options.push({ canary: ceil, total: replicas + 1 });
    if (!tied(replicas + 1) && (floor !== 0 || zeroAllowed)) options.push({ canary: floor, total: replicas + 1 });
  }
  const delta = (o: { canary: number; total: number }) => Math.abs((o.canary * MAX_WEIGHT) / o.total - weight);
  const best = options.reduce((b, o) => (delta(o) < delta(b) ? o : b), options[0]!);
  const stable = best.total - best.canary;
  return { canary: best.canary, stable, trafficShare: best.canary / best.total };
}
