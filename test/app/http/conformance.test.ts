// Walks every Open Inference Protocol (KServe V2 REST) endpoint of a running server.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { METRICS } from "../../../app/src/observability/metric-names.js";
import { adderBias } from "../../support/models.js";
import { infer, request, startTestServer, type TestServer } from "../support.js";

let s: TestServer;
before(async () => {
  s = await startTestServer({ models: ["adder", "multi", "fixed"] });
});
after(() => s.stop());

test("GET /v2/health/live answers 200 while the process runs", async () => {
  const r = await request(`${s.url}/v2/health/live`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { live: true });
});

test("GET /v2/health/ready answers 200 once every model is loaded and warmed", async () => {
  const r = await request(`${s.url}/v2/health/ready`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { ready: true });
});

test("GET /v2 gives server metadata", async () => {
  const r = await request(`${s.url}/v2`);
  assert.equal(r.status, 200);
  assert.equal(r.body.name, "inference-platform");
  assert.match(r.body.version, /^\d+\.\d+\.\d+/);
  assert.deepEqual(r.body.extensions, ["binary_tensor_data", "classification", "model_configuration", "model_repository", "statistics"]);
});

test("GET /v2/models/{name} gives the latest version's metadata with V2 datatypes and -1 for dynamic dims", async () => {
  const r = await request(`${s.url}/v2/models/multi`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, {
    name: "multi",
    versions: ["1"],
    platform: "onnxruntime_onnx",
    inputs: [
      { name: "a", datatype: "FP32", shape: [-1, 2] },
      { name: "b", datatype: "FP32", shape: [-1, 2] },
    ],
    outputs: [
      { name: "sum", datatype: "FP32", shape: [-1, 2] },
      { name: "product", datatype: "FP32", shape: [-1, 2] },
      { name: "argmax", datatype: "INT64", shape: [-1] },
    ],
  });
  const fixed = await request(`${s.url}/v2/models/fixed`);
  assert.deepEqual(fixed.body.inputs, [{ name: "x", datatype: "FP32", shape: [2, 2] }]);
});

test("GET /v2/models/{name}/versions/{v} gives that version; every version is listed", async () => {
  const r = await request(`${s.url}/v2/models/adder/versions/1`);
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.versions, ["1", "2"]);
  assert.deepEqual(r.body.inputs, [{ name: "x", datatype: "FP32", shape: [-1, 3] }]);
});

test("GET .../ready per model and per version", async () => {
  for (const path of ["/v2/models/adder/ready", "/v2/models/adder/versions/1/ready", "/v2/models/adder/versions/2/ready"]) {
    const r = await request(s.url + path);
    assert.equal(r.status, 200, path);
    assert.equal(r.body.ready, true, path);
  }
  assert.equal((await request(`${s.url}/v2/models/adder/ready`)).body.version, "2");
});

test("unknown models and versions are 404 with a V2 error naming what exists", async () => {
  const model = await request(`${s.url}/v2/models/nope`);
  assert.equal(model.status, 404);
  assert.equal(model.body.error, 'unknown model "nope"; models: adder, fixed, multi');
  const version = await request(`${s.url}/v2/models/adder/versions/7/ready`);
  assert.equal(version.status, 404);
  assert.equal(version.body.error, 'unknown version "7" of model "adder"; versions: 1, 2');
  const inferUnknown = await infer(s, "nope", { inputs: [{ name: "x", shape: [1], datatype: "FP32", data: [1] }] });
  assert.equal(inferUnknown.status, 404);
  const route = await request(`${s.url}/v3/whatever`);
  assert.equal(route.status, 404);
  assert.equal(route.body.error, "no route for GET /v3/whatever");
});

test("POST .../infer runs the latest version; .../versions/{v}/infer runs that version; id is echoed", async () => {
  const body = { id: "req-42", inputs: [{ name: "x", shape: [1, 3], datatype: "FP32", data: [0, 0, 0] }] };
  const latest = await infer(s, "adder", body);
  assert.equal(latest.status, 200);
  assert.deepEqual(latest.body, {
    model_name: "adder",
    model_version: "2",
    id: "req-42",
    outputs: [{ name: "y", datatype: "FP32", shape: [1, 3], data: adderBias(2) }],
  });
  const v1 = await infer(s, "adder", body, {}, "1");
  assert.equal(v1.body.model_version, "1");
  assert.deepEqual(v1.body.outputs[0].data, adderBias(1));
  const noId = await infer(s, "adder", { inputs: body.inputs });
  assert.equal("id" in noId.body, false);
});

test("outputs selection returns only the named outputs, in the requested order; unknown per-output parameters are ignored", async () => {
  const r = await infer(s, "multi", {
    parameters: { anything: "ignored" },
    inputs: [
      { name: "a", shape: [2, 2], datatype: "FP32", data: [[1, 2], [3, 4]] },
      { name: "b", shape: [2, 2], datatype: "FP32", data: [[10, 0], [0, 10]] },
    ],
    outputs: [{ name: "argmax", parameters: { binary_data: false } }, { name: "sum", parameters: { classification: 0 } }],
  });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.outputs, [
    { name: "argmax", datatype: "INT64", shape: [2], data: [0, 1] },
    { name: "sum", datatype: "FP32", shape: [2, 2], data: [11, 2, 3, 14] },
  ]);
});

test("a fixed-shape (unbatchable) model serves requests of its exact shape", async () => {
  const r = await infer(s, "fixed", { inputs: [{ name: "x", shape: [2, 2], datatype: "FP32", data: [1, -2, 3, -4] }] });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.outputs[0].data, [-1, 2, -3, 4]);
});

test("x-request-id is echoed, or generated when absent", async () => {
  const given = await fetch(`${s.url}/v2/health/live`, { headers: { "x-request-id": "trace-123" } });
  assert.equal(given.headers.get("x-request-id"), "trace-123");
  const generated = await fetch(`${s.url}/v2/models/adder`);
  assert.match(generated.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
  const junk = await fetch(`${s.url}/v2`, { headers: { "x-request-id": "has spaces and ${x}" } });
  assert.match(junk.headers.get("x-request-id") ?? "", /^[0-9a-f-]{36}$/);
});

test("GET /metrics exposes the app's series in Prometheus text, with request and model-ready samples", async () => {
  await infer(s, "adder", { inputs: [{ name: "x", shape: [1, 3], datatype: "FP32", data: [1, 1, 1] }] });
  const res = await fetch(`${s.url}/metrics`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
  const text = await res.text();
  for (const name of Object.values(METRICS)) {
    if (name.startsWith("inference_cache")) continue; // cache series appear once a cache backend counts
    assert.match(text, new RegExp(`^# TYPE ${name} `, "m"), name);
  }
  assert.match(text, /^inference_request_duration_seconds_count\{model="adder",status="200",protocol="http"\} [1-9]/m);
  assert.match(text, /^inference_request_duration_seconds_count\{model="unknown",status="404",protocol="http"\} [1-9]/m);
  assert.match(text, /^inference_model_ready\{model="adder",version="2"\} 1$/m);
  assert.match(text, /^inference_batch_size_count\{model="adder"\} [1-9]/m);
  assert.match(text, /^inference_requests_in_flight 0$/m);
});
