// The binary tensor data extension's pure parts: splitting a body, decoding each datatype's
// bytes, encoding outputs. Byte layouts are written out here, independently of the code.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeBinaryTensor, encodeBinaryTensor, encodeOutputs, packOutputs, responseBody, splitInferBody } from "../../../app/src/protocol/binary.js";
import { HttpError } from "../../../app/src/protocol/errors.js";
import { binaryOutputs, parseInferRequest, toTensors } from "../../../app/src/protocol/infer-request.js";
import { type TensorSpec } from "../../../app/src/protocol/tensor.js";

const badRequest = (pattern: RegExp) => (err: unknown) => err instanceof HttpError && err.status === 400 && pattern.test(err.message);
const le32 = (...values: number[]) => Buffer.from(new Float32Array(values).buffer);
const bytesElement = (text: string) => {
  const body = Buffer.from(text, "utf8");
  const length = Buffer.alloc(4);
  length.writeUInt32LE(body.length);
  return Buffer.concat([length, body]);
};

test("a body splits at Inference-Header-Content-Length into its JSON header and binary section", () => {
  const header = Buffer.from('{"inputs":[]}');
  const { json, binary } = splitInferBody(Buffer.concat([header, Buffer.from([1, 2, 3])]), String(header.length));
  assert.deepEqual(json, { inputs: [] });
  assert.deepEqual([...binary], [1, 2, 3]);
  assert.deepEqual(splitInferBody(header, undefined), { json: { inputs: [] }, binary: Buffer.alloc(0) });
  assert.equal(splitInferBody(Buffer.alloc(0), undefined).json, undefined, "an empty body is no body, not bad JSON");
});

test("a header length that is not a whole number within the body, or a header that is not JSON, is a 400", () => {
  const body = Buffer.from('{"inputs":[]}');
  assert.throws(() => splitInferBody(body, "99"), badRequest(/^Inference-Header-Content-Length must be an integer 0-13 \(the body's length\), got "99"$/));
  assert.throws(() => splitInferBody(body, "-1"), badRequest(/Inference-Header-Content-Length must be an integer/));
  assert.throws(() => splitInferBody(body, "5"), badRequest(/^request body is not valid JSON: /));
});

test("numeric datatypes decode from little-endian bytes of their native size", () => {
  assert.deepEqual([...(decodeBinaryTensor("x", "FP32", le32(1.5, -2)) as Float32Array)], [1.5, -2]);
  assert.deepEqual([...(decodeBinaryTensor("x", "INT16", Buffer.from([0x01, 0x00, 0xff, 0xff])) as Int16Array)], [1, -1]);
  assert.deepEqual([...(decodeBinaryTensor("x", "UINT32", Buffer.from([0x00, 0x01, 0x00, 0x00])) as Uint32Array)], [256]);
  // 64-bit integers keep their full range in binary (JSON numbers stop at 2^53).
  const big = Buffer.alloc(8);
  big.writeBigInt64LE(-(2n ** 62n));
  assert.deepEqual([...(decodeBinaryTensor("x", "INT64", big) as BigInt64Array)], [-(2n ** 62n)]);
  assert.deepEqual([...(decodeBinaryTensor("x", "FP16", Buffer.from([0x00, 0x3c])) as Uint16Array)], [0x3c00], "half-precision 1.0");
  assert.deepEqual([...(decodeBinaryTensor("x", "BOOL", Buffer.from([1, 0])) as Uint8Array)], [1, 0]);
});

test("a binary tensor at an odd offset of the body decodes correctly (copied, not viewed unaligned)", () => {
  const body = Buffer.concat([Buffer.from([9]), le32(3.25)]);
  assert.deepEqual([...(decodeBinaryTensor("x", "FP32", body.subarray(1)) as Float32Array)], [3.25]);
});

test("BYTES elements are a 4-byte little-endian length and UTF-8 text each", () => {
  assert.deepEqual(decodeBinaryTensor("t", "BYTES", Buffer.concat([bytesElement("Hello"), bytesElement(""), bytesElement("été")])), ["Hello", "", "été"]);
  assert.throws(() => decodeBinaryTensor("t", "BYTES", Buffer.from([5, 0, 0, 0, 0x41])), badRequest(/^input "t" BYTES element 0 claims 5 bytes but only 1 remain$/));
  assert.throws(() => decodeBinaryTensor("t", "BYTES", Buffer.from([1, 0])), badRequest(/BYTES element 0 is cut off inside its 4-byte length prefix/));
  assert.throws(() => decodeBinaryTensor("t", "BYTES", Buffer.from([1, 0, 0, 0, 0xff])), badRequest(/BYTES element 0 is not UTF-8 text/));
});

test("bytes that are not whole elements, non-finite floats and BOOL other than 0/1 are refused like their JSON twins", () => {
  assert.throws(() => decodeBinaryTensor("x", "FP32", Buffer.alloc(6)), badRequest(/^input "x" has 6 bytes of binary data, not a whole number of 4-byte FP32 elements$/));
  assert.throws(() => decodeBinaryTensor("x", "FP32", le32(1, Number.NaN)), badRequest(/^input "x" binary element 1 is not a valid FP32 value \(finite\)$/));
  assert.throws(() => decodeBinaryTensor("x", "FP16", Buffer.from([0x00, 0x7c])), badRequest(/binary element 0 is not a valid FP16 value/));
  assert.throws(() => decodeBinaryTensor("x", "BOOL", Buffer.from([0, 2])), badRequest(/binary element 1 is not a valid BOOL value \(0 or 1\)/));
});

test("encoding writes the same layout back, BYTES with length prefixes", () => {
  assert.deepEqual(encodeBinaryTensor({ name: "y", datatype: "FP32", shape: [2], data: new Float32Array([1.5, -2]) }), le32(1.5, -2));
  assert.deepEqual(encodeBinaryTensor({ name: "s", datatype: "BYTES", shape: [2], data: ["ab", "é"] }), Buffer.concat([bytesElement("ab"), bytesElement("é")]));
});

test("encoded outputs carry binary_data_size instead of data for binary ones, their bytes in output order", () => {
  const tensors = [
    { name: "a", datatype: "FP32" as const, shape: [1], data: new Float32Array([2]) },
    { name: "b", datatype: "INT32" as const, shape: [1], data: new Int32Array([7]) },
    { name: "c", datatype: "FP32" as const, shape: [1], data: new Float32Array([-1]) },
  ];
  const { json, binary } = encodeOutputs(tensors, new Set(["a", "c"]));
  assert.deepEqual(JSON.parse(json), [
    { name: "a", datatype: "FP32", shape: [1], parameters: { binary_data_size: 4 } },
    { name: "b", datatype: "INT32", shape: [1], data: [7] },
    { name: "c", datatype: "FP32", shape: [1], parameters: { binary_data_size: 4 } },
  ]);
  assert.deepEqual(binary, le32(2, -1));
});

test("packed outputs make the response: JSON alone, or a JSON header whose length is given and the bytes after it", () => {
  const tensors = [{ name: "y", datatype: "FP32" as const, shape: [1], data: new Float32Array([0.5]) }];
  const head = { model_name: "m", model_version: "1", id: "r" };
  const asJson = responseBody(head, packOutputs(tensors, new Set()), false);
  assert.equal(asJson.headerLength, undefined);
  assert.deepEqual(JSON.parse(asJson.body.toString()), { ...head, outputs: [{ name: "y", datatype: "FP32", shape: [1], data: [0.5] }] });
  const asBinary = responseBody(head, packOutputs(tensors, new Set(["y"])), true);
  const split = asBinary.headerLength!;
  assert.deepEqual(JSON.parse(asBinary.body.subarray(0, split).toString()), { ...head, outputs: [{ name: "y", datatype: "FP32", shape: [1], parameters: { binary_data_size: 4 } }] });
  assert.deepEqual(asBinary.body.subarray(split), le32(0.5));
});

const SPECS: TensorSpec[] = [
  { name: "a", datatype: "FP32", shape: [-1, 2] },
  { name: "b", datatype: "FP32", shape: [-1, 2] },
];

test("inputs take their binary_data_size bytes in request order, and may mix with JSON inputs", () => {
  const request = parseInferRequest({
    inputs: [
      { name: "b", shape: [1, 2], datatype: "FP32", parameters: { binary_data_size: 8 } },
      { name: "a", shape: [1, 2], datatype: "FP32", data: [5, 6] },
    ],
  });
  const tensors = toTensors(request.inputs, SPECS, 1000, le32(7, 8));
  assert.deepEqual(tensors.map((t) => [t.name, [...(t.data as Float32Array)]]), [["a", [5, 6]], ["b", [7, 8]]]);
});

test("binary sizes that overrun, bytes no input claims, data given twice and wrong counts are 400s naming the input", () => {
  const input = (parameters: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    parseInferRequest({ inputs: [{ name: "a", shape: [1, 2], datatype: "FP32", parameters, ...extra }, { name: "b", shape: [1, 2], datatype: "FP32", data: [0, 0] }] }).inputs;
  assert.throws(() => toTensors(input({ binary_data_size: 16 }), SPECS, 1000, le32(1, 2)), badRequest(/^input "a" claims 16 bytes of binary data but 8 remain after the JSON header$/));
  assert.throws(() => toTensors(input({ binary_data_size: 8 }), SPECS, 1000, le32(1, 2, 3)), badRequest(/^4 bytes after the JSON header belong to no input; give each binary input its binary_data_size$/));
  assert.throws(() => toTensors(input({ binary_data_size: 8 }, { data: [1, 2] }), SPECS, 1000, le32(1, 2)), badRequest(/^input "a" has both "data" and binary_data_size; send its data one way$/));
  assert.throws(() => toTensors(input({ binary_data_size: 4 }), SPECS, 1000, le32(1)), badRequest(/^input "a" has 1 binary elements but shape \[1,2\] needs 2$/));
  assert.throws(() => toTensors(input({}, { data: [1, 2] }), SPECS, 1000, le32(1)), badRequest(/^4 bytes after the JSON header belong to no input/));
  assert.throws(() => parseInferRequest({ inputs: [{ name: "a", shape: [1], datatype: "FP32", parameters: { binary_data_size: "8" } }] }), badRequest(/^invalid inference request: inputs\.0\.parameters\.binary_data_size: binary_data_size must be a whole number of bytes$/));
});

test("outputs are binary when they ask with binary_data, or all of them under binary_data_output unless one says false", () => {
  const req = (body: Record<string, unknown>) => parseInferRequest({ inputs: [{ name: "a", shape: [1], datatype: "FP32", data: [1] }], ...body });
  const all = ["sum", "product", "argmax"];
  assert.deepEqual([...binaryOutputs(req({}), all)], []);
  assert.deepEqual([...binaryOutputs(req({ outputs: [{ name: "sum", parameters: { binary_data: true } }, { name: "argmax" }] }), ["sum", "argmax"])], ["sum"]);
  assert.deepEqual([...binaryOutputs(req({ parameters: { binary_data_output: true } }), all)], all);
  assert.deepEqual([...binaryOutputs(req({ parameters: { binary_data_output: true }, outputs: [{ name: "sum", parameters: { binary_data: false } }, { name: "argmax" }] }), ["sum", "argmax"])], ["argmax"]);
  assert.throws(() => req({ outputs: [{ name: "sum", parameters: { binary_data: "yes" } }] }), badRequest(/outputs\.0\.parameters\.binary_data: binary_data must be true or false/));
});
