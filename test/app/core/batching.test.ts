// Dynamic batching over HTTP with real onnxruntime: batched answers equal single
// runs, the queue is bounded (503 + Retry-After) and expired requests never run.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { adderBias } from "../../support/models.js";
import { infer, metricValue, startTestServer } from "../support.js";

/** Deterministic pseudo-random values so failures reproduce. */
function values(seed: number, n: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return Math.round(((s / 2 ** 31) * 20 - 10) * 8) / 8;
  });
}

const multiRequest = (i: number) => {
  const rows = 1 + (i % 5);
  return {
    id: `r${i}`,
    inputs: [
      { name: "a", shape: [rows, 2], datatype: "FP32", data: values(i * 2 + 1, rows * 2) },
      { name: "b", shape: [rows, 2], datatype: "FP32", data: values(i * 2 + 2, rows * 2) },
    ],
    // Different output selections may share a batch.
    ...(i % 3 === 0 ? { outputs: [{ name: "argmax" }] } : {}),
  };
};
const lowerRequest = (i: number) => {
  const rows = 1 + (i % 4);
  return { inputs: [{ name: "text", shape: [rows], datatype: "BYTES", data: Array.from({ length: rows }, (_, j) => `Req ${i} ROW ${j} ÄÖ`) }] };
};

test("concurrent requests with different batch sizes get exactly the answers of single runs, from batches of more than one", async () => {
  const s = await startTestServer({ models: ["multi", "lower"] }, { MAX_BATCH_SIZE: "64", MAX_QUEUE_DELAY_MS: "40" });
  try {
    const N = 12;
    // Reference: one request at a time, so every run holds a single request.
    const single = [];
    for (let i = 0; i < N; i++) single.push([await infer(s, "multi", multiRequest(i)), await infer(s, "lower", lowerRequest(i))]);
    const count = (model: string) => metricValue(s.url, `inference_batch_size_count{model="${model}"}`);
    const before = { multi: await count("multi"), lower: await count("lower") };
    assert.equal(before.multi, N);

    const together = await Promise.all(Array.from({ length: N }, (_, i) => Promise.all([infer(s, "multi", multiRequest(i)), infer(s, "lower", lowerRequest(i))])));
    for (let i = 0; i < N; i++) {
      for (const k of [0, 1]) {
        assert.equal(together[i]![k]!.status, 200);
        assert.deepEqual(together[i]![k]!.body, single[i]![k]!.body, `request ${i} model ${k}`);
      }
    }
    // N requests ran in fewer than N batches: batches held more than one request.
    const batches = { multi: (await count("multi")) - before.multi, lower: (await count("lower")) - before.lower };
    assert.ok(batches.multi < N, `multi ran ${batches.multi} batches for ${N} requests`);
    assert.ok(batches.lower < N, `lower ran ${batches.lower} batches for ${N} requests`);
    const rowsOver1 = (await count("multi")) - (await metricValue(s.url, 'inference_batch_size_bucket{le="1",model="multi"}'));
    assert.ok(rowsOver1 > 0);
  } finally {
    await s.stop();
  }
});

test("requests whose non-batch dims differ are never stacked: a model with fixed dims runs each alone", async () => {
  const s = await startTestServer({ models: ["fixed"] }, { MAX_QUEUE_DELAY_MS: "30" });
  try {
    const body = (k: number) => ({ inputs: [{ name: "x", shape: [2, 2], datatype: "FP32", data: [k, k + 1, k + 2, k + 3] }] });
    const answers = await Promise.all([0, 10, 20].map((k) => infer(s, "fixed", body(k))));
    answers.forEach((a, i) => assert.deepEqual(a.body.outputs[0].data, body(10 * i).inputs[0]!.data.map((v) => (v === 0 ? 0 : -v))));
    assert.equal(await metricValue(s.url, 'inference_batch_size_count{model="fixed"}'), 3);
  } finally {
    await s.stop();
  }
});

// Distinct values per request: identical concurrent requests would be coalesced by the result cache.
const adderBody = (k: number) => ({ inputs: [{ name: "x", shape: [1, 3], datatype: "FP32", data: [k, 0, 0] }] });

test("past the admission limit (the model's maxQueueSize) a request waits in line, and is served once a slot frees", async () => {
  const s = await startTestServer({ models: ["adder"], configs: { adder: { maxBatchSize: 8, maxQueueSize: 2, maxQueueDelayMs: 100 } } });
  try {
    const answers = await Promise.all(Array.from({ length: 4 }, (_, k) => infer(s, "adder", adderBody(k))));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200, 200]);
    // Two batches of two: the waiting pair never reached the batch queue before the first pair left it.
    assert.equal(await metricValue(s.url, 'inference_batch_size_count{model="adder"}'), 2);
    assert.equal(await metricValue(s.url, 'inference_admission_limit{model="adder"}'), 2);
  } finally {
    await s.stop();
  }
});

test("past the admission limit with no waiting allowed, requests are refused at once with 503, Retry-After, Connection: close and a JSON error; admitted ones complete", async () => {
  // A long queue delay holds the admitted requests, so the limit is reached deterministically.
  const s = await startTestServer({ models: ["adder"], configs: { adder: { maxBatchSize: 8, maxQueueSize: 2, maxQueueDelayMs: 300 } } }, { ADMISSION_MAX_WAIT_MS: "0" });
  try {
    const answers = await Promise.all(Array.from({ length: 6 }, (_, k) => infer(s, "adder", adderBody(k))));
    const ok = answers.filter((a) => a.status === 200);
    const shed = answers.filter((a) => a.status === 503);
    assert.equal(ok.length, 2);
    assert.equal(shed.length, 4);
    for (const a of ok) assert.deepEqual(a.body.outputs[0].data.slice(1), [20, 35]);
    for (const a of shed) {
      assert.equal(a.headers.get("retry-after"), "1");
      assert.equal(a.headers.get("content-type"), "application/json", "bare, as every JSON answer (KServe's client reads the error only then)");
      assert.equal(a.headers.get("connection"), "close");
      assert.match(a.headers.get("x-request-id") ?? "", /^[\w-]{36}$/);
      assert.deepEqual(a.body, { error: 'model "adder" is overloaded: too many requests are waiting; retry after 1 s' });
    }
    assert.equal(await metricValue(s.url, 'inference_requests_rejected_total{model="adder",reason="waiting_full"}'), 4);
    assert.equal(await metricValue(s.url, 'inference_request_duration_seconds_count{model="adder",status="503"}'), 4);
  } finally {
    await s.stop();
  }
});

test("with admission off, the batch queue's own limit still sheds with 503 and Retry-After", async () => {
  const s = await startTestServer({ models: ["adder"], configs: { adder: { maxBatchSize: 8, maxQueueSize: 2, maxQueueDelayMs: 300 } } }, { ADMISSION: "off" });
  try {
    const answers = await Promise.all(Array.from({ length: 6 }, (_, k) => infer(s, "adder", adderBody(k))));
    assert.equal(answers.filter((a) => a.status === 200).length, 2);
    for (const a of answers.filter((x) => x.status !== 200)) {
      assert.equal(a.status, 503);
      assert.equal(a.headers.get("retry-after"), "1");
      assert.deepEqual(a.body, { error: 'model "adder" is overloaded: queue is full (2 requests waiting); retry later' });
    }
    assert.equal(await metricValue(s.url, 'inference_requests_rejected_total{model="adder",reason="queue_full"}'), 4);
  } finally {
    await s.stop();
  }
});

test("a request whose deadline expires in the queue gets 504 at its deadline and never reaches the model", async () => {
  // Both requests wait 2 s for companions; the second's 500 ms deadline passes first (margins
  // wide enough for a loaded machine to send both within the window).
  const s = await startTestServer({ models: ["adder"], configs: { adder: { maxBatchSize: 8, maxQueueDelayMs: 2000 } } });
  try {
    const settled: string[] = [];
    const [patient, hasty] = await Promise.all([
      infer(s, "adder", adderBody(1)).finally(() => settled.push("patient")),
      infer(s, "adder", adderBody(2), { "x-request-timeout-ms": "500" }).finally(() => settled.push("hasty")),
    ]);
    assert.equal(hasty.status, 504);
    assert.match(hasty.body.error, /^request deadline exceeded after waiting \d+ ms in the queue; it did not run$/);
    assert.deepEqual(settled, ["hasty", "patient"], "answered at its deadline, before the batch ran");
    assert.equal(patient.status, 200);
    // One batch of one row ran: the expired request never reached onnxruntime.
    assert.equal(await metricValue(s.url, 'inference_batch_size_count{model="adder"}'), 1);
    assert.equal(await metricValue(s.url, 'inference_batch_size_sum{model="adder"}'), 1);
    assert.equal(await metricValue(s.url, 'inference_requests_rejected_total{model="adder",reason="deadline"}'), 1);
  } finally {
    await s.stop();
  }
});

test("the timeout request parameter (microseconds, as Triton counts) sets the deadline too, and the sooner of it and the header wins", async () => {
  const s = await startTestServer({ models: ["adder"], configs: { adder: { maxBatchSize: 8, maxQueueDelayMs: 300 } } });
  try {
    // Distinct inputs, so that the result cache does not coalesce them.
    const withParameters = (k: number, parameters: Record<string, unknown>) => ({ ...adderBody(k), parameters });
    const settled: string[] = [];
    const [patient, byParameter, headerSooner, unset] = await Promise.all([
      infer(s, "adder", adderBody(1)).finally(() => settled.push("patient")),
      infer(s, "adder", withParameters(2, { timeout: 30_000 })).finally(() => settled.push("parameter")),
      infer(s, "adder", withParameters(3, { timeout: 60_000_000 }), { "x-request-timeout-ms": "30" }).finally(() => settled.push("header")),
      infer(s, "adder", withParameters(4, { timeout: 0 })).finally(() => settled.push("unset")),
    ]);
    for (const expired of [byParameter, headerSooner]) {
      assert.equal(expired.status, 504);
      assert.match(expired.body.error, /^request deadline exceeded after waiting \d+ ms in the queue; it did not run$/);
    }
    assert.deepEqual(settled.slice(0, 2).sort(), ["header", "parameter"], "both expired requests answered before the batch ran");
    // timeout 0 means "the server's default" (30 s here), so it waits for the batch like the patient one.
    assert.equal(unset.status, 200);
    assert.equal(patient.status, 200);
    assert.equal(await metricValue(s.url, 'inference_batch_size_sum{model="adder"}'), 2);
    assert.equal(await metricValue(s.url, 'inference_requests_rejected_total{model="adder",reason="deadline"}'), 2);
  } finally {
    await s.stop();
  }
});

test("an identical request coalesced with one whose deadline expires is not answered with that deadline", async () => {
  // Wide margins (a 500 ms deadline in a 2 s batching window) so that a loaded machine still
  // sees the hasty request queued before its deadline passes.
  const s = await startTestServer({ models: ["adder"], configs: { adder: { maxBatchSize: 8, maxQueueDelayMs: 2000 } } });
  try {
    let settled = false;
    const hasty = infer(s, "adder", adderBody(5), { "x-request-timeout-ms": "500" }).finally(() => (settled = true));
    // Only once the hasty request is queued does the patient one join its computation.
    while ((await metricValue(s.url, 'inference_queue_depth{model="adder"}')) < 1) {
      assert.equal(settled, false, "the hasty request settled before it was seen queued");
      await sleep(1);
    }
    const patient = await infer(s, "adder", adderBody(5));
    assert.equal((await hasty).status, 504);
    assert.equal(patient.status, 200);
    const [b0 = NaN, b1, b2] = adderBias(2); // the latest version serves
    assert.deepEqual(patient.body.outputs[0].data, [5 + b0, b1, b2]);
  } finally {
    await s.stop();
  }
});

test("BATCHING=off runs every request alone", async () => {
  const s = await startTestServer({ models: ["multi"] }, { BATCHING: "off", MAX_QUEUE_DELAY_MS: "30" });
  try {
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => infer(s, "multi", multiRequest(i))));
    for (const a of answers) assert.equal(a.status, 200);
    assert.equal(await metricValue(s.url, 'inference_batch_size_count{model="multi"}'), 6);
    assert.equal(await metricValue(s.url, 'inference_batch_size_sum{model="multi"}'), 1 + 2 + 3 + 4 + 5 + 1);
  } finally {
    await s.stop();
  }
});

test("inference runs off the event loop: probes are answered while a long batch computes", async () => {
  const s = await startTestServer({ models: ["slow"], slow: { size: 1024, layers: 8 } }, { ORT_INTRA_OP_THREADS: "1" });
  try {
    const order: string[] = [];
    const running = infer(s, "slow", { inputs: [{ name: "x", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }] }).then((r) => {
      order.push("infer");
      return r;
    });
    while ((await metricValue(s.url, "inference_requests_in_flight")) < 1) await new Promise((r) => setTimeout(r, 1));
    const live = await fetch(`${s.url}/v2/health/live`);
    order.push("live");
    assert.equal(live.status, 200);
    assert.equal((await running).status, 200);
    assert.deepEqual(order, ["live", "infer"]);
  } finally {
    await s.stop();
  }
});

test("the queue-depth gauge counts waiting requests of every version of a model", async () => {
  const s = await startTestServer({ models: ["adder"], configs: { adder: { maxBatchSize: 64, maxQueueDelayMs: 400 } } });
  try {
    const depth = async () => (await s.server.metrics.queueDepth.get()).values.find((v) => v.labels.model === "adder")?.value;
    assert.equal(await depth(), 0);
    const answers = [infer(s, "adder", adderBody(1), {}, "1"), infer(s, "adder", adderBody(2), {}, "1"), infer(s, "adder", adderBody(3), {}, "2")];
    while ((await metricValue(s.url, "inference_requests_in_flight")) < 3) await new Promise((r) => setTimeout(r, 2));
    await new Promise((r) => setTimeout(r, 20)); // parsed and queued
    assert.equal(await depth(), 3);
    for (const a of await Promise.all(answers)) assert.equal(a.status, 200);
    assert.equal(await depth(), 0);
  } finally {
    await s.stop();
  }
});

test('config.json "batching": false keeps a model\'s requests apart even when its first dims are dynamic', async () => {
  const s = await startTestServer({ models: ["multi"] }, { MAX_QUEUE_DELAY_MS: "50" }, {});
  const off = await startTestServer({ models: ["multi"], configs: { multi: { batching: false, maxQueueDelayMs: 50 } } });
  try {
    for (const server of [s, off]) {
      const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => infer(server, "multi", multiRequest(i))));
      for (const a of answers) assert.equal(a.status, 200);
    }
    assert.ok((await metricValue(s.url, 'inference_batch_size_count{model="multi"}')) < 6, "batched by default");
    assert.equal(await metricValue(off.url, 'inference_batch_size_count{model="multi"}'), 6);
  } finally {
    await s.stop();
    await off.stop();
  }
});
