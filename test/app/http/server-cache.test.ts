// How the server uses the result cache: the outputs part of a response is cached,
// the request id is not; parameters.cache = false bypasses it.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { ResultCache } from "../../../app/src/cache/result-cache.js";
import { infer, metricValue, startTestServer, type TestServer } from "../support.js";

let s: TestServer;
before(async () => {
  s = await startTestServer({ models: ["adder", "multi"] }, { CACHE_ENABLED: "true" });
});
after(() => s.stop());

const hits = () => metricValue(s.url, 'inference_cache_hits_total{backend="memory"}');
const misses = () => metricValue(s.url, 'inference_cache_misses_total{backend="memory"}');
const runs = () => metricValue(s.url, 'inference_batch_size_count{model="adder"}');
const body = (id: string, extra: object = {}) => ({ id, inputs: [{ name: "x", shape: [1, 3], datatype: "FP32", data: [7, 8, 9] }], ...extra });

test("a repeated request is answered from the cache with its own id and the same outputs", async () => {
  const first = await infer(s, "adder", body("first"));
  const before = { hits: await hits(), runs: await runs() };
  const second = await infer(s, "adder", body("second"));
  assert.equal(second.status, 200);
  assert.equal(second.body.id, "second");
  assert.deepEqual(second.body.outputs, first.body.outputs);
  assert.equal(await hits(), before.hits + 1);
  assert.equal(await runs(), before.runs, "no inference for a hit");
});

test("parameters.cache = false runs the model and neither reads nor counts the cache", async () => {
  await infer(s, "adder", body("warm"));
  const before = { hits: await hits(), misses: await misses(), runs: await runs() };
  const fresh = await infer(s, "adder", body("fresh", { parameters: { cache: false } }));
  assert.equal(fresh.status, 200);
  assert.deepEqual(fresh.body.outputs[0].data, [17, 28, 44]);
  assert.equal(await runs(), before.runs + 1);
  assert.equal(await hits(), before.hits);
  assert.equal(await misses(), before.misses);
});

test("different output selections are cached apart", async () => {
  const inputs = [
    { name: "a", shape: [1, 2], datatype: "FP32", data: [1, 2] },
    { name: "b", shape: [1, 2], datatype: "FP32", data: [3, 4] },
  ];
  const sum = await infer(s, "multi", { inputs, outputs: [{ name: "sum" }] });
  const product = await infer(s, "multi", { inputs, outputs: [{ name: "product" }] });
  assert.deepEqual(sum.body.outputs.map((o: { name: string }) => o.name), ["sum"]);
  assert.deepEqual(product.body.outputs, [{ name: "product", datatype: "FP32", shape: [1, 2], data: [3, 8] }]);
});

test("close() drains and then closes the result cache", async () => {
  const events: string[] = [];
  const cache: ResultCache = {
    backend: "off",
    async getOrCompute(_key, compute) {
      const value = await compute();
      events.push("computed");
      return { value, hit: false };
    },
    async close() {
      events.push("closed");
    },
  };
  const other = await startTestServer({ models: ["adder"], configs: { adder: { maxQueueDelayMs: 200 } } }, {}, { cache });
  const pending = infer(other, "adder", body("queued"));
  while ((await metricValue(other.url, "inference_requests_in_flight")) < 1) await new Promise((r) => setTimeout(r, 2));
  await other.stop();
  assert.equal((await pending).status, 200);
  assert.deepEqual(events, ["computed", "closed"]);
});
