// The server with its result cache on a real redis-server: results are shared by
// replicas, and a Redis outage never turns into failed requests.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { adderBias } from "../../support/models.js";
import { redisSkipReason, startRedis, type RedisServer } from "../../support/redis.js";
import { infer, metricValue, startTestServer, type TestServer } from "../support.js";
import { delay } from "../../support/cache.js";

const HITS = 'inference_cache_hits_total{backend="redis"}';
const MISSES = 'inference_cache_misses_total{backend="redis"}';
const ERRORS = 'inference_cache_errors_total{backend="redis"}';

const body = (row: number[]) => ({ inputs: [{ name: "x", datatype: "FP32", shape: [1, 3], data: row }] });
// The server serves the newest version (adder v2) when the request names none.
const expected = (row: number[]) => row.map((v, i) => Math.fround(v + adderBias(2)[i]!));

async function eventually(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return;
    await delay(50);
  }
  assert.fail(`not within ${ms} ms: ${what}`);
}

describe("server result cache on Redis", { skip: redisSkipReason() }, () => {
  let redis: RedisServer;
  let replicas: TestServer[] = [];
  before(async () => {
    redis = await startRedis();
    const env = { CACHE_ENABLED: "true", REDIS_URL: redis.url, REDIS_TIMEOUT_MS: "200" };
    replicas = await Promise.all([startTestServer({ models: ["adder"] }, env), startTestServer({ models: ["adder"] }, env)]);
  });
  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await redis?.stop();
  });

  it("serves a result computed by one replica from the cache on another", async () => {
    const [a, b] = replicas as [TestServer, TestServer];
    assert.equal(a.server.cache.backend, "redis");
    const row = [0.5, 1.5, 2.5];
    const first = await infer(a, "adder", body(row));
    assert.equal(first.status, 200);
    assert.deepEqual(first.body.outputs[0].data, expected(row));
    assert.equal(await metricValue(a.url, MISSES), 1);

    let second = first;
    await eventually(
      async () => {
        second = await infer(b, "adder", body(row));
        return (await metricValue(b.url, HITS)) >= 1;
      },
      3000,
      "replica b hits the entry replica a stored",
    );
    assert.equal(second.status, 200);
    assert.deepEqual(second.body.outputs, first.body.outputs);
    assert.equal(await metricValue(b.url, MISSES), 0, "replica b never computed it");
  });

  it("answers every request with 200 and correct outputs while Redis is killed and brought back", async () => {
    const [a] = replicas as [TestServer];
    const rows = Array.from({ length: 40 }, (_, i) => [i % 7, i % 5, i % 3]);
    const statuses: number[] = [];
    const check = async (row: number[]) => {
      const res = await infer(a, "adder", body(row));
      statuses.push(res.status);
      assert.deepEqual(res.body.outputs?.[0]?.data, expected(row), `outputs for ${JSON.stringify(row)}`);
    };
    for (const row of rows.slice(0, 10)) await check(row);
    const killed = redis.kill();
    // Requests in flight while Redis dies, and after.
    await Promise.all(rows.slice(10, 25).map(check));
    await killed;
    for (const row of rows.slice(25)) await check(row);
    assert.deepEqual(new Set(statuses), new Set([200]));
    assert.equal(statuses.length, rows.length);
    assert.ok((await metricValue(a.url, ERRORS)) >= 1, "the outage is counted");

    await redis.restart();
    const hitsBefore = await metricValue(a.url, HITS);
    // The breaker probes Redis again after its cool-down (5 s by default); then repeats hit again.
    await eventually(
      async () => {
        await check([9, 9, 9]);
        return (await metricValue(a.url, HITS)) > hitsBefore;
      },
      12_000,
      "the cache is used again once Redis is back",
    );
    assert.deepEqual(new Set(statuses), new Set([200]));
  });
});
