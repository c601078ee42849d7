// The result cache against a real redis-server: sharing, TTL, slowness, outage,
// recovery, AUTH and TLS (as ElastiCache serves it).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { createResultCache, type ManagedResultCache } from "../../../app/src/cache/result-cache.js";
import { REDIS_KEY_PREFIX } from "../../../app/src/cache/redis.js";
import { redisSkipReason, redisTlsSkipReason, startRedis, type RedisServer } from "../../support/redis.js";
import { cacheSettings, counter, createMetrics, delay, quietLogger, type Metrics } from "../../support/cache.js";

const skip = redisSkipReason();
const bytes = (text: string) => Buffer.from(text);

// Every cache made here is closed at the end even when a spec fails half-way,
// so that no reconnecting client keeps the test process alive.
const opened: ManagedResultCache[] = [];
after(async () => {
  await Promise.all(opened.map((cache) => cache.close()));
});

/** A Redis-backed cache with fast failure settings (200 ms timeout, breaker 3 failures / 300 ms). */
function redisCache(url: string, metrics: Metrics = createMetrics(), extra = {}): ManagedResultCache {
  const cache = createResultCache(
    cacheSettings({ redisUrl: url, redisTimeoutMs: 200, breakerThreshold: 3, breakerCooldownMs: 300, ...extra }),
    metrics,
    quietLogger,
  );
  opened.push(cache);
  return cache;
}

/** Calls getOrCompute until `predicate` holds on the result, for at most `ms`. */
async function eventually(fn: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await delay(50);
  }
  assert.fail(`not within ${ms} ms: ${what}`);
}

describe("result cache on Redis", { skip }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis?.stop();
  });

  it("shares results between cache instances (two servers, one Redis)", async () => {
    const metrics = createMetrics();
    const first = redisCache(redis.url, metrics);
    const second = redisCache(redis.url, metrics);
    assert.equal(first.backend, "redis");
    assert.equal(await first.whenReady(5000), true);
    assert.equal(await second.whenReady(5000), true);
    let computed = 0;
    const compute = async () => bytes(`value ${++computed}`);
    assert.deepEqual(await first.getOrCompute("shared", compute), { value: bytes("value 1"), hit: false });
    await eventually(async () => (await second.getOrCompute("shared", compute)).hit, 2000, "second instance sees the entry");
    assert.equal(computed, 1);
    assert.ok((await counter(metrics, "cacheHits", "redis")) >= 1);
    assert.equal(await counter(metrics, "cacheErrors", "redis"), 0);
    await Promise.all([first.close(), second.close()]);
  });

  it("stores entries with the configured TTL, and they expire", async () => {
    const cache = redisCache(redis.url, createMetrics(), { ttlSeconds: 1 });
    await cache.whenReady(5000);
    const probe = new Redis(redis.url);
    try {
      await cache.getOrCompute("ttl-key", async () => bytes("v1"));
      let ttl = -2;
      await eventually(async () => (ttl = await probe.pttl(REDIS_KEY_PREFIX + "ttl-key")) > 0, 2000, "key stored");
      assert.ok(ttl <= 1000, `pttl ${ttl} ms`);
      await delay(1200);
      assert.equal(await probe.exists(REDIS_KEY_PREFIX + "ttl-key"), 0);
      assert.deepEqual(await cache.getOrCompute("ttl-key", async () => bytes("v2")), { value: bytes("v2"), hit: false });
    } finally {
      probe.disconnect();
      await cache.close();
    }
  });

  it("coalesces concurrent identical requests while Redis is frozen, and answers without it", async () => {
    const metrics = createMetrics();
    const cache = redisCache(redis.url, metrics);
    await cache.whenReady(5000);
    let computed = 0;
    redis.pause();
    try {
      // Everything below resolves while Redis is still frozen: nothing waits for Redis itself.
      const results = await Promise.all(
        Array.from({ length: 20 }, () =>
          cache.getOrCompute("slow-redis", async () => {
            computed++;
            return bytes("computed");
          }),
        ),
      );
      assert.equal(computed, 1);
      assert.ok(results.every((r) => r.value.equals(bytes("computed")) && !r.hit));
      // The store is still waiting on the frozen Redis: a repeat is answered from the pending value.
      const repeat = await cache.getOrCompute("slow-redis", async () => bytes(`recomputed ${++computed}`));
      assert.deepEqual(repeat, { value: bytes("computed"), hit: true });
      assert.equal(computed, 1);
      assert.ok((await counter(metrics, "cacheErrors", "redis")) >= 1);
    } finally {
      redis.resume();
      await cache.close();
    }
  });

  it("keeps answering when Redis dies mid-run, opens the breaker, and closes it when Redis returns", async () => {
    const metrics = createMetrics();
    const cache = redisCache(redis.url, metrics);
    await cache.whenReady(5000);
    const compute = (key: string) => async () => bytes(`computed ${key}`);
    assert.equal((await cache.getOrCompute("before", compute("before"))).hit, false);
    await eventually(async () => (await cache.getOrCompute("before", compute("before"))).hit, 2000, "entry stored");

    await redis.kill();
    for (let i = 0; i < 10; i++) {
      const result = await cache.getOrCompute(`during-${i}`, compute(`during-${i}`));
      assert.deepEqual(result, { value: bytes(`computed during-${i}`), hit: false });
    }
    assert.ok((await counter(metrics, "cacheErrors", "redis")) >= 10);
    assert.notEqual(cache.breakerState, "closed", "the breaker is open (or probing)");

    await redis.restart();
    await eventually(
      async () => {
        await cache.getOrCompute("after", compute("after"));
        return cache.breakerState === "closed";
      },
      10_000,
      "breaker closes after Redis is back",
    );
    await eventually(async () => (await cache.getOrCompute("after", compute("after"))).hit, 2000, "cache works again");
    await cache.close();
  });
});

describe("result cache on Redis with AUTH (--requirepass)", { skip }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis({ password: "s3cret/pass" });
  });
  after(async () => {
    await redis?.stop();
  });

  it("works with the right password in the URL", async () => {
    assert.match(redis.url, /^redis:\/\/:s3cret%2Fpass@/);
    const cache = redisCache(redis.url);
    assert.equal(await cache.whenReady(5000), true);
    await cache.getOrCompute("k", async () => bytes("v"));
    await eventually(async () => (await cache.getOrCompute("k", async () => bytes("other"))).hit, 2000, "hit");
    await cache.close();
  });

  it("degrades to computing, with errors counted, on a wrong or missing password", async () => {
    for (const url of [redis.url.replace("s3cret", "wrong"), `redis://127.0.0.1:${redis.port}`]) {
      const metrics = createMetrics();
      const cache = redisCache(url, metrics);
      await cache.whenReady(1000);
      let computed = 0;
      for (let i = 0; i < 3; i++) {
        const result = await cache.getOrCompute("k", async () => bytes(`v${++computed}`));
        assert.deepEqual(result, { value: bytes(`v${computed}`), hit: false });
        await delay(250); // past the 200 ms timeout: the (failing) store has settled and kept nothing
      }
      assert.equal(computed, 3);
      assert.ok((await counter(metrics, "cacheErrors", "redis")) >= 1, `errors counted for ${url}`);
      await cache.close();
    }
  });
});

describe("result cache on Redis with an ACL user limited to the cache's keys", { skip }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis({ user: { name: "inference", password: "p@ss word", keys: `${REDIS_KEY_PREFIX}*` } });
  });
  after(async () => {
    await redis?.stop();
  });

  it("authenticates as user:password from the URL and keeps every key under its prefix", async () => {
    assert.match(redis.url, /^redis:\/\/inference:p%40ss%20word@/);
    const metrics = createMetrics();
    const cache = redisCache(redis.url, metrics);
    assert.equal(await cache.whenReady(5000), true);
    await cache.getOrCompute("k", async () => bytes("v"));
    await eventually(async () => (await cache.getOrCompute("k", async () => bytes("other"))).hit, 2000, "hit");
    // The ACL refuses any key outside the prefix, so an error here would mean a stray key.
    assert.equal(await counter(metrics, "cacheErrors", "redis"), 0);
    await cache.close();
  });

  it("degrades to computing when the user's password is wrong", async () => {
    const metrics = createMetrics();
    const cache = redisCache(redis.url.replace("p%40ss", "nope"), metrics);
    assert.equal(await cache.whenReady(1000), false);
    assert.deepEqual(await cache.getOrCompute("k", async () => bytes("computed")), { value: bytes("computed"), hit: false });
    assert.ok((await counter(metrics, "cacheErrors", "redis")) >= 1);
    await cache.close();
  });
});

const tlsSkip = redisTlsSkipReason();
describe("result cache on Redis over TLS (rediss://)", { skip: tlsSkip }, () => {
  let redis: RedisServer;
  before(async () => {
    redis = await startRedis({ tls: true, password: "tls-token" });
  });
  after(async () => {
    await redis?.stop();
  });

  it("connects with the CA that signed the server certificate, and caches", async () => {
    assert.match(redis.url, /^rediss:\/\//);
    const cache = redisCache(redis.url, createMetrics(), { redisTlsCa: redis.ca });
    assert.equal(await cache.whenReady(5000), true);
    await cache.getOrCompute("k", async () => bytes("v"));
    await eventually(async () => (await cache.getOrCompute("k", async () => bytes("other"))).hit, 2000, "hit over TLS");
    await cache.close();
  });

  it("verifies the server certificate: an untrusted CA degrades to no cache", async () => {
    const metrics = createMetrics();
    const cache = redisCache(redis.url, metrics);
    assert.equal(await cache.whenReady(1000), false);
    const result = await cache.getOrCompute("k", async () => bytes("computed"));
    assert.deepEqual(result, { value: bytes("computed"), hit: false });
    assert.ok((await counter(metrics, "cacheErrors", "redis")) >= 1);
    await cache.close();
  });
});
