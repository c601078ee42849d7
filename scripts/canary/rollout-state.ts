// What `npm run canary` decides, as pure functions over the Rollout object the
// Kubernetes API returns: its phase (as `kubectl argo rollouts status` computes it),
// a one-screen description, and the patches that promote or abort it (as the
// kubectl plugin sends them). Sources, Argo Rollouts v1.9.0:
//   utils/rollout/rolloututil.go  GetRolloutPhase
//   pkg/kubectl-argo-rollouts/cmd/promote/promote.go  getPatches (no skip flags)
//   pkg/kubectl-argo-rollouts/cmd/abort/abort.go  abortPatch
// https://github.com/argoproj/argo-rollouts/tree/v1.9.0/pkg/kubectl-argo-rollouts/cmd

/** The fields of a Rollout (argoproj.io/v1alpha1) these functions read. */
export interface RolloutObject {
  metadata: { name?: string; generation?: number };
  spec: { paused?: boolean; strategy?: { canary?: { steps?: unknown[] } } };
  status?: {
    phase?: string;
    message?: string;
    observedGeneration?: string;
    workloadObservedGeneration?: string;
    abort?: boolean;
    controllerPause?: boolean;
    pauseConditions?: { reason: string; startTime?: string }[];
    currentStepIndex?: number;
    stableRS?: string;
    currentPodHash?: string;
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
    canary?: {
      currentStepAnalysisRunStatus?: { name: string; status: string; message?: string };
      currentBackgroundAnalysisRunStatus?: { name: string; status: string; message?: string };
    };
  };
}

export type RolloutPhase = "Healthy" | "Degraded" | "Paused" | "Progressing";

export interface PhaseReading {
  phase: RolloutPhase;
  message: string;
}

const PHASES: readonly string[] = ["Healthy", "Degraded", "Paused", "Progressing"];

/**
 * The Rollout's phase as the controller reports it, but Progressing while the
 * controller has not yet seen the latest Rollout spec, the latest template of the
 * referenced Deployment (`deploymentGeneration`), or an unpause.
 */
export function rolloutPhase(ro: RolloutObject, deploymentGeneration?: number): PhaseReading {
  const s = ro.status ?? {};
  const observed = Number(s.observedGeneration);
  if (s.observedGeneration === undefined || (Number.isInteger(observed) && ro.metadata.generation !== undefined && observed < ro.metadata.generation)) {
    return { phase: "Progressing", message: "waiting for rollout spec update to be observed" };
  }
  if (s.controllerPause && (s.pauseConditions ?? []).length === 0) {
    return { phase: "Progressing", message: "waiting for rollout to unpause" };
  }
  if (deploymentGeneration !== undefined && Number(s.workloadObservedGeneration) !== deploymentGeneration) {
    return { phase: "Progressing", message: `waiting for the controller to observe generation ${deploymentGeneration} of the referenced Deployment` };
  }
  const phase = s.phase ?? "";
  if (!PHASES.includes(phase)) return { phase: "Progressing", message: `controller reports phase ${JSON.stringify(phase)}` };
  return { phase: phase as RolloutPhase, message: s.message ?? "" };
}

/** Lines for a person: phase, step, ReplicaSets, pauses and analysis runs. */
export function describeRollout(ro: RolloutObject, reading: PhaseReading): string[] {
  const s = ro.status ?? {};
  const steps = ro.spec.strategy?.canary?.steps?.length ?? 0;
  const lines = [`Rollout ${ro.metadata.name ?? "?"}: ${reading.phase}${reading.message ? ` (${reading.message})` : ""}`];
  if (steps > 0) lines.push(`  step ${Math.min(s.currentStepIndex ?? 0, steps)} of ${steps}`);
  lines.push(`  stable ${s.stableRS ?? "-"}, newest ${s.currentPodHash ?? "-"}; pods: ${s.replicas ?? 0} total, ${s.updatedReplicas ?? 0} newest, ${s.availableReplicas ?? 0} available`);
  for (const p of s.pauseConditions ?? []) lines.push(`  paused: ${p.reason}${p.startTime ? ` since ${p.startTime}` : ""}`);
  const runs = [
    ["step analysis", s.canary?.currentStepAnalysisRunStatus],
    ["background analysis", s.canary?.currentBackgroundAnalysisRunStatus],
  ] as const;
  for (const [what, run] of runs) if (run) lines.push(`  ${what} ${run.name}: ${run.status}${run.message ? ` (${run.message})` : ""}`);
  if (s.abort) lines.push("  aborted: the stable version takes all pods again");
  return lines;
}

/** Merge patches for the Rollout's spec and its status subresource; absent when not needed. */
export interface RolloutPatches {
  spec?: object;
  status?: object;
}

/**
 * Promote to the next step, as `kubectl argo rollouts promote` does: unpause the
 * spec if paused; clear pause conditions (after an inconclusive analysis also the
 * controller pause, moving to the next step); with no pause, move to the next step.
 */
export function promotePatches(ro: RolloutObject): RolloutPatches {
  const s = ro.status ?? {};
  const steps = ro.spec.strategy?.canary?.steps?.length ?? 0;
  const next = Math.min((s.currentStepIndex ?? 0) + 1, steps);
  const spec: RolloutPatches = ro.spec.paused ? { spec: { spec: { paused: false } } } : {};
  const paused = (s.pauseConditions ?? []).length > 0;
  if (paused && s.controllerPause && s.canary?.currentStepAnalysisRunStatus?.status === "Inconclusive") {
    return { ...spec, status: { status: { pauseConditions: null, controllerPause: false, currentStepIndex: next } } };
  }
  if (paused) return { ...spec, status: { status: { pauseConditions: null } } };
  if (ro.spec.strategy?.canary) return { ...spec, status: { status: { pauseConditions: null, currentStepIndex: next } } };
  return spec;
}

/** Abort: the controller scales the canary away and gives stable all pods (status subresource). */
export const ABORT_PATCHES: RolloutPatches = { status: { status: { abort: true } } };

/** Whether a release is in flight: something to promote or abort. */
export function inProgress(reading: PhaseReading): boolean {
  return reading.phase === "Paused" || reading.phase === "Progressing";
}

/** Exit codes of `npm run canary -- <stack> wait`. */
export const WAIT_EXIT = { healthy: 0, degraded: 1, usage: 2, deadline: 3 } as const;

/** What `wait` does next at `now` (ms), given the reading and the deadline (ms). */
export function waitStep(reading: PhaseReading, now: number, deadline: number): { done: false } | { done: true; exitCode: number; summary: string } {
  if (reading.phase === "Healthy") return { done: true, exitCode: WAIT_EXIT.healthy, summary: "healthy: the new version runs on every pod" };
  if (reading.phase === "Degraded") {
    return { done: true, exitCode: WAIT_EXIT.degraded, summary: `degraded: ${reading.message || "the release was aborted"}; stable keeps serving` };
  }
  if (now >= deadline) {
    return {
      done: true,
      exitCode: WAIT_EXIT.deadline,
      summary: `still ${reading.phase}${reading.message ? ` (${reading.message})` : ""} at the deadline; left as is: promote or abort it`,
    };
  }
  return { done: false };
}
