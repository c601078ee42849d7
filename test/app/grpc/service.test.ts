// The gRPC front door as Triton's and KServe's gRPC clients use it: every RPC, raw and typed
// tensor contents, every datatype through Identity, BYTES through the bundled spam model, the
// REST door's errors as gRPC codes, deadlines, auth, compression, large messages, metrics,
// cache, and the same answers as REST. The client is built here from the served .proto.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { status } from "@grpc/grpc-js";
import { BUNDLED_MODEL_REPOSITORY } from "../../../app/src/config.js";
import { startApp } from "../../../app/src/app.js";
import { adderBias, TYPE_MODEL_TYPES } from "../../support/models.js";
import { infer, metricValue, request, startTestServer, testConfig, type TestServer } from "../support.js";
import { grpcClient, grpcError, type V2Client } from "./client.js";

const GRPC = { GRPC_PORT: "0" };

/** Little-endian bytes of a typed array. */
const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
/** BYTES elements as the raw layout has them: 4-byte little-endian length, then the bytes. */
const bytesElements = (items: string[]) =>
  Buffer.concat(
    items.flatMap((s) => {
      const b = Buffer.from(s, "utf8");
      const n = Buffer.alloc(4);
      n.writeUInt32LE(b.length);
      return [n, b];
    }),
  );

/** Three sample elements per datatype of the types model, as raw bytes, edge values included. */
const RAW: Record<keyof typeof TYPE_MODEL_TYPES, Buffer> = {
  bool: Buffer.from([1, 0, 1]),
  uint8: bytes(Uint8Array.of(0, 255, 7)),
  uint16: bytes(Uint16Array.of(0, 65535, 7)),
  uint32: bytes(Uint32Array.of(0, 2 ** 32 - 1, 7)),
  uint64: bytes(BigUint64Array.of(2n ** 64n - 1n, 0n, 2n ** 53n + 1n)),
  int8: bytes(Int8Array.of(-128, 127, 0)),
  int16: bytes(Int16Array.of(-32768, 32767, 0)),
  int32: bytes(Int32Array.of(-(2 ** 31), 2 ** 31 - 1, 0)),
  int64: bytes(BigInt64Array.of(2n ** 62n + 1n, -(2n ** 63n), 0n)),
  float16: bytes(Uint16Array.of(0x3c00, 0xc000, 0x7bff)),
  float: bytes(Float32Array.of(1.5, -2.25, 3.4e38)),
  double: bytes(Float64Array.of(Math.PI, -0, 1e308)),
  string: bytesElements(["héllo", "", "x"]),
};

const typesRequest = () => {
  const names = Object.keys(TYPE_MODEL_TYPES) as (keyof typeof TYPE_MODEL_TYPES)[];
  return {
    model_name: "types",
    inputs: names.map((t) => ({ name: `in_${t}`, datatype: TYPE_MODEL_TYPES[t], shape: [3] })),
    outputs: names.map((t) => ({ name: `out_${t}` })),
    raw_input_contents: names.map((t) => RAW[t]),
  };
};

const adderRaw = (rows: number[][]) => ({
  model_name: "adder",
  inputs: [{ name: "x", datatype: "FP32", shape: [rows.length, 3] }],
  raw_input_contents: [bytes(Float32Array.from(rows.flat()))],
});

const floats = (b: Buffer) => Array.from(new Float32Array(new Uint8Array(b).buffer));

describe("gRPC front door", () => {
  let server: TestServer;
  let client: V2Client;
  before(async () => {
    server = await startTestServer({}, { ...GRPC, CACHE_ENABLED: "true" });
    client = grpcClient(server.server.grpcAddress!);
  });
  after(async () => {
    client.close();
    await server.stop();
  });

  test("health, server and model metadata", async () => {
    assert.deepEqual(await client.call("ServerLive"), { live: true });
    assert.deepEqual(await client.call("ServerReady"), { ready: true });
    assert.deepEqual(await client.call("ModelReady", { name: "adder", version: "1" }), { ready: true });
    const meta = await client.call("ServerMetadata");
    const rest = await request(`${server.url}/v2`);
    assert.deepEqual(meta, rest.body);
    const model = await client.call("ModelMetadata", { name: "multi" });
    assert.deepEqual(model, {
      name: "multi",
      versions: ["1"],
      platform: "onnxruntime_onnx",
      inputs: [
        { name: "a", datatype: "FP32", shape: ["-1", "2"] },
        { name: "b", datatype: "FP32", shape: ["-1", "2"] },
      ],
      outputs: [
        { name: "sum", datatype: "FP32", shape: ["-1", "2"] },
        { name: "product", datatype: "FP32", shape: ["-1", "2"] },
        { name: "argmax", datatype: "INT64", shape: ["-1"] },
      ],
    });
  });

  test("Triton's extensions over gRPC answer what REST answers: model config, statistics, repository index", async () => {
    const config = (await client.call("ModelConfig", { name: "adder" })).config;
    const restConfig = (await request(`${server.url}/v2/models/adder/config`)).body;
    assert.equal(config.max_batch_size, restConfig.max_batch_size);
    assert.deepEqual(config.input, restConfig.input.map((i: { dims: number[] }) => ({ ...i, dims: i.dims.map(String) })));
    assert.equal(config.dynamic_batching.max_queue_delay_microseconds, String(restConfig.dynamic_batching.max_queue_delay_microseconds));
    assert.deepEqual(config.response_cache, { enable: true });
    const stats = (await client.call("ModelStatistics", { name: "adder", version: "1" })).model_stats;
    assert.deepEqual(stats.map((m: { name: string; version: string }) => [m.name, m.version]), [["adder", "1"]]);
    const index = (await client.call("RepositoryIndex", { ready: true })).models;
    assert.deepEqual(index, (await request(`${server.url}/v2/repository/index`, { method: "POST", json: { ready: true } })).body);
    assert.ok(index.some((m: { name: string; state: string }) => m.name === "types" && m.state === "READY"));
  });

  test("ModelInfer with raw contents: every datatype round-trips byte for byte through Identity, outputs in request order", async () => {
    const request = typesRequest();
    const answer = await client.call("ModelInfer", { ...request, id: "req-7", model_version: "1" });
    assert.equal(answer.model_name, "types");
    assert.equal(answer.model_version, "1");
    assert.equal(answer.id, "req-7");
    assert.deepEqual(
      answer.outputs.map((o: { name: string; datatype: string; shape: string[] }) => [o.name, o.datatype, o.shape]),
      request.outputs.map((o, i) => [o.name, request.inputs[i]!.datatype, ["3"]]),
    );
    request.raw_input_contents.forEach((raw, i) => assert.ok(raw.equals(answer.raw_output_contents[i]), `${request.outputs[i]!.name} differs`));
  });

  test("ModelInfer with typed contents (KServe's client outside binary mode): FP32, exact INT64, BYTES", async () => {
    const sum = await client.call("ModelInfer", { model_name: "adder", inputs: [{ name: "x", datatype: "FP32", shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } }] });
    assert.deepEqual(floats(sum.raw_output_contents[0]), [1, 2, 3].map((v, i) => v + adderBias(2)[i]!));
    const big = 2n ** 61n + 1n;
    const doubled = await client.call("ModelInfer", {
      model_name: "int64",
      inputs: [{ name: "x", datatype: "INT64", shape: [1, 2], contents: { int64_contents: [String(big), String(-(2n ** 62n))] } }],
    });
    assert.deepEqual(Array.from(new BigInt64Array(new Uint8Array(doubled.raw_output_contents[0]).buffer)), [2n * big, -(2n ** 63n)]);
    const lowered = await client.call("ModelInfer", { model_name: "lower", inputs: [{ name: "text", datatype: "BYTES", shape: [2], contents: { bytes_contents: [Buffer.from("HeLLo"), Buffer.from("ÄB")] } }] });
    assert.ok(lowered.raw_output_contents[0].equals(bytesElements(["hello", "äb"])));
  });

  test("REST and gRPC give the same answer for the same request", async () => {
    const rows = [[0.5, -1, 2], [3, 4, 5]];
    const viaGrpc = await client.call("ModelInfer", { ...adderRaw(rows), outputs: [{ name: "y" }] });
    const viaRest = await infer(server, "adder", { inputs: [{ name: "x", shape: [2, 3], datatype: "FP32", data: rows }] });
    assert.equal(viaRest.status, 200);
    assert.deepEqual(floats(viaGrpc.raw_output_contents[0]), viaRest.body.outputs[0].data);
    assert.deepEqual(viaGrpc.outputs[0].shape.map(Number), viaRest.body.outputs[0].shape);
    assert.equal(viaGrpc.model_version, viaRest.body.model_version);
  });

  test("errors carry the REST door's meaning as gRPC codes and name what is wrong", async () => {
    const cases: [unknown, number, RegExp][] = [
      [{ ...adderRaw([[1, 2, 3]]), model_name: "nope" }, status.NOT_FOUND, /unknown model "nope"/],
      [{ ...adderRaw([[1, 2, 3]]), model_version: "9" }, status.NOT_FOUND, /unknown version "9"/],
      [{ ...adderRaw([[1, 2, 3]]), model_name: "" }, status.INVALID_ARGUMENT, /model_name is required/],
      [{ ...adderRaw([[1, 2, 3]]), inputs: [{ name: "z", datatype: "FP32", shape: [1, 3] }] }, status.INVALID_ARGUMENT, /unknown input "z"/],
      [{ ...adderRaw([[1, 2, 3]]), inputs: [{ name: "x", datatype: "INT32", shape: [1, 3] }] }, status.INVALID_ARGUMENT, /input "x" has datatype "INT32" but the model expects FP32/],
      [{ ...adderRaw([[1, 2, 3]]), raw_input_contents: [Buffer.alloc(8)] }, status.INVALID_ARGUMENT, /input "x" has 2 binary elements but shape \[1,3\] needs 3/],
      [{ ...adderRaw([[1, 2, 3]]), raw_input_contents: [] , inputs: [{ name: "x", datatype: "FP32", shape: [1, 3], contents: { int_contents: [1, 2, 3] } }] }, status.INVALID_ARGUMENT, /input "x" is FP32, whose typed contents go in fp32_contents, but int_contents was given/],
      [{ ...adderRaw([[1, 2, 3]]), raw_input_contents: [Buffer.alloc(12), Buffer.alloc(12)] }, status.INVALID_ARGUMENT, /raw_input_contents has 2 entries but there are 1 inputs/],
      [{ ...adderRaw([[1, 2, 3]]), outputs: [{ name: "w" }] }, status.INVALID_ARGUMENT, /unknown output "w"/],
      [{ ...adderRaw([[1, 2, 3]]), parameters: { timeout: { int64_param: "-5" } } }, status.INVALID_ARGUMENT, /timeout is in microseconds/],
    ];
    for (const [message, code, details] of cases) {
      const err = await grpcError(client.call("ModelInfer", message));
      assert.equal(err.code, code, `${JSON.stringify(message)}: ${err.details}`);
      assert.match(err.details, details);
    }
    assert.equal((await grpcError(client.call("ModelMetadata", { name: "nope" }))).code, status.NOT_FOUND);
  });

  test("a Triton RPC this server does not serve answers UNIMPLEMENTED", async () => {
    const { Client } = await import("@grpc/grpc-js");
    const raw = new Client(server.server.grpcAddress!, (await import("@grpc/grpc-js")).credentials.createInsecure());
    const err = await grpcError(
      new Promise((resolve, reject) =>
        raw.makeUnaryRequest("/inference.GRPCInferenceService/RepositoryModelLoad", (b: Buffer) => b, (b: Buffer) => b, Buffer.alloc(0), (e, r) => (e ? reject(e) : resolve(r))),
      ),
    );
    raw.close();
    assert.equal(err.code, status.UNIMPLEMENTED);
  });

  test("messages of 8 MB are received, gzip- and deflate-compressed requests are read", async () => {
    // 666 667 rows of 3 floats: 8 000 004 bytes in, as many out (gRPC's own default limit is 4 MiB).
    const rows = 666_667;
    const x = Float32Array.from({ length: rows * 3 }, (_, i) => i % 1000);
    const answer = await client.call("ModelInfer", { model_name: "adder", inputs: [{ name: "x", datatype: "FP32", shape: [rows, 3] }], raw_input_contents: [bytes(x)] });
    const y = new Float32Array(new Uint8Array(answer.raw_output_contents[0]).buffer);
    assert.equal(y.length, rows * 3);
    assert.deepEqual([y[0], y[rows * 3 - 1]], [x[0]! + adderBias(2)[0]!, x[rows * 3 - 1]! + adderBias(2)[2]!]);
    for (const algorithm of [1, 2]) {
      const compressed = grpcClient(server.server.grpcAddress!, { "grpc.default_compression_algorithm": algorithm });
      try {
        const r = await compressed.call("ModelInfer", adderRaw([[0, 0, 0]]));
        assert.deepEqual(floats(r.raw_output_contents[0]), adderBias(2));
      } finally {
        compressed.close();
      }
    }
  });

  test("metrics carry the protocol, and an identical request is answered from the cache", async () => {
    const sample = 'inference_request_duration_seconds_count{model="adder",status="200",protocol="grpc"}';
    const hits = 'inference_cache_hits_total{backend="memory"}';
    const [countBefore, hitsBefore] = [await metricValue(server.url, sample), await metricValue(server.url, hits)];
    const message = adderRaw([[7, 7, 7]]);
    const first = await client.call("ModelInfer", message);
    const second = await client.call("ModelInfer", message);
    assert.ok(first.raw_output_contents[0].equals(second.raw_output_contents[0]));
    assert.equal(await metricValue(server.url, sample), countBefore + 2);
    assert.equal(await metricValue(server.url, hits), hitsBefore + 1);
    assert.ok((await metricValue(server.url, 'inference_request_duration_seconds_count{model="unknown",status="404",protocol="grpc"}')) >= 1);
  });
});

describe("gRPC deadlines", () => {
  let server: TestServer;
  let client: V2Client;
  before(async () => {
    // A 2 s batch window: a lone request waits in the queue until its deadline passes.
    server = await startTestServer({ models: ["slow"], slow: { size: 64, layers: 1 }, configs: { slow: { maxQueueDelayMs: 2000, maxBatchSize: 8 } } }, GRPC);
    client = grpcClient(server.server.grpcAddress!);
  });
  after(async () => {
    client.close();
    await server.stop();
  });
  const slow = (parameters = {}) => ({ model_name: "slow", parameters, inputs: [{ name: "x", datatype: "FP32", shape: [1, 4] }], raw_input_contents: [bytes(Float32Array.of(1, 2, 3, 4))] });

  test("the timeout parameter (µs) ends a queued request with DEADLINE_EXCEEDED from the server", async () => {
    const err = await grpcError(client.call("ModelInfer", slow({ timeout: { int64_param: "50000" } }), { timeoutMs: 10_000 }));
    assert.equal(err.code, status.DEADLINE_EXCEEDED);
    assert.match(err.details, /deadline/);
  });

  test("the gRPC deadline becomes the request's deadline in the queue", async () => {
    const sample = 'inference_requests_rejected_total{model="slow",reason="deadline"}';
    const before = await metricValue(server.url, sample);
    const err = await grpcError(client.call("ModelInfer", slow(), { timeoutMs: 100 }));
    assert.equal(err.code, status.DEADLINE_EXCEEDED);
    // The server dropped it from its queue at that deadline instead of running it at the 2 s window.
    for (let i = 0; i < 100 && (await metricValue(server.url, sample)) === before; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(await metricValue(server.url, sample), before + 1);
  });
});

test("gRPC auth: bearer tokens in metadata, UNAUTHENTICATED without, health open", async () => {
  const server = await startTestServer({ models: ["adder"] }, { ...GRPC, AUTH_TOKENS: "s3cret" });
  const client = grpcClient(server.server.grpcAddress!);
  try {
    assert.deepEqual(await client.call("ServerLive"), { live: true });
    assert.deepEqual(await client.call("ServerReady"), { ready: true });
    const missing = await grpcError(client.call("ModelInfer", adderRaw([[1, 2, 3]])));
    assert.equal(missing.code, status.UNAUTHENTICATED);
    assert.match(missing.details, /missing bearer token/);
    assert.equal((await grpcError(client.call("ModelInfer", adderRaw([[1, 2, 3]]), { token: "wrong" }))).code, status.UNAUTHENTICATED);
    assert.equal((await grpcError(client.call("ServerMetadata"))).code, status.UNAUTHENTICATED);
    const ok = await client.call("ModelInfer", adderRaw([[1, 2, 3]]), { token: "s3cret" });
    assert.deepEqual(floats(ok.raw_output_contents[0]), [1, 2, 3].map((v, i) => v + adderBias(2)[i]!));
  } finally {
    client.close();
    await server.stop();
  }
});

test("BYTES through the bundled spam classifier: the same label and probabilities as REST", { timeout: 60_000 }, async () => {
  const app = await startApp(testConfig(BUNDLED_MODEL_REPOSITORY, GRPC));
  await app.loaded;
  const client = grpcClient(app.grpcAddress!);
  try {
    const texts = ["WIN a FREE prize now!!! click $$$", "Hi Anna, the meeting moved to 3pm, see you there"];
    const viaGrpc = await client.call("ModelInfer", {
      model_name: "spam-classifier",
      inputs: [{ name: "text", datatype: "BYTES", shape: [2] }],
      outputs: [{ name: "label" }, { name: "probabilities" }],
      raw_input_contents: [bytesElements(texts)],
    });
    assert.ok(viaGrpc.raw_output_contents[0].equals(bytesElements(["spam", "ham"])));
    const viaRest = await infer(app, "spam-classifier", { inputs: [{ name: "text", shape: [2], datatype: "BYTES", data: texts }], outputs: [{ name: "probabilities" }] });
    assert.deepEqual(floats(viaGrpc.raw_output_contents[1]), viaRest.body.outputs[0].data);
  } finally {
    client.close();
    await app.close();
  }
});
