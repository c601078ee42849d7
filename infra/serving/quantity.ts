// Kubernetes resource quantities as numbers, for sizing decisions and cost estimates.

/** "500m" -> 0.5, "2" -> 2, "1.5" -> 1.5 (CPU cores); anything else -> 0. */
export function cpuCores(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(m?)$/.exec(quantity.trim());
  if (!m) return 0;
  return Number(m[1]) / (m[2] ? 1000 : 1);
}

/** "50Gi" -> 50, "512Mi" -> 0.5, "1Ti" -> 1024 (GiB); anything else -> 0. */
export function gibOf(quantity: string): number {
  const m = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|Ti|G|M)?$/.exec(quantity.trim());
  if (!m) return 0;
  const factor = { Ki: 1 / 1024 ** 2, Mi: 1 / 1024, Gi: 1, Ti: 1024, M: 1 / 1000, G: 1, "": 1 / 1024 ** 3 }[m[2] ?? ""] ?? 0;
  return Number(m[1]) * factor;
}
