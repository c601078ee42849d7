// What the program knows about EC2 instance types: one table (prices.json) serves
// both config validation (which families carry GPUs) and the cost estimate.
import prices from "./prices.json" with { type: "json" };

export interface InstanceType {
  /** e.g. "g6.xlarge" */
  name: string;
  /** e.g. "g6" */
  family: string;
  vcpu: number;
  memoryGiB: number;
  gpus: number;
  /** On-demand USD per hour in the table's region. */
  usdPerHour: number;
}

export const INSTANCE_TYPES: readonly InstanceType[] = Object.entries(prices.instances).map(
  ([name, spec]) => ({ name, family: name.split(".")[0] ?? name, ...spec }),
);

/** Instance families that have at least one GPU type in the table, sorted. */
export const GPU_FAMILIES: readonly string[] = [
  ...new Set(INSTANCE_TYPES.filter((t) => t.gpus > 0).map((t) => t.family)),
].sort();

/** GPU counts per node that a family offers, ascending. */
export function gpuCountsOf(family: string): number[] {
  return [...new Set(INSTANCE_TYPES.filter((t) => t.family === family && t.gpus > 0).map((t) => t.gpus))].sort(
    (a, b) => a - b,
  );
}

/** The cheapest type of the given families with exactly `gpus` GPUs and at least the given vCPUs and memory (what Karpenter would pick for one pod). */
export function cheapestGpuType(families: readonly string[], gpus: number, fits: { vcpu?: number; memoryGiB?: number } = {}): InstanceType | undefined {
  return INSTANCE_TYPES.filter(
    (t) => families.includes(t.family) && t.gpus === gpus && t.vcpu >= (fits.vcpu ?? 0) && t.memoryGiB >= (fits.memoryGiB ?? 0),
  ).sort((a, b) => a.usdPerHour - b.usdPerHour)[0];
}
