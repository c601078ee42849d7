// How many CPUs this pod may use, and how to share them between server processes and
// onnxruntime's threads. Pure apart from cpuCount(), which reads the machine.
import { readFileSync } from "node:fs";
import os from "node:os";

/**
 * CPUs a cgroup v2 `cpu.max` file allows ("<quota> <period>" in µs, or "max <period>"):
 * the quota rounded up to whole CPUs, undefined when unlimited or unreadable. Kubernetes
 * writes a container's CPU limit there (https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/#how-pods-with-resource-limits-are-run).
 */
export function cpusFromCpuMax(text: string): number | undefined {
  const [quota, period] = text.trim().split(/\s+/);
  const q = Number(quota);
  const p = Number(period);
  if (quota === "max" || !(q > 0) || !(p > 0)) return undefined;
  return Math.max(1, Math.ceil(q / p));
}

/** CPUs this process may run on: the scheduler's affinity (os.availableParallelism), capped by a cgroup CPU limit. */
export function cpuCount(cpuMaxFile = "/sys/fs/cgroup/cpu.max"): number {
  let limit: number | undefined;
  try {
    limit = cpusFromCpuMax(readFileSync(cpuMaxFile, "utf8"));
  } catch {
    limit = undefined;
  }
  return Math.min(os.availableParallelism(), limit ?? Infinity);
}

export interface ProcessPlan {
  /** Server processes sharing the port. */
  workers: number;
  /** onnxruntime intra-op threads per session; 0 = onnxruntime's own default (single process only). */
  intraOpThreads: number;
}

/**
 * Server processes and intra-op threads for `cpus` CPUs. WORKERS=0 means one process per
 * CPU (gunicorn's -w). With several processes an unset thread count becomes
 * floor(cpus / workers), at least 1, so that processes x threads <= CPUs: onnxruntime's
 * own default is one thread per core of the machine in every process.
 */
export function planProcesses(requested: { workers: number; intraOpThreads: number }, cpus: number): ProcessPlan {
  const workers = requested.workers > 0 ? requested.workers : Math.max(1, cpus);
  if (workers === 1 || requested.intraOpThreads > 0) return { workers, intraOpThreads: requested.intraOpThreads };
  return { workers, intraOpThreads: Math.max(1, Math.floor(cpus / workers)) };
}
