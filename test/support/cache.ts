// Helpers shared by the cache specs: a quiet logger, fresh metrics and counter reads.
import { pino } from "pino";
import { createMetrics, type Metrics } from "../../app/src/observability/metrics.js";
import type { CacheSettings } from "../../app/src/config.js";

export const quietLogger = pino({ level: "silent" });

export function cacheSettings(overrides: Partial<CacheSettings> = {}): CacheSettings {
  return { enabled: true, ttlSeconds: 0, memoryMaxBytes: 1 << 20, redisTimeoutMs: 200, ...overrides };
}

export { createMetrics, type Metrics };

/** Current value of a cache counter for one backend label (0 when never incremented). */
export async function counter(
  metrics: Metrics,
  name: "cacheHits" | "cacheMisses" | "cacheErrors",
  backend: string,
): Promise<number> {
  const { values } = await metrics[name].get();
  return values.find((v) => v.labels.backend === backend)?.value ?? 0;
}

export const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
