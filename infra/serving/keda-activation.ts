// KEDA's activation rule, which decides between zero and one replica (KEDA docs, Concepts >
// Scaling Deployments, "Activating and Scaling thresholds"; kedacore/keda-docs#780): a
// ScaledObject is active while ANY of its triggers is active. A Prometheus trigger is active when
// the query's value is greater than its `activationThreshold` (default 0); a cron trigger is
// active inside its window. Only with minReplicaCount 0 does activation matter: at 1 or more the
// workload never goes below the minimum anyway. An idle pod still burns a little CPU, so a CPU
// trigger left at the default threshold of 0 keeps the workload active for ever.

export interface KedaTrigger {
  type: string;
  name: string;
  metadata: Record<string, string>;
}

/** What the triggers read at one moment: a number per Prometheus trigger, in-window or not per cron trigger. */
export type TriggerReadings = Record<string, number | boolean>;

/** Whether one trigger is active given its reading. */
export function triggerActive(trigger: KedaTrigger, reading: number | boolean | undefined): boolean {
  if (trigger.type === "cron") return reading === true;
  if (trigger.type === "prometheus") {
    const threshold = Number(trigger.metadata.activationThreshold ?? "0");
    return typeof reading === "number" && reading > threshold;
  }
  throw new Error(`triggerActive: trigger type "${trigger.type}" is not modelled`);
}

/** Whether KEDA keeps the workload at one replica or more (true) or lets it go to zero (false). */
export function scaledObjectActive(spec: { minReplicaCount: number; triggers: readonly KedaTrigger[] }, readings: TriggerReadings): boolean {
  if (spec.minReplicaCount > 0) return true;
  return spec.triggers.some((t) => triggerActive(t, readings[t.name]));
}
