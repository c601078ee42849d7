// The binary tensor data extension over HTTP, as Triton's and KServe's clients speak it:
// a JSON header, Inference-Header-Content-Length, then raw little-endian tensor bytes.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { TYPE_MODEL_TYPES } from "../../support/models.js";
import { infer, metricValue, startTestServer, type TestServer } from "../support.js";

let s: TestServer;
before(async () => {
  s = await startTestServer({ models: ["types", "multi"] }, { CACHE_ENABLED: "true" });
});
after(() => s.stop());

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
};
const strings = (...values: string[]) => Buffer.concat(values.flatMap((v) => [u32(Buffer.byteLength(v)), Buffer.from(v)]));
const i64 = (...values: bigint[]) => Buffer.concat(values.map((v) => {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(v);
  return b;
}));

/** Three elements per datatype, as bytes in the extension's layout (64-bit integers beyond 2^53 included). */
const BYTES_OF: Record<string, Buffer> = {
  BOOL: Buffer.from([1, 0, 1]),
  UINT8: Buffer.from([0, 7, 255]),
  UINT16: Buffer.from(new Uint16Array([0, 300, 65535]).buffer),
  UINT32: Buffer.from(new Uint32Array([0, 70000, 4294967295]).buffer),
  UINT64: Buffer.from(new BigUint64Array([0n, 2n ** 63n, 2n ** 64n - 1n]).buffer),
  INT8: Buffer.from(new Int8Array([-128, 0, 127]).buffer),
  INT16: Buffer.from(new Int16Array([-32768, 5, 32767]).buffer),
  INT32: Buffer.from(new Int32Array([-2147483648, -1, 2147483647]).buffer),
  INT64: i64(-(2n ** 63n), -3n, 2n ** 63n - 1n),
  FP16: Buffer.from(new Uint16Array([0xfbff, 0x3800, 0x6400]).buffer), // -65504, 0.5, 1024
  FP32: Buffer.from(new Float32Array([-1.5, 0, 3.25]).buffer),
  FP64: Buffer.from(new Float64Array([Math.PI, -1e300, 5e-324]).buffer),
  BYTES: strings("", "héllo wörld", "日本語 ✓"),
};

/** POSTs a JSON header plus binary data; returns the status, headers, parsed header and binary section. */
async function binaryInfer(model: string, header: unknown, binary: Buffer, headers: Record<string, string> = {}) {
  const json = Buffer.from(JSON.stringify(header));
  const res = await fetch(`${s.url}/v2/models/${model}/infer`, {
    method: "POST",
    body: Buffer.concat([json, binary]),
    headers: { "content-type": "application/octet-stream", "inference-header-content-length": String(json.length), ...headers },
  });
  const body = Buffer.from(await res.arrayBuffer());
  const length = res.headers.get("inference-header-content-length");
  const split = length === null ? body.length : Number(length);
  return { status: res.status, headers: res.headers, json: JSON.parse(body.subarray(0, split).toString("utf8")), binary: body.subarray(split) };
}

const typesRequest = () => {
  const inputs = Object.entries(TYPE_MODEL_TYPES).map(([t, datatype]) => ({ name: `in_${t}`, shape: [3], datatype, parameters: { binary_data_size: BYTES_OF[datatype]!.length } }));
  return { inputs, parameters: { binary_data_output: true } };
};
const typesBinary = Buffer.concat(Object.values(TYPE_MODEL_TYPES).map((d) => BYTES_OF[d]!));

test("every datatype travels in binary through an Identity model and back byte for byte", async () => {
  const r = await binaryInfer("types", typesRequest(), typesBinary);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.equal(r.headers.get("content-type"), "application/octet-stream");
  assert.deepEqual(r.json.outputs.map((o: any) => [o.name, o.datatype, o.shape, o.parameters.binary_data_size, "data" in o]),
    Object.entries(TYPE_MODEL_TYPES).map(([t, d]) => [`out_${t}`, d, [3], BYTES_OF[d]!.length, false]));
  assert.ok(r.binary.equals(typesBinary), "the outputs' bytes are the inputs' bytes, in the same order");
});

test("binary outputs are what the JSON outputs say, and JSON and binary inputs mix", async () => {
  const inputs = [
    { name: "a", shape: [2, 2], datatype: "FP32", parameters: { binary_data_size: 16 } },
    { name: "b", shape: [2, 2], datatype: "FP32", data: [10, 0, 0, 10] },
  ];
  const a = Buffer.from(new Float32Array([1, 2, 3, 4]).buffer);
  const r = await binaryInfer("multi", { inputs, outputs: [{ name: "argmax", parameters: { binary_data: true } }, { name: "sum" }] }, a);
  assert.equal(r.status, 200, JSON.stringify(r.json));
  assert.deepEqual(r.json.outputs, [
    { name: "argmax", datatype: "INT64", shape: [2], parameters: { binary_data_size: 16 } },
    { name: "sum", datatype: "FP32", shape: [2, 2], data: [11, 2, 3, 14] },
  ]);
  assert.deepEqual([...new BigInt64Array(new Uint8Array(r.binary).buffer)], [0n, 1n]);
  const plain = await infer(s, "multi", { inputs: [{ ...inputs[0], parameters: undefined, data: [1, 2, 3, 4] }, inputs[1]], outputs: [{ name: "argmax" }] });
  assert.deepEqual(plain.body.outputs[0].data, [0, 1], "the same answer in JSON");
});

test("a gzip-compressed binary request is inflated first (Content-Encoding)", async () => {
  const header = Buffer.from(JSON.stringify(typesRequest()));
  const res = await fetch(`${s.url}/v2/models/types/infer`, {
    method: "POST",
    body: gzipSync(Buffer.concat([header, typesBinary])),
    headers: { "content-encoding": "gzip", "inference-header-content-length": String(header.length) },
  });
  assert.equal(res.status, 200);
  const body = Buffer.from(await res.arrayBuffer());
  assert.ok(body.subarray(Number(res.headers.get("inference-header-content-length"))).equals(typesBinary));
});

test("binary and JSON answers to the same inputs are cached apart, and a cached binary answer is identical", async () => {
  const hits = () => metricValue(s.url, 'inference_cache_hits_total{backend="memory"}');
  const inputs = [
    { name: "a", shape: [1, 2], datatype: "FP32", data: [5, 1] },
    { name: "b", shape: [1, 2], datatype: "FP32", data: [0, 7] },
  ];
  const binary = { inputs, outputs: [{ name: "product", parameters: { binary_data: true } }] };
  const first = await binaryInfer("multi", binary, Buffer.alloc(0));
  const before = await hits();
  const second = await binaryInfer("multi", binary, Buffer.alloc(0));
  assert.equal(await hits(), before + 1, "the second binary request is a hit");
  assert.deepEqual(second.json, first.json);
  assert.ok(second.binary.equals(first.binary));
  assert.deepEqual([...new Float32Array(new Uint8Array(second.binary).buffer)], [0, 7]);
  const json = await infer(s, "multi", { inputs, outputs: [{ name: "product" }] });
  assert.equal(json.headers.get("inference-header-content-length"), null);
  assert.deepEqual(json.body.outputs, [{ name: "product", datatype: "FP32", shape: [1, 2], data: [0, 7] }]);
});

test("malformed binary requests get a 400 naming the problem and the server keeps serving", async () => {
  const a = { name: "a", shape: [1, 2], datatype: "FP32", parameters: { binary_data_size: 8 } };
  const b = { name: "b", shape: [1, 2], datatype: "FP32", data: [0, 0] };
  const cases: [string, () => Promise<{ status: number; json: any }>, RegExp][] = [
    ["size past the body", () => binaryInfer("multi", { inputs: [a, b] }, Buffer.alloc(4)), /^input "a" claims 8 bytes of binary data but 4 remain after the JSON header$/],
    ["bytes no input claims", () => binaryInfer("multi", { inputs: [a, b] }, Buffer.alloc(12)), /^4 bytes after the JSON header belong to no input/],
    ["header length past the body", () => binaryInfer("multi", { inputs: [b] }, Buffer.alloc(0), { "inference-header-content-length": "9999" }), /^Inference-Header-Content-Length must be an integer 0-\d+/],
    ["NaN in binary FP32", () => binaryInfer("multi", { inputs: [a, b] }, Buffer.from(new Float32Array([1, Number.NaN]).buffer)), /^input "a" binary element 1 is not a valid FP32 value \(finite\)$/],
  ];
  for (const [what, send, error] of cases) {
    const r = await send();
    assert.equal(r.status, 400, what);
    assert.match(r.json.error, error, what);
  }
  const ok = await binaryInfer("types", typesRequest(), typesBinary);
  assert.equal(ok.status, 200);
});
