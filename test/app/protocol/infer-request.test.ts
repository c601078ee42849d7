import { test } from "node:test";
import assert from "node:assert/strict";
import { HttpError } from "../../../app/src/protocol/errors.js";
import { float16Bits, float16Value, type Tensor, type TensorSpec } from "../../../app/src/protocol/tensor.js";
import { parseInferRequest, selectOutputs, toTensors } from "../../../app/src/protocol/infer-request.js";
import { jsonOutput, parseJson } from "../../../app/src/protocol/json.js";

const X: TensorSpec = { name: "x", datatype: "FP32", shape: [-1, 3] };
const IDS: TensorSpec = { name: "ids", datatype: "INT64", shape: [-1] };

const rejects400 = (fn: () => unknown, message: RegExp) =>
  assert.throws(fn, (err: unknown) => err instanceof HttpError && err.status === 400 && message.test(err.message));

test("a well-formed request parses; unknown top-level fields are ignored", () => {
  const r = parseInferRequest({ id: "r1", parameters: { cache: false }, inputs: [{ name: "x", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }], extra: 1 });
  assert.equal(r.id, "r1");
  assert.equal(r.parameters?.cache, false);
  assert.equal(r.inputs.length, 1);
});

test("structural problems name the field", () => {
  rejects400(() => parseInferRequest(undefined), /must be a JSON object with an "inputs" array/);
  rejects400(() => parseInferRequest([1, 2]), /must be a JSON object/);
  rejects400(() => parseInferRequest({}), /inputs: /);
  rejects400(() => parseInferRequest({ inputs: [] }), /inputs: /);
  rejects400(() => parseInferRequest({ inputs: [{ name: "x", datatype: "FP32", data: [] }] }), /inputs\.0\.shape: /);
  rejects400(() => parseInferRequest({ id: 5, inputs: [{ name: "x", shape: [], datatype: "FP32", data: [] }] }), /id: /);
});

test("nested and flat data give the same tensor", () => {
  const flat = toTensors([{ name: "x", shape: [2, 3], datatype: "FP32", data: [1, 2, 3, 4, 5, 6] }], [X], 100);
  const nested = toTensors([{ name: "x", shape: [2, 3], datatype: "FP32", data: [[1, 2, 3], [4, 5, 6]] }], [X], 100);
  assert.deepEqual(flat, nested);
  assert.deepEqual(flat[0], { name: "x", datatype: "FP32", shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) });
});

test("tensors come back in the model's input order", () => {
  const t = toTensors(
    [
      { name: "ids", shape: [1], datatype: "INT64", data: [7] },
      { name: "x", shape: [1, 3], datatype: "FP32", data: [0, 0, 0] },
    ],
    [X, IDS],
    100,
  );
  assert.deepEqual(t.map((x) => x.name), ["x", "ids"]);
  assert.deepEqual(t[1]!.data, BigInt64Array.from([7n]));
});

const BAD_INPUTS: [string, unknown, RegExp][] = [
  ["unknown input", { name: "z", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }, /unknown input "z"; the model's inputs are "x"/],
  ["wrong datatype", { name: "x", shape: [1, 3], datatype: "FP64", data: [1, 2, 3] }, /input "x" has datatype "FP64" but the model expects FP32/],
  ["wrong rank", { name: "x", shape: [3], datatype: "FP32", data: [1, 2, 3] }, /input "x" has shape \[3\] but the model expects \[-1,3\]/],
  ["wrong fixed dim", { name: "x", shape: [1, 4], datatype: "FP32", data: [1, 2, 3, 4] }, /has shape \[1,4\] but the model expects \[-1,3\]/],
  ["negative dim", { name: "x", shape: [-1, 3], datatype: "FP32", data: [] }, /invalid dimension -1/],
  ["fractional dim", { name: "x", shape: [1.5, 3], datatype: "FP32", data: [] }, /invalid dimension 1.5/],
  ["too many elements", { name: "x", shape: [1e9, 3], datatype: "FP32", data: [] }, /3000000000 elements, more than the limit of 1000/],
  ["data too short", { name: "x", shape: [2, 3], datatype: "FP32", data: [1, 2, 3] }, /input "x" has 3 data elements but shape \[2,3\] needs 6/],
  ["non-numeric value", { name: "x", shape: [1, 3], datatype: "FP32", data: [1, "two", 3] }, /input "x" element 1 must be a finite number for FP32, got "two"/],
  ["NaN as a string", { name: "x", shape: [1, 3], datatype: "FP32", data: [1, 2, "NaN"] }, /element 2 must be a finite number for FP32, got "NaN"/],
  ["null value", { name: "x", shape: [1, 3], datatype: "FP32", data: [1, null, 3] }, /element 1 must be a finite number for FP32, got null/],
  ["object value", { name: "x", shape: [1, 3], datatype: "FP32", data: [1, { v: 2 }, 3] }, /element 1 must be a finite number/],
];

for (const [what, input, message] of BAD_INPUTS) {
  test(`bad input: ${what}`, () => {
    rejects400(() => toTensors([input as never], [X], 1000), message);
  });
}

test("missing and duplicated inputs are named", () => {
  rejects400(() => toTensors([{ name: "x", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] }], [X, IDS], 100), /missing input "ids"/);
  const x = { name: "x", shape: [1, 3], datatype: "FP32", data: [1, 2, 3] };
  rejects400(() => toTensors([x, x], [X], 100), /input "x" is given more than once/);
});

test("integer datatypes enforce their ranges; 64-bit values stay within exact doubles", () => {
  const spec = (datatype: TensorSpec["datatype"]): TensorSpec[] => [{ name: "v", datatype, shape: [-1] }];
  const one = (datatype: string, value: unknown) => [{ name: "v", shape: [1], datatype, data: [value] }];
  assert.deepEqual(toTensors(one("INT8", -128), spec("INT8"), 10)[0]!.data, Int8Array.from([-128]));
  rejects400(() => toTensors(one("INT8", 128), spec("INT8"), 10), /element 0 must be an integer -128\.\.127 for INT8, got 128/);
  rejects400(() => toTensors(one("UINT8", -1), spec("UINT8"), 10), /an integer 0\.\.255 for UINT8/);
  rejects400(() => toTensors(one("INT32", 1.5), spec("INT32"), 10), /an integer .* for INT32, got 1.5/);
  rejects400(() => toTensors(one("UINT64", 2 ** 60), spec("UINT64"), 10), /for UINT64/);
  assert.deepEqual(toTensors(one("UINT32", 4294967295), spec("UINT32"), 10)[0]!.data, Uint32Array.from([4294967295]));
  assert.deepEqual(toTensors(one("BOOL", true), spec("BOOL"), 10)[0]!.data, Uint8Array.from([1]));
  assert.deepEqual(toTensors(one("BOOL", 0), spec("BOOL"), 10)[0]!.data, Uint8Array.from([0]));
  rejects400(() => toTensors(one("BOOL", "yes"), spec("BOOL"), 10), /must be true, false, 1 or 0 for BOOL/);
  rejects400(() => toTensors(one("BYTES", 5), spec("BYTES"), 10), /must be a string for BYTES, got 5/);
  rejects400(() => toTensors(one("FP16", 1e6), spec("FP16"), 10), /within ±65504 for FP16/);
});

test("half precision: exact values round-trip, others round to the nearest half", () => {
  for (const v of [0, 1, -2, 0.5, 65504, -65504, 2 ** -24, 0.333251953125]) assert.equal(float16Value(float16Bits(v)), v);
  assert.equal(float16Bits(1), 0x3c00);
  assert.equal(float16Bits(-2), 0xc000);
  assert.equal(float16Value(float16Bits(0.1)), 0.0999755859375);
  assert.equal(float16Value(float16Bits(1 + 2 ** -11)), 1); // tie rounds to even
  assert.equal(float16Value(float16Bits(1e-9)), 0);
});

test("output selection: default all in model order, else the requested ones; unknown or repeated names are errors", () => {
  const outs: TensorSpec[] = [
    { name: "a", datatype: "FP32", shape: [-1] },
    { name: "b", datatype: "INT64", shape: [-1] },
  ];
  assert.deepEqual(selectOutputs(undefined, outs), ["a", "b"]);
  assert.deepEqual(selectOutputs([{ name: "b", parameters: { binary_data: true } }], outs), ["b"]);
  rejects400(() => selectOutputs([{ name: "c" }], outs), /unknown output "c"; the model's outputs are "a", "b"/);
  rejects400(() => selectOutputs([{ name: "a" }, { name: "a" }], outs), /output "a" is requested more than once/);
});

test("outputs serialise to V2 JSON: booleans, halves and exact 64-bit integers as JSON values", () => {
  const tensors: Tensor[] = [
    { name: "b", datatype: "BOOL", shape: [2], data: Uint8Array.from([1, 0]) },
    { name: "h", datatype: "FP16", shape: [1], data: Uint16Array.from([0x3c00]) },
    { name: "i", datatype: "INT64", shape: [2], data: BigInt64Array.from([-5n, 2n ** 62n + 1n]) },
    { name: "s", datatype: "BYTES", shape: [1], data: ["ok"] },
  ];
  const json = tensors.map(jsonOutput);
  assert.deepEqual(JSON.parse(json[0]!), { name: "b", datatype: "BOOL", shape: [2], data: [true, false] });
  assert.deepEqual(JSON.parse(json[1]!), { name: "h", datatype: "FP16", shape: [1], data: [1] });
  // Digit for digit: a double would print 4611686018427387904.
  assert.equal(json[2], '{"name":"i","datatype":"INT64","shape":[2],"data":[-5,4611686018427387905]}');
  assert.deepEqual(parseJson(json[2]!), { name: "i", datatype: "INT64", shape: [2], data: [-5, 2n ** 62n + 1n] });
  assert.deepEqual(JSON.parse(json[3]!), { name: "s", datatype: "BYTES", shape: [1], data: ["ok"] });
});

test("parseJson keeps integer literals beyond ±2^53 exact and leaves everything else as JSON.parse reads it", () => {
  assert.deepEqual(parseJson('{"a":[9223372036854775807,-9223372036854775808,1.5,"12345678901234567890"]}'), {
    a: [2n ** 63n - 1n, -(2n ** 63n), 1.5, "12345678901234567890"],
  });
  // 16 digits that a double holds exactly stay numbers; so does a long literal with a fraction or exponent.
  assert.deepEqual(parseJson("[1234567890123456, 12345678901234567.5, 1e30]"), [1234567890123456, 12345678901234568, 1e30]);
});
