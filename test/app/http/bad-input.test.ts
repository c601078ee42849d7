// Everything a client can get wrong answers 4xx with a V2 JSON error naming the
// problem, and the server keeps serving afterwards.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { startTestServer, type TestServer } from "../support.js";

let s: TestServer;
before(async () => {
  s = await startTestServer({ models: ["adder", "lower", "multi"] }, { BODY_LIMIT: "64kb", MAX_TENSOR_ELEMENTS: "1000" });
});
after(() => s.stop());

const x = (over: Record<string, unknown> = {}) => ({ name: "x", shape: [1, 3], datatype: "FP32", data: [1, 2, 3], ...over });
const json = (body: unknown) => JSON.stringify(body);

interface Case {
  what: string;
  body: string | Buffer;
  status: number;
  error: RegExp;
  path?: string;
  headers?: Record<string, string>;
}

const CASES: Case[] = [
  { what: "non-JSON body", body: "hello", status: 400, error: /^request body is not valid JSON: / },
  { what: "truncated JSON", body: '{"inputs": [', status: 400, error: /^request body is not valid JSON: / },
  { what: "JSON that is not an object", body: "42", status: 400, error: /not valid JSON|must be a JSON object/ },
  { what: "JSON array body", body: "[]", status: 400, error: /must be a JSON object with an "inputs" array/ },
  { what: "empty body", body: "", status: 400, error: /must be a JSON object with an "inputs" array|^invalid inference request: inputs: / },
  { what: "no inputs", body: json({ id: "a" }), status: 400, error: /^invalid inference request: inputs: / },
  { what: "inputs not an array", body: json({ inputs: {} }), status: 400, error: /^invalid inference request: inputs: / },
  { what: "shape missing", body: json({ inputs: [{ name: "x", datatype: "FP32", data: [1, 2, 3] }] }), status: 400, error: /inputs\.0\.shape/ },
  { what: "shape of strings", body: json({ inputs: [x({ shape: ["1", "3"] })] }), status: 400, error: /inputs\.0\.shape\.0/ },
  { what: "id not a string", body: json({ id: 7, inputs: [x()] }), status: 400, error: /^invalid inference request: id: / },
  { what: "missing input", body: json({ inputs: [{ name: "a", shape: [1, 2], datatype: "FP32", data: [1, 2] }] }), status: 400, error: /^missing input "b"/, path: "/v2/models/multi/infer" },
  { what: "unknown input", body: json({ inputs: [x(), x({ name: "w" })] }), status: 400, error: /^unknown input "w"; the model's inputs are "x"$/ },
  { what: "wrong datatype", body: json({ inputs: [x({ datatype: "INT32" })] }), status: 400, error: /^input "x" has datatype "INT32" but the model expects FP32$/ },
  { what: "made-up datatype", body: json({ inputs: [x({ datatype: "FP8" })] }), status: 400, error: /datatype "FP8" but the model expects FP32/ },
  { what: "wrong shape", body: json({ inputs: [x({ shape: [3, 1] })] }), status: 400, error: /^input "x" has shape \[3,1\] but the model expects \[-1,3\]/ },
  { what: "wrong rank", body: json({ inputs: [x({ shape: [3] })] }), status: 400, error: /has shape \[3\] but the model expects \[-1,3\]/ },
  { what: "negative dim", body: json({ inputs: [x({ shape: [-1, 3] })] }), status: 400, error: /invalid dimension -1/ },
  { what: "empty batch", body: json({ inputs: [x({ shape: [0, 3], data: [] })] }), status: 400, error: /invalid dimension 0; dimensions are positive integers/ },
  { what: "huge dims", body: json({ inputs: [x({ shape: [1e15, 3] })] }), status: 400, error: /elements, more than the limit of 1000$/ },
  { what: "dims overflowing to Infinity", body: json({ inputs: [x({ shape: [1e308, 1e308] })] }), status: 400, error: /invalid dimension|more than the limit/ },
  { what: "data length mismatch", body: json({ inputs: [x({ shape: [2, 3] })] }), status: 400, error: /^input "x" has 3 data elements but shape \[2,3\] needs 6$/ },
  { what: "data missing", body: json({ inputs: [x({ data: undefined })] }), status: 400, error: /^input "x" has no "data" \(nor binary_data_size for binary data\)$/ },
  { what: "non-numeric values", body: json({ inputs: [x({ data: [1, "b", 3] })] }), status: 400, error: /^input "x" element 1 must be a finite number for FP32, got "b"$/ },
  { what: "NaN string", body: json({ inputs: [x({ data: ["NaN", 2, 3] })] }), status: 400, error: /element 0 must be a finite number for FP32, got "NaN"/ },
  { what: "Infinity string", body: json({ inputs: [x({ data: [1, "Infinity", 3] })] }), status: 400, error: /element 1 must be a finite number/ },
  { what: "bare NaN token", body: '{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":[NaN,1,2]}]}', status: 400, error: /not valid JSON/ },
  { what: "numbers for BYTES", body: json({ inputs: [{ name: "text", shape: [1], datatype: "BYTES", data: [5] }] }), status: 400, error: /element 0 must be a string for BYTES, got 5/, path: "/v2/models/lower/infer" },
  { what: "unknown output", body: json({ inputs: [x()], outputs: [{ name: "z" }] }), status: 400, error: /^unknown output "z"; the model's outputs are "y"$/ },
  { what: "outputs not objects", body: json({ inputs: [x()], outputs: ["y"] }), status: 400, error: /^invalid inference request: outputs\.0/ },
  { what: "oversize body", body: json({ inputs: [x({ data: new Array(20000).fill(1.5) })] }), status: 413, error: /^request body is larger than the limit of 65536 bytes$/ },
  { what: "timeout parameter not an integer", body: json({ parameters: { timeout: 2.5 }, inputs: [x()] }), status: 400, error: /^invalid inference request: parameters\.timeout: timeout is in microseconds: an integer 0-3600000000 \(0 = the server's default\)$/ },
  { what: "timeout parameter negative", body: json({ parameters: { timeout: -1 }, inputs: [x()] }), status: 400, error: /^invalid inference request: parameters\.timeout: timeout is in microseconds/ },
  { what: "timeout parameter as a string", body: json({ parameters: { timeout: "100" }, inputs: [x()] }), status: 400, error: /^invalid inference request: parameters\.timeout: timeout is in microseconds/ },
  { what: "cache parameter not a boolean", body: json({ parameters: { cache: "no" }, inputs: [x()] }), status: 400, error: /^invalid inference request: parameters\.cache: cache must be true or false/ },
  { what: "gzip bomb (small compressed, over the limit inflated)", body: gzipSync(Buffer.alloc(1_000_000, 0x20)), status: 413, error: /^request body is larger than the limit of 65536 bytes$/, headers: { "content-encoding": "gzip" } },
  { what: "unknown content encoding", body: json({ inputs: [x()] }), status: 415, error: /unsupported content encoding "zstd-ish"/, headers: { "content-encoding": "zstd-ish" } },
  { what: "bad timeout header", body: json({ inputs: [x()] }), status: 400, error: /^x-request-timeout-ms must be an integer 1-3600000 \(milliseconds\), got "soon"$/, headers: { "x-request-timeout-ms": "soon" } },
  { what: "deeply nested data", body: `{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP32","data":${"[".repeat(5000)}1${"]".repeat(5000)}}]}`, status: 400, error: /data elements/ },
];

for (const c of CASES) {
  test(`${c.what} -> ${c.status} with a JSON error`, async () => {
    const res = await fetch(s.url + (c.path ?? "/v2/models/adder/infer"), {
      method: "POST",
      headers: { "content-type": "application/json", ...c.headers },
      body: c.body,
    });
    assert.equal(res.status, c.status);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    const body = (await res.json()) as { error: string };
    assert.deepEqual(Object.keys(body), ["error"]);
    assert.match(body.error, c.error);
  });
}

test("a body without a JSON content type is still read as JSON (curl -d sends form encoding)", async () => {
  const res = await fetch(`${s.url}/v2/models/adder/infer`, { method: "POST", body: json({ inputs: [x()] }), headers: { "content-type": "application/x-www-form-urlencoded" } });
  assert.equal(res.status, 200);
});

test("after every bad request the server still serves correct answers", async () => {
  const res = await fetch(`${s.url}/v2/models/adder/infer`, { method: "POST", body: json({ inputs: [x({ data: [0, 0, 0] })] }) });
  assert.equal(res.status, 200);
  const body = (await res.json()) as { outputs: { data: number[] }[] };
  assert.deepEqual(body.outputs[0]!.data, [10, 20, 35]);
  assert.equal((await fetch(`${s.url}/v2/health/ready`)).status, 200);
});
