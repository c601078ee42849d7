// Karpenter's rules for the GPU NodePools, as EKS Auto Mode runs them, written as small pure
// functions so that the stack files can be tested against them.
//
// - Node lifetime: "EKS Auto Mode enforces a 21-day maximum node lifetime" (EKS User Guide,
//   "Automate cluster infrastructure with EKS Auto Mode"; awsdocs/amazon-eks-user-guide#1053), so a
//   NodePool's expireAfter must be at most 504h. Expiration is forceful: disruption budgets do not
//   hold it back (karpenter.sh, Concepts > Disruption, "Forceful methods").
// - Weights and limits: "If multiple NodePools are matched, Karpenter will use the NodePool with the
//   highest weight" (karpenter.sh, Concepts > NodePools, spec.weight), and a NodePool whose
//   spec.limits are reached launches nothing more (same page, spec.limits), so the next pool by
//   weight takes the rest.
// - Disruption budgets (karpenter.sh, Concepts > Disruption, "Disruption Budgets"): a budget applies
//   to the reasons it lists (all when none: Empty, Drifted, Underutilized); one with a schedule is
//   active for `duration` after each cron match (UTC); of the active budgets that apply, the most
//   restrictive wins; with no active budget for a reason, Karpenter disrupts without limit
//   (kubernetes-sigs/karpenter discussion #1079), so a maintenance window needs a "0" budget for
//   the rest of the day, not a budget for the window.

/** Auto Mode's cap on node lifetime. */
export const AUTO_MODE_MAX_NODE_HOURS = 21 * 24;

const DURATION = /^(\d+)(s|m|h)$/;

/** Hours in a Karpenter duration such as "480h", "90m" or "30s"; NaN when it does not parse. */
export function durationHours(text: string): number {
  const m = DURATION.exec(text);
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === "h" ? n : m[2] === "m" ? n / 60 : n / 3600;
}

export type DisruptionReason = "Empty" | "Drifted" | "Underutilized";

export interface DisruptionBudget {
  nodes: string;
  reasons?: DisruptionReason[];
  schedule?: string;
  duration?: string;
}

/** A daily window (UTC) in which serving nodes may be replaced for drift or consolidation. */
export interface MaintenanceWindow {
  /** Hour of day, UTC, when the window opens (0-23). */
  startHourUtc: number;
  /** Length of the window in hours (1-23). */
  hours: number;
}

/** Reasons that drain a node that serves traffic; Empty nodes serve nothing. */
const SERVING_REASONS: DisruptionReason[] = ["Drifted", "Underutilized"];

/**
 * Budgets of a serving GPU pool: empty nodes go freely; nodes with pods are replaced one at a time,
 * and with a maintenance window only inside it (a "0" budget covers the rest of each day).
 */
export function servingDisruptionBudgets(window?: MaintenanceWindow): DisruptionBudget[] {
  const budgets: DisruptionBudget[] = [
    { nodes: "100%", reasons: ["Empty"] },
    { nodes: "1", reasons: SERVING_REASONS },
  ];
  if (window) {
    const closes = (window.startHourUtc + window.hours) % 24;
    budgets.push({ nodes: "0", reasons: SERVING_REASONS, schedule: `0 ${closes} * * *`, duration: `${24 - window.hours}h` });
  }
  return budgets;
}

/** Whether a daily-cron budget ("0 H * * *") is active at `hourUtc` (whole hours). */
function activeAt(budget: DisruptionBudget, hourUtc: number): boolean {
  if (!budget.schedule) return true;
  const m = /^0 (\d{1,2}) \* \* \*$/.exec(budget.schedule);
  if (!m || !budget.duration) throw new Error(`only daily "0 H * * *" schedules with a duration are modelled, got ${budget.schedule}`);
  const since = (hourUtc - Number(m[1]) + 24) % 24;
  return since < durationHours(budget.duration);
}

/** Nodes Karpenter may disrupt at once for `reason` at `hourUtc` out of `nodeCount` (Infinity: no limit). */
export function allowedDisruptions(budgets: readonly DisruptionBudget[], reason: DisruptionReason, hourUtc: number, nodeCount: number): number {
  const limits = budgets
    .filter((b) => (b.reasons ?? ["Empty", "Drifted", "Underutilized"]).includes(reason) && activeAt(b, hourUtc))
    .map((b) => (b.nodes.endsWith("%") ? Math.ceil((nodeCount * Number(b.nodes.slice(0, -1))) / 100) : Number(b.nodes)));
  return limits.length === 0 ? Number.POSITIVE_INFINITY : Math.min(...limits);
}

export interface WeightedPool {
  name: string;
  /** Karpenter weight (higher first); undefined counts as 0. */
  weight?: number;
  /** spec.limits of nvidia.com/gpu. */
  maxGpus: number;
}

/** Replicas per pool when `replicas` pods of `gpusPerReplica` GPUs each go where Karpenter puts them. */
export function placeReplicas(pools: readonly WeightedPool[], replicas: number, gpusPerReplica: number): Record<string, number> {
  const placed: Record<string, number> = Object.fromEntries(pools.map((p) => [p.name, 0]));
  let left = replicas;
  for (const pool of [...pools].sort((a, b) => (b.weight ?? 0) - (a.weight ?? 0))) {
    const fits = Math.min(left, Math.floor(pool.maxGpus / gpusPerReplica));
    placed[pool.name] = fits;
    left -= fits;
  }
  if (left > 0) placed["(unschedulable)"] = left;
  return placed;
}
