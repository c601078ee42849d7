// Redis result store (ElastiCache or in-cluster Redis). Tuned to fail fast: no
// offline queue, a per-command timeout and bounded retries, so an outage costs a
// request at most one timeout; the cache's circuit breaker then skips Redis
// altogether for a cool-down.
import { Redis, type RedisOptions } from "ioredis";
import type { Logger } from "pino";
import type { CacheBackend } from "./backend.js";

export interface RedisBackendOptions {
  /** redis:// or rediss:// (TLS) URL, optionally with user:password@ for AUTH. */
  url: string;
  /** Per-command timeout; also bounds the connect attempt. */
  timeoutMs: number;
  /** Entry lifetime in Redis; 0 = no expiry. */
  ttlSeconds: number;
  /** PEM CA bundle to trust for rediss:// besides the system roots (self-signed or private CA). */
  tlsCa?: string | Buffer;
  logger: Logger;
}

/** Namespace for result entries, so the cache can share a Redis with other data. */
export const REDIS_KEY_PREFIX = "inference:result:";

export function createRedisBackend(options: RedisBackendOptions): CacheBackend {
  const { logger } = options;
  const redisOptions: RedisOptions = {
    enableOfflineQueue: false,
    commandTimeout: options.timeoutMs,
    connectTimeout: Math.max(options.timeoutMs, 1000),
    maxRetriesPerRequest: 1,
    // Reconnect forever with capped backoff: the cache comes back when Redis does.
    retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2000),
  };
  // rediss:// already turns TLS on in ioredis; a CA is only added when one is given.
  if (options.tlsCa !== undefined) redisOptions.tls = { ca: options.tlsCa };
  const client = new Redis(options.url, redisOptions);

  // Without an "error" listener ioredis errors would crash the process. Log the
  // first error of an outage as a warning and the reconnect noise at debug.
  let healthy = true;
  client.on("error", (err: Error) => {
    if (healthy) logger.warn({ err: err.message }, "redis cache unavailable; serving without cache");
    else logger.debug({ err: err.message }, "redis cache still unavailable");
    healthy = false;
  });
  client.on("ready", () => {
    if (!healthy) logger.info("redis cache reconnected");
    healthy = true;
  });

  function whenReady(timeoutMs: number): Promise<boolean> {
    if (client.status === "ready") return Promise.resolve(true);
    return new Promise((resolve) => {
      const done = (ready: boolean) => {
        clearTimeout(timer);
        client.off("ready", onReady);
        resolve(ready);
      };
      const onReady = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      client.once("ready", onReady);
    });
  }

  // A command while (re)connecting waits for the connection up to the command
  // timeout instead of failing at once: requests that arrive in the first
  // milliseconds after start, or during a reconnect, still use the cache.
  // Concurrent waiters share one wait, so a burst does not pile listeners on the client.
  let waiting: Promise<boolean> | undefined;
  async function connected(): Promise<void> {
    if (client.status === "ready") return;
    waiting ??= whenReady(options.timeoutMs).finally(() => (waiting = undefined));
    if (!(await waiting)) throw new Error(`redis is not connected (status ${client.status})`);
  }

  return {
    name: "redis",
    whenReady,
    async get(key) {
      await connected();
      return (await client.getBuffer(REDIS_KEY_PREFIX + key)) ?? undefined;
    },
    async set(key, value) {
      await connected();
      if (options.ttlSeconds > 0) await client.set(REDIS_KEY_PREFIX + key, value, "EX", options.ttlSeconds);
      else await client.set(REDIS_KEY_PREFIX + key, value);
    },
    async close() {
      try {
        await client.quit();
      } catch {
        // Not connected: nothing to flush, just stop reconnecting.
        client.disconnect();
      }
    },
  };
}
