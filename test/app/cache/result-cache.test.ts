import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createResultCache, validateCacheSettings, redactUrl } from "../../../app/src/cache/result-cache.js";
import { createMemoryBackend } from "../../../app/src/cache/memory.js";
import { CircuitBreaker } from "../../../app/src/cache/breaker.js";
import { cacheSettings, counter, createMetrics, delay, quietLogger } from "../../support/cache.js";

const bytes = (text: string) => Buffer.from(text);

describe("result cache (memory backend)", () => {
  it("computes on a miss, then serves the stored value as a hit", async () => {
    const metrics = createMetrics();
    const cache = createResultCache(cacheSettings(), metrics, quietLogger);
    assert.equal(cache.backend, "memory");
    let computed = 0;
    const compute = async () => bytes(`result ${++computed}`);
    assert.deepEqual(await cache.getOrCompute("k", compute), { value: bytes("result 1"), hit: false });
    assert.deepEqual(await cache.getOrCompute("k", compute), { value: bytes("result 1"), hit: true });
    assert.equal(computed, 1);
    assert.equal(await counter(metrics, "cacheMisses", "memory"), 1);
    assert.equal(await counter(metrics, "cacheHits", "memory"), 1);
    await cache.close();
  });

  it("coalesces N concurrent identical calls into one computation", async () => {
    const metrics = createMetrics();
    const cache = createResultCache(cacheSettings(), metrics, quietLogger);
    let computed = 0;
    const compute = async () => {
      computed++;
      await delay(30);
      return bytes("slow");
    };
    const results = await Promise.all(Array.from({ length: 50 }, () => cache.getOrCompute("same", compute)));
    assert.equal(computed, 1);
    assert.ok(results.every((r) => r.value.equals(bytes("slow"))));
    // Different keys are not coalesced.
    await Promise.all([cache.getOrCompute("a", compute), cache.getOrCompute("b", compute)]);
    assert.equal(computed, 3);
    await cache.close();
  });

  it("propagates a compute error to every coalesced waiter and does not cache it", async () => {
    const cache = createResultCache(cacheSettings(), createMetrics(), quietLogger);
    let calls = 0;
    const failing = async () => {
      calls++;
      await delay(10);
      throw new Error("model exploded");
    };
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => cache.getOrCompute("k", failing)));
    assert.equal(calls, 1);
    for (const outcome of outcomes) {
      assert.equal(outcome.status, "rejected");
      assert.match(String((outcome as PromiseRejectedResult).reason), /model exploded/);
    }
    const next = await cache.getOrCompute("k", async () => bytes("ok"));
    assert.deepEqual(next, { value: bytes("ok"), hit: false });
    await cache.close();
  });

  it("evicts least-recently-used entries to stay within its byte budget", async () => {
    const backend = createMemoryBackend(3 * (1000 + 64), 0);
    const key = (i: number) => String(i).padStart(64, "0");
    for (let i = 0; i < 3; i++) await backend.set(key(i), Buffer.alloc(1000, i));
    assert.ok(await backend.get(key(0))); // touch 0: 1 is now least recent
    await backend.set(key(3), Buffer.alloc(1000, 3));
    assert.ok(backend.bytes <= 3 * 1064, `holds ${backend.bytes} bytes`);
    assert.equal(await backend.get(key(1)), undefined);
    assert.ok(await backend.get(key(0)));
    assert.ok(await backend.get(key(3)));
    // An entry larger than the whole budget is not stored at all.
    await backend.set(key(9), Buffer.alloc(10_000));
    assert.equal(await backend.get(key(9)), undefined);
    assert.ok(backend.bytes <= 3 * 1064);
  });

  it("expires entries after ttlSeconds", async () => {
    // lru-cache keeps its own clock (performance.now), so wait out a real 1 s TTL.
    const cache = createResultCache(cacheSettings({ ttlSeconds: 1 }), createMetrics(), quietLogger);
    await cache.getOrCompute("k", async () => bytes("v1"));
    assert.equal((await cache.getOrCompute("k", async () => bytes("v2"))).hit, true);
    await delay(1100);
    assert.deepEqual(await cache.getOrCompute("k", async () => bytes("v2")), { value: bytes("v2"), hit: false });
    await cache.close();
  });
});

describe("result cache switched off", () => {
  it("when the leader fails for a reason of its own, its waiters compute again, once among themselves", async () => {
    const cache = createResultCache(cacheSettings(), createMetrics(), quietLogger);
    class LeaderOnly extends Error {}
    const ownFailure = (err: unknown) => err instanceof LeaderOnly;
    let computed = 0;
    const leader = cache.getOrCompute("k", async () => {
      await delay(20);
      throw new LeaderOnly("the leader's deadline passed");
    }, ownFailure);
    const waiter = async () => {
      computed++;
      await delay(10);
      return bytes("computed by a waiter");
    };
    const waiters = Array.from({ length: 4 }, () => cache.getOrCompute("k", waiter, ownFailure));
    await assert.rejects(leader, LeaderOnly);
    for (const r of await Promise.all(waiters)) assert.deepEqual(r, { value: bytes("computed by a waiter"), hit: false });
    assert.equal(computed, 1);
    await cache.close();
  });

  it("reports backend off, stores nothing, counts nothing, and still coalesces", async () => {
    const metrics = createMetrics();
    const cache = createResultCache(cacheSettings({ enabled: false }), metrics, quietLogger);
    assert.equal(cache.backend, "off");
    let computed = 0;
    const compute = async () => {
      computed++;
      await delay(20);
      return bytes("v");
    };
    const concurrent = await Promise.all(Array.from({ length: 10 }, () => cache.getOrCompute("k", compute)));
    assert.equal(computed, 1);
    assert.ok(concurrent.every((r) => !r.hit));
    assert.equal((await cache.getOrCompute("k", compute)).hit, false);
    assert.equal(computed, 2);
    for (const name of ["cacheHits", "cacheMisses", "cacheErrors"] as const) {
      assert.equal(await counter(metrics, name, "off"), 0);
    }
    await cache.close();
  });
});

describe("cache settings validation", () => {
  it("names the bad field, its value and what is allowed", () => {
    assert.throws(() => validateCacheSettings(cacheSettings({ memoryMaxBytes: 0 })), /memoryMaxBytes must be an integer >= 1 \(got 0\)/);
    assert.throws(() => validateCacheSettings(cacheSettings({ ttlSeconds: -5 })), /ttlSeconds must be an integer >= 0 \(got -5\)/);
    assert.throws(() => validateCacheSettings(cacheSettings({ redisTimeoutMs: Number.NaN })), /redisTimeoutMs must be an integer >= 1/);
    assert.throws(() => validateCacheSettings(cacheSettings({ breakerThreshold: 0 })), /breakerThreshold must be an integer >= 1/);
    assert.throws(
      () => validateCacheSettings(cacheSettings({ redisUrl: "http://user:hunter2@cache:6379" })),
      (err: Error) => /redisUrl must be a redis:\/\/ or rediss:\/\/ URL/.test(err.message) && !err.message.includes("hunter2"),
    );
    assert.throws(() => createResultCache(cacheSettings({ redisUrl: "not a url" }), createMetrics(), quietLogger), /redisUrl/);
    assert.doesNotThrow(() => validateCacheSettings(cacheSettings({ redisUrl: "rediss://default:tok@cache.example:6380/0" })));
  });

  it("redacts passwords from URLs", () => {
    assert.equal(redactUrl("rediss://default:s3cret@host:6380"), "rediss://default:***@host:6380");
    assert.equal(redactUrl("redis://host:6379"), "redis://host:6379");
  });
});

describe("circuit breaker", () => {
  it("opens after `threshold` consecutive failures, probes once after the cool-down, and closes on success", () => {
    let now = 0;
    const breaker = new CircuitBreaker({ threshold: 3, cooldownMs: 1000, now: () => now });
    breaker.failure();
    breaker.failure();
    breaker.success(); // success resets the count
    breaker.failure();
    breaker.failure();
    assert.equal(breaker.state, "closed");
    breaker.failure();
    assert.equal(breaker.state, "open");
    assert.equal(breaker.tryAcquire(), false);
    now = 999;
    assert.equal(breaker.tryAcquire(), false);
    now = 1000;
    assert.equal(breaker.state, "half-open");
    assert.equal(breaker.tryAcquire(), true);
    assert.equal(breaker.tryAcquire(), false, "only one probe at a time");
    breaker.success();
    assert.equal(breaker.state, "closed");
    assert.equal(breaker.tryAcquire(), true);
  });

  it("reopens for a full cool-down when the probe fails", () => {
    let now = 0;
    const breaker = new CircuitBreaker({ threshold: 1, cooldownMs: 100, now: () => now });
    breaker.failure();
    now = 100;
    assert.equal(breaker.tryAcquire(), true);
    breaker.failure();
    assert.equal(breaker.state, "open");
    now = 199;
    assert.equal(breaker.tryAcquire(), false);
    now = 200;
    assert.equal(breaker.tryAcquire(), true);
  });

  it("rejects nonsensical options", () => {
    assert.throws(() => new CircuitBreaker({ threshold: 0, cooldownMs: 1 }), /threshold must be an integer >= 1 \(got 0\)/);
    assert.throws(() => new CircuitBreaker({ threshold: 1, cooldownMs: -1 }), /cooldownMs must be a number >= 0/);
  });
});
