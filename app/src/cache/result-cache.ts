// The result cache: looks a result up by key, computes it on a miss, and
// coalesces identical concurrent requests into one computation (single-flight),
// whatever the backend. Backend failures are counted and degrade to "no cache";
// they never fail a request.
import type { Logger } from "pino";
import type { CacheBackend } from "./backend.js";
import { CircuitBreaker, type BreakerState } from "./breaker.js";
import { createMemoryBackend } from "./memory.js";
import { createRedisBackend } from "./redis.js";
import type { CacheSettings } from "../config.js";
import type { Metrics } from "../observability/metrics.js";

export { cacheKey, type CacheKeyParts, type CacheKeyInput } from "./key.js";

export interface CacheResult {
  value: Buffer;
  /** True when the value came from the store rather than from compute(). */
  hit: boolean;
}

export interface ResultCache {
  readonly backend: "memory" | "redis" | "off";
  /**
   * The stored value, or compute()'s, shared by every concurrent call with the same key. A
   * compute error reaches every waiter, except one for which `ownFailure` is true (the leader's
   * deadline, a full queue): that belongs to the leader's request, so the waiters compute again.
   */
  getOrCompute(key: string, compute: () => Promise<Buffer>, ownFailure?: (err: unknown) => boolean): Promise<CacheResult>;
  close(): Promise<void>;
}

/** What createResultCache returns: the contract plus readiness and breaker state, for startup, health logs and tests. */
export interface ManagedResultCache extends ResultCache {
  readonly breakerState: BreakerState;
  /** Resolves true once the backend takes commands (at once for memory and off), false after timeoutMs. */
  whenReady(timeoutMs: number): Promise<boolean>;
}

const DEFAULT_BREAKER_THRESHOLD = 3;
const DEFAULT_BREAKER_COOLDOWN_MS = 5000;

export function createResultCache(settings: CacheSettings, metrics: Metrics, logger: Logger): ManagedResultCache {
  validateCacheSettings(settings);
  const backend = createBackend(settings, logger);
  const label: { backend: ResultCache["backend"] } = { backend: backend?.name ?? "off" };
  const breaker = new CircuitBreaker({
    threshold: settings.breakerThreshold ?? DEFAULT_BREAKER_THRESHOLD,
    cooldownMs: settings.breakerCooldownMs ?? DEFAULT_BREAKER_COOLDOWN_MS,
  });
  const flights = new Map<string, Promise<CacheResult>>();

  function recordFailure(op: string, err: unknown): void {
    metrics.cacheErrors.inc(label);
    const wasClosed = breaker.state === "closed";
    breaker.failure();
    const message = err instanceof Error ? err.message : String(err);
    if (wasClosed && breaker.state !== "closed") {
      logger.warn({ backend: label.backend, op, err: message }, "result cache failing; skipping it for a cool-down");
    } else {
      logger.debug({ backend: label.backend, op, err: message }, "result cache operation failed");
    }
  }

  function recordSuccess(): void {
    if (breaker.state !== "closed") logger.info({ backend: label.backend }, "result cache recovered");
    breaker.success();
  }

  async function lookup(key: string): Promise<Buffer | undefined> {
    if (!backend) return undefined;
    if (!breaker.tryAcquire()) {
      // Served without the cache: counted so that an outage shows on dashboards.
      metrics.cacheErrors.inc(label);
      return undefined;
    }
    try {
      const value = await backend.get(key);
      recordSuccess();
      (value ? metrics.cacheHits : metrics.cacheMisses).inc(label);
      return value;
    } catch (err) {
      recordFailure("get", err);
      return undefined;
    }
  }

  async function store(key: string, value: Buffer): Promise<void> {
    if (!backend || !breaker.tryAcquire()) return;
    try {
      await backend.set(key, value);
      recordSuccess();
    } catch (err) {
      recordFailure("set", err);
    }
  }

  // Values computed but not yet confirmed stored. A request for such a key is
  // answered from here, so a slow store cannot open a window in which identical
  // requests miss the backend and compute again.
  const storing = new Map<string, Buffer>();

  async function resolve(key: string, compute: () => Promise<Buffer>): Promise<CacheResult> {
    const cached = await lookup(key);
    if (cached) return { value: cached, hit: true };
    const value = await compute();
    if (backend) {
      storing.set(key, value);
      void store(key, value).finally(() => {
        if (storing.get(key) === value) storing.delete(key);
      });
    }
    return { value, hit: false };
  }

  return {
    backend: label.backend,
    get breakerState() {
      return breaker.state;
    },
    whenReady: (timeoutMs) => backend?.whenReady(timeoutMs) ?? Promise.resolve(true),
    getOrCompute(key, compute, ownFailure) {
      const existing = flights.get(key);
      if (existing) {
        // The failed flight has left the map by now, so the waiters coalesce again among themselves.
        return ownFailure ? existing.catch((err: unknown) => (ownFailure(err) ? this.getOrCompute(key, compute, ownFailure) : Promise.reject(err))) : existing;
      }
      const pending = storing.get(key);
      if (pending) {
        metrics.cacheHits.inc(label);
        return Promise.resolve({ value: pending, hit: true });
      }
      const flight = resolve(key, compute);
      flights.set(key, flight);
      // A failed compute() ends the flight like a successful one: errors are never cached.
      const end = () => {
        if (flights.get(key) === flight) flights.delete(key);
      };
      flight.then(end, end);
      return flight;
    },
    async close() {
      await backend?.close();
    },
  };
}

function createBackend(settings: CacheSettings, logger: Logger): CacheBackend | undefined {
  if (!settings.enabled) return undefined;
  if (settings.redisUrl) {
    return createRedisBackend({
      url: settings.redisUrl,
      timeoutMs: settings.redisTimeoutMs,
      ttlSeconds: settings.ttlSeconds,
      tlsCa: settings.redisTlsCa,
      logger,
    });
  }
  return createMemoryBackend(settings.memoryMaxBytes, settings.ttlSeconds);
}

/** Throws an error naming the bad field, its value and what is allowed. */
export function validateCacheSettings(settings: CacheSettings): void {
  const problems: string[] = [];
  const intAtLeast = (field: keyof CacheSettings, value: unknown, min: number) => {
    if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
      problems.push(`${field} must be an integer >= ${min} (got ${JSON.stringify(value)})`);
    }
  };
  intAtLeast("ttlSeconds", settings.ttlSeconds, 0);
  intAtLeast("memoryMaxBytes", settings.memoryMaxBytes, 1);
  intAtLeast("redisTimeoutMs", settings.redisTimeoutMs, 1);
  if (settings.breakerThreshold !== undefined) intAtLeast("breakerThreshold", settings.breakerThreshold, 1);
  if (settings.breakerCooldownMs !== undefined) intAtLeast("breakerCooldownMs", settings.breakerCooldownMs, 0);
  if (settings.redisUrl !== undefined && settings.redisUrl !== "") {
    let protocol: string | undefined;
    try {
      protocol = new URL(settings.redisUrl).protocol;
    } catch {
      protocol = undefined;
    }
    if (protocol !== "redis:" && protocol !== "rediss:") {
      problems.push(`redisUrl must be a redis:// or rediss:// URL (got ${JSON.stringify(redactUrl(settings.redisUrl))})`);
    }
  }
  if (problems.length > 0) throw new Error(`invalid cache settings: ${problems.join("; ")}`);
}

/** The URL with any password replaced, so errors and logs never carry the AUTH token. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*):[^@/]*@/, "//$1:***@");
}
