// Every V2 datatype onnxruntime supports travels through a real model and back unchanged.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { TYPE_MODEL_TYPES } from "../../support/models.js";
import { infer, request, startTestServer, type TestServer } from "../support.js";

let s: TestServer;
before(async () => {
  s = await startTestServer({ models: ["types", "lower", "int64"] });
});
after(() => s.stop());

/** Sample values per datatype, including each type's extremes (64-bit: the exact-double range). */
const SAMPLES: Record<string, unknown[]> = {
  BOOL: [true, false, true],
  UINT8: [0, 7, 255],
  UINT16: [0, 300, 65535],
  UINT32: [0, 70000, 4294967295],
  UINT64: [0, 2 ** 40, Number.MAX_SAFE_INTEGER],
  INT8: [-128, 0, 127],
  INT16: [-32768, 5, 32767],
  INT32: [-2147483648, -1, 2147483647],
  INT64: [Number.MIN_SAFE_INTEGER, -3, Number.MAX_SAFE_INTEGER],
  FP16: [-65504, 0.5, 1024],
  FP32: [-1.5, 0, 3.25],
  FP64: [Math.PI, -1e300, 5e-324],
  BYTES: ["", "héllo wörld", "日本語 ✓"],
};

test("the types model declares one input per datatype with V2 names", async () => {
  const r = await request(`${s.url}/v2/models/types`);
  assert.deepEqual(
    r.body.inputs.map((i: { datatype: string }) => i.datatype),
    Object.values(TYPE_MODEL_TYPES),
  );
});

test("every datatype round-trips through onnxruntime unchanged", async () => {
  const inputs = Object.entries(TYPE_MODEL_TYPES).map(([t, datatype]) => ({ name: `in_${t}`, datatype, shape: [3], data: SAMPLES[datatype] }));
  const r = await infer(s, "types", { inputs });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  for (const [t, datatype] of Object.entries(TYPE_MODEL_TYPES)) {
    const out = r.body.outputs.find((o: { name: string }) => o.name === `out_${t}`);
    assert.deepEqual(out, { name: `out_${t}`, datatype, shape: [3], data: SAMPLES[datatype] }, datatype);
  }
});

test("BOOL accepts 1 and 0 as well as true and false", async () => {
  const inputs = Object.entries(TYPE_MODEL_TYPES).map(([t, datatype]) => ({
    name: `in_${t}`,
    datatype,
    shape: [3],
    data: datatype === "BOOL" ? [1, 0, 1] : SAMPLES[datatype],
  }));
  const r = await infer(s, "types", { inputs, outputs: [{ name: "out_bool" }] });
  assert.deepEqual(r.body.outputs[0].data, [true, false, true]);
});

test("FP16 values are rounded to the nearest half", async () => {
  const inputs = Object.entries(TYPE_MODEL_TYPES).map(([t, datatype]) => ({
    name: `in_${t}`,
    datatype,
    shape: [3],
    data: datatype === "FP16" ? [0.1, 1 / 3, 2049] : SAMPLES[datatype],
  }));
  const r = await infer(s, "types", { inputs, outputs: [{ name: "out_float16" }] });
  assert.deepEqual(r.body.outputs[0].data, [0.0999755859375, 0.333251953125, 2048]);
});

test("BYTES: strings go through a string model (lower-casing, Unicode kept)", async () => {
  const r = await infer(s, "lower", { inputs: [{ name: "text", datatype: "BYTES", shape: [3], data: ["Hello World", "ABC", ""] }] });
  assert.equal(r.status, 200);
  assert.deepEqual(r.body.outputs, [{ name: "lowered", datatype: "BYTES", shape: [3], data: ["hello world", "abc", ""] }]);
});

test("INT64 arithmetic keeps exact integers", async () => {
  const r = await infer(s, "int64", { inputs: [{ name: "x", datatype: "INT64", shape: [2, 2], data: [[1, -2], [2 ** 40, 0]] }] });
  assert.deepEqual(r.body.outputs[0].data, [2, -4, 2 ** 41, 0]);
});

test("empty tensors (a zero batch dimension) are refused with 400 before any model sees them", async () => {
  // Some kernels accept empty input and some (StringNormalizer) fail on it: one rule for every model.
  for (const [model, input] of [
    ["int64", { name: "x", datatype: "INT64", shape: [0, 2], data: [] }],
    ["lower", { name: "text", datatype: "BYTES", shape: [0], data: [] }],
  ] as const) {
    const r = await infer(s, model, { inputs: [input] });
    assert.equal(r.status, 400, JSON.stringify(r.body));
    assert.match(r.body.error, /invalid dimension 0; dimensions are positive integers/);
  }
});
