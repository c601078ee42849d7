// What Triton's and KServe's REST clients read beyond the V2 core: exact 64-bit integers in
// JSON, Content-Type exactly application/json on every JSON answer, and Triton's
// statistics, repository index, classification and model configuration extensions.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { startApp, type RunningApp } from "../../../app/src/app.js";
import { createModelRepository, TYPE_MODEL_TYPES, type TestRepository } from "../../support/models.js";
import { infer, request, testConfig } from "../support.js";

let app: RunningApp;
let repo: TestRepository;
before(async () => {
  repo = await createModelRepository({ models: ["adder", "types", "lower"], configs: { adder: { labels: { y: "labels.txt" } } } });
  await writeFile(path.join(repo.dir, "adder", "labels.txt"), "cat\ndog\nbird\n");
  app = await startApp(testConfig(repo.dir, { AUTH_TOKENS: "t0k" }));
  await app.loaded;
});
after(async () => {
  await app.close();
  await repo.remove();
});

const AUTH = { authorization: "Bearer t0k" };
const get = (p: string, headers: Record<string, string> = AUTH) => fetch(app.url + p, { headers });

/** Every input of the types model with one element each, `overrides` replacing some. */
function typesBody(overrides: Record<string, unknown>, binaryOutputs = false) {
  return {
    inputs: Object.entries(TYPE_MODEL_TYPES).map(([t, datatype]) => ({ name: `in_${t}`, datatype, shape: [1], data: [datatype === "BYTES" ? "a" : datatype === "BOOL" ? true : 1], ...(overrides[t] as object) })),
    outputs: [{ name: "out_int64", parameters: { binary_data: binaryOutputs } }, { name: "out_uint64", parameters: { binary_data: binaryOutputs } }],
  };
}

test("INT64 2^62+1 and -2^63, UINT64 2^64-1 round-trip exactly in JSON, digit for digit", async () => {
  const body = JSON.stringify(typesBody({ int64: { shape: [2], data: [0, 0] }, uint64: { data: [0] } }))
    .replace('"data":[0,0]', '"data":[4611686018427387905,-9223372036854775808]')
    .replace('"name":"in_uint64","datatype":"UINT64","shape":[1],"data":[0]', '"name":"in_uint64","datatype":"UINT64","shape":[1],"data":[18446744073709551615]');
  const res = await fetch(`${app.url}/v2/models/types/infer`, { method: "POST", body, headers: AUTH });
  const text = await res.text();
  assert.equal(res.status, 200, text);
  assert.match(text, /"name":"out_int64","datatype":"INT64","shape":\[2\],"data":\[4611686018427387905,-9223372036854775808\]/);
  assert.match(text, /"name":"out_uint64","datatype":"UINT64","shape":\[1\],"data":\[18446744073709551615\]/);
  // Out of range is refused with the exact value quoted.
  const over = await fetch(`${app.url}/v2/models/types/infer`, { method: "POST", body: body.replace("-9223372036854775808", "-9223372036854775809"), headers: AUTH });
  assert.equal(over.status, 400);
  assert.match(((await over.json()) as { error: string }).error, /input "in_int64" element 1 must be an integer -9223372036854775808\.\.9223372036854775807 for INT64, got -9223372036854775809/);
});

test("INT64 2^62+1 and -2^63 round-trip exactly as binary data too", async () => {
  const header = JSON.stringify({ ...typesBody({ int64: { shape: [2], data: undefined, parameters: { binary_data_size: 16 } } }, true) });
  const bytes = Buffer.from(BigInt64Array.of(2n ** 62n + 1n, -(2n ** 63n)).buffer);
  const res = await fetch(`${app.url}/v2/models/types/infer`, { method: "POST", body: Buffer.concat([Buffer.from(header), bytes]), headers: { ...AUTH, "inference-header-content-length": String(Buffer.byteLength(header)) } });
  assert.equal(res.status, 200);
  const answer = Buffer.from(await res.arrayBuffer());
  const jsonEnd = Number(res.headers.get("inference-header-content-length"));
  assert.ok(answer.subarray(jsonEnd, jsonEnd + 16).equals(bytes));
});

test("every JSON answer is exactly application/json, errors included", async () => {
  const answers = [
    await get("/v2"),
    await get("/v2/health/live", {}),
    await get("/v2/health/ready", {}),
    await get("/v2/models/adder"),
    await get("/v2/models/adder/ready"),
    await get("/v2/models/adder/stats"),
    await get("/v2/models/adder/config"),
    await fetch(`${app.url}/v2/repository/index`, { method: "POST", headers: AUTH }),
    await fetch(`${app.url}/v2/models/adder/infer`, { method: "POST", headers: AUTH, body: JSON.stringify({ inputs: [{ name: "x", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }] }) }),
    await fetch(`${app.url}/v2/models/adder/infer`, { method: "POST", headers: AUTH, body: "{nope" }),
    await get("/v2/models/nope"),
    await get("/no/such/route"),
    await get("/v2", {}),
    await fetch(`${app.url}/v2/models/adder/infer`, { method: "POST", headers: AUTH, body: Buffer.alloc(9 * 1024 * 1024, 32) }),
  ];
  assert.deepEqual(answers.map((r) => r.status), [200, 200, 200, 200, 200, 200, 200, 200, 200, 400, 404, 404, 401, 413]);
  for (const r of answers) assert.equal(r.headers.get("content-type"), "application/json", r.url);
});

test("GET /v2 advertises the extensions", async () => {
  const { body } = await request(`${app.url}/v2`, { headers: AUTH });
  assert.deepEqual(body.extensions, ["binary_tensor_data", "classification", "model_configuration", "model_repository", "statistics"]);
});

test("statistics: counts and durations move with requests, in Triton's shape", async () => {
  const stats = async () => (await request(`${app.url}/v2/models/adder/versions/1/stats`, { headers: AUTH })).body.model_stats[0];
  const before = await stats();
  assert.deepEqual(Object.keys(before.inference_stats).sort(), ["cache_hit", "cache_miss", "compute_infer", "compute_input", "compute_output", "fail", "queue", "success"]);
  for (let i = 0; i < 3; i++) {
    const r = await infer(app, "adder", { inputs: [{ name: "x", shape: [2, 3], datatype: "FP32", data: [[i, 0, 0], [0, 0, 0]] }] }, AUTH, "1");
    assert.equal(r.status, 200);
  }
  assert.equal((await infer(app, "adder", { inputs: [{ name: "x", shape: [1, 2], datatype: "FP32", data: [[1, 2]] }] }, AUTH, "1")).status, 400);
  const after = await stats();
  assert.equal(after.name, "adder");
  assert.equal(after.version, "1");
  assert.equal(after.inference_count - before.inference_count, 6, "two rows per request");
  assert.equal(after.inference_stats.success.count - before.inference_stats.success.count, 3);
  assert.equal(after.inference_stats.fail.count - before.inference_stats.fail.count, 1);
  assert.equal(after.inference_stats.queue.count - before.inference_stats.queue.count, 3);
  assert.ok(after.execution_count - before.execution_count >= 1 && after.execution_count - before.execution_count <= 3);
  assert.ok(after.inference_stats.compute_infer.ns > before.inference_stats.compute_infer.ns);
  assert.ok(after.last_inference >= before.last_inference && after.last_inference > 0);
  assert.ok(after.batch_stats.some((b: { batch_size: number }) => b.batch_size === 2));
  const all = (await request(`${app.url}/v2/models/stats`, { headers: AUTH })).body.model_stats;
  assert.deepEqual(all.map((m: { name: string; version: string }) => `${m.name}/${m.version}`), ["adder/1", "adder/2", "lower/1", "types/1"]);
  assert.equal((await request(`${app.url}/v2/models/nope/stats`, { headers: AUTH })).status, 404);
});

test("classification: the top k per row as '<score>:<index>:<label>', hand-computed", async () => {
  // Version 2 adds [10, 20, 35]: row 0 scores [10, 20, 35], row 1 scores [40, 20, 35].
  const r = await infer(app, "adder", { inputs: [{ name: "x", shape: [2, 3], datatype: "FP32", data: [[0, 0, 0], [30, 0, 0]] }], outputs: [{ name: "y", parameters: { classification: 2 } }] }, AUTH);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.outputs, [{ name: "y", datatype: "BYTES", shape: [2, 2], data: ["35.000000:2:bird", "20.000000:1:dog", "40.000000:0:cat", "35.000000:2:bird"] }]);
  const plain = await infer(app, "adder", { inputs: [{ name: "x", shape: [1, 3], datatype: "FP32", data: [[0, 0, 0]] }], outputs: [{ name: "y" }] }, AUTH);
  assert.deepEqual(plain.body.outputs[0].data, [10, 20, 35], "the same request without classification is not answered from the classified one");
  const bad = await infer(app, "lower", { inputs: [{ name: "text", shape: [1], datatype: "BYTES", data: ["A"] }], outputs: [{ name: "lowered", parameters: { classification: 1 } }] }, AUTH);
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /output "lowered" is BYTES; classification needs a numeric output/);
});

test("model configuration: the effective settings in Triton's shape; repository index with states", async () => {
  const { body } = await request(`${app.url}/v2/models/adder/config`, { headers: AUTH });
  assert.deepEqual(body, {
    name: "adder",
    platform: "onnxruntime_onnx",
    backend: "onnxruntime",
    max_batch_size: 32,
    input: [{ name: "x", data_type: "TYPE_FP32", dims: [3] }],
    output: [{ name: "y", data_type: "TYPE_FP32", dims: [3], label_filename: "labels.txt" }],
    dynamic_batching: { preferred_batch_size: [], max_queue_delay_microseconds: 5000 },
    response_cache: { enable: false },
  });
  const index = await request(`${app.url}/v2/repository/index`, { method: "POST", json: {}, headers: AUTH });
  assert.deepEqual(index.body, [
    { name: "adder", version: "1", state: "READY", reason: "" },
    { name: "adder", version: "2", state: "READY", reason: "" },
    { name: "lower", version: "1", state: "READY", reason: "" },
    { name: "types", version: "1", state: "READY", reason: "" },
  ]);
  const bad = await request(`${app.url}/v2/repository/index`, { method: "POST", json: { ready: "yes" }, headers: AUTH });
  assert.equal(bad.status, 400);
  assert.match(bad.body.error, /"ready" must be true or false/);
});
