// Loading the model repository: per-model limits, load failures that keep the server
// not ready and are reported per model, and execution provider selection.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { pino } from "pino";
import { createModelRepository } from "../../support/models.js";
import { ModelRepository } from "../../../app/src/core/model-repository.js";
import { createMetrics } from "../../../app/src/observability/metrics.js";
import { startApp } from "../../../app/src/app.js";
import { capturingLogger, infer, request, startTestServer, testConfig } from "../support.js";

const DEFAULTS = { maxBatchSize: 8, maxQueueDelayMs: 2, maxQueueSize: 16 };

test("a broken model file makes the server not ready and is reported on that model only", async () => {
  const { logger, lines } = capturingLogger();
  const repo = await createModelRepository({ models: ["adder", "broken"] });
  const server = await startApp(testConfig(repo.dir), { logger });
  try {
    await server.loaded;
    const ready = await request(`${server.url}/v2/health/ready`);
    assert.equal(ready.status, 503);
    assert.deepEqual(ready.body, { ready: false });

    const broken = await request(`${server.url}/v2/models/broken/ready`);
    assert.equal(broken.status, 503);
    assert.equal(broken.body.ready, false);
    assert.match(broken.body.error, /broken\/1\/model\.onnx: .*(Protobuf parsing failed|failed)/);

    const meta = await request(`${server.url}/v2/models/broken`);
    assert.equal(meta.status, 503);
    assert.match(meta.body.error, /^model "broken" version 1 failed to load: /);
    const inferBroken = await infer(server, "broken", { inputs: [{ name: "x", shape: [1], datatype: "FP32", data: [1] }] });
    assert.equal(inferBroken.status, 503);

    // The healthy model still serves.
    assert.equal((await request(`${server.url}/v2/models/adder/ready`)).status, 200);
    assert.equal((await infer(server, "adder", { inputs: [{ name: "x", shape: [1, 3], datatype: "FP32", data: [0, 0, 0] }] })).status, 200);

    const failure = lines.find((l) => l.msg === "model failed to load");
    assert.ok(failure, "a log line for the failure");
    assert.equal(failure.model, "broken");
    assert.equal(failure.level, 50);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^inference_model_ready\{model="broken",version="1"\} 0$/m);
  } finally {
    await server.close();
    await repo.remove();
  }
});

test("config.json overrides the server-wide limits for its model", async () => {
  const repo = await createModelRepository({ models: ["adder", "lower"], configs: { adder: { maxBatchSize: 2, maxQueueSize: 3, batching: false } } });
  try {
    const r = await ModelRepository.scan(repo.dir, DEFAULTS, pino({ level: "silent" }));
    assert.deepEqual(r.version("adder").limits, { maxBatchSize: 2, maxQueueDelayMs: 2, maxQueueSize: 3 });
    assert.equal(r.version("adder").batching, false);
    assert.deepEqual(r.version("lower").limits, DEFAULTS);
    assert.equal(r.version("lower").batching, true);
  } finally {
    await repo.remove();
  }
});

/** OS threads of this process (Linux). */
const threads = () => Number(/^Threads:\s+(\d+)$/m.exec(readFileSync("/proc/self/status", "utf8"))![1]);

test("executor event-loop runs a model's sessions on the server's thread; the default gives each version a thread", { skip: process.platform !== "linux" && "reads /proc/self/status" }, async () => {
  const onLoop = await createModelRepository({ models: ["adder"], configs: { adder: { executor: "event-loop" } } });
  const inThreads = await createModelRepository({ models: ["adder"] });
  const load = async (dir: string) => {
    const r = await ModelRepository.scan(dir, DEFAULTS, pino({ level: "silent" }));
    const before = threads();
    // One intra-op and one inter-op thread: onnxruntime itself then starts no pool threads.
    await r.loadAll({ provider: "cpu", intraOpThreads: 1, interOpThreads: 1, batching: true, metrics: createMetrics() });
    return { r, added: threads() - before };
  };
  const loop = await load(onLoop.dir);
  const threaded = await load(inThreads.dir);
  try {
    assert.equal(loop.r.version("adder").executor, "event-loop");
    assert.equal(threaded.r.version("adder").executor, "worker-thread");
    assert.equal(threaded.added - loop.added >= 2, true, `two versions in worker threads add a thread each: ${threaded.added} vs ${loop.added} on the event loop`);
    // Same answers either way.
    const x = { name: "x", datatype: "FP32" as const, shape: [1, 3], data: new Float32Array([1, 2, 3]) };
    for (const version of ["1", "2"]) {
      const [a] = await loop.r.version("adder", version).session!.run([x], ["y"]);
      const [b] = await threaded.r.version("adder", version).session!.run([x], ["y"]);
      assert.deepEqual(Array.from(a!.data as Float32Array), Array.from(b!.data as Float32Array));
    }
  } finally {
    for (const { r } of [loop, threaded]) for (const v of r.models.flatMap((m) => m.versions)) await v.session?.release();
    await onLoop.remove();
    await inThreads.remove();
  }
});

test("an invalid config.json fails its model with a message naming the file and the key", async () => {
  const repo = await createModelRepository({
    models: ["adder", "lower", "multi", "fixed"],
    configs: { adder: { maxBatchSize: 0 }, lower: "{not json", multi: { maxBatchSise: 4 }, fixed: { executor: "gpu-thread" } },
  });
  try {
    const r = await ModelRepository.scan(repo.dir, DEFAULTS, pino({ level: "silent" }));
    const errors = Object.fromEntries(r.models.map((m) => [m.name, m.error]));
    assert.match(errors.adder!, /adder\/config\.json: maxBatchSize: .*>=1.*allowed keys/);
    assert.match(errors.lower!, /lower\/config\.json is not valid JSON/);
    assert.match(errors.multi!, /multi\/config\.json: .*maxBatchSise/);
    assert.match(errors.fixed!, /fixed\/config\.json: executor: .*executor worker-thread\/event-loop/);
    assert.equal(r.ready, false);
  } finally {
    await repo.remove();
  }
});

test("a model directory without versions and an empty repository are not ready; a missing repository is an error", async () => {
  const repo = await createModelRepository({ models: [], configs: { orphan: {} } });
  try {
    const r = await ModelRepository.scan(repo.dir, DEFAULTS, pino({ level: "silent" }));
    assert.match(r.models[0]!.error!, /no version directories/);
    assert.equal(r.ready, false);
    await assert.rejects(ModelRepository.scan(`${repo.dir}/missing`, DEFAULTS, pino({ level: "silent" })), /MODEL_REPOSITORY .*missing is not a directory/);
  } finally {
    await repo.remove();
  }
  const empty = await createModelRepository({ models: [] });
  try {
    const r = await ModelRepository.scan(empty.dir, DEFAULTS, pino({ level: "silent" }));
    await r.loadAll({ provider: "cpu", intraOpThreads: 1, interOpThreads: 1, batching: true, metrics: createMetrics() });
    assert.equal(r.ready, false);
  } finally {
    await empty.remove();
  }
});

test("EXECUTION_PROVIDER=cuda without CUDA falls back to CPU with a warning and logs the provider chosen", async () => {
  const { logger, lines } = capturingLogger();
  const s = await startTestServer({ models: ["adder"] }, { EXECUTION_PROVIDER: "cuda", ORT_INTRA_OP_THREADS: "1", ORT_INTER_OP_THREADS: "1" }, { logger });
  try {
    // On a machine with onnxruntime's CUDA provider installed the model runs on CUDA instead.
    const loadedLine = lines.find((l) => l.msg === "model loaded and warmed on cpu" || l.msg === "model loaded and warmed on cuda");
    assert.ok(loadedLine, "a log line naming the provider");
    if (loadedLine.provider === "cpu") {
      const warning = lines.find((l) => l.msg === "CUDA execution provider not available; falling back to CPU");
      assert.ok(warning, "a fallback warning");
      assert.equal(warning.level, 40);
    }
    assert.equal(s.server.ready, true);
    assert.equal((await infer(s, "adder", { inputs: [{ name: "x", shape: [1, 3], datatype: "FP32", data: [0, 0, 0] }] })).status, 200);
  } finally {
    await s.stop();
  }
});

test("a model whose onnxruntime worker has died is reported not ready and answers 503", async () => {
  const s = await startTestServer({ models: ["adder"] });
  try {
    assert.equal((await request(`${s.url}/v2/health/ready`)).status, 200);
    // Terminating the worker stands in for a crash inside onnxruntime.
    await s.server.repository.version("adder", "2").session!.release();
    const ready = await request(`${s.url}/v2/models/adder/versions/2/ready`);
    assert.equal(ready.status, 503);
    assert.match(ready.body.error, /onnxruntime worker for .*adder\/2\/model\.onnx exited/);
    assert.equal((await request(`${s.url}/v2/health/ready`)).status, 503);
    const answer = await infer(s, "adder", { inputs: [{ name: "x", shape: [1, 3], datatype: "FP32", data: [0, 0, 0] }] });
    assert.equal(answer.status, 503);
    assert.match(answer.body.error, /^model "adder" version 2 stopped: /);
    // Version 1 is unaffected.
    assert.equal((await infer(s, "adder", { inputs: [{ name: "x", shape: [1, 3], datatype: "FP32", data: [0, 0, 0] }] }, {}, "1")).status, 200);
  } finally {
    await s.stop();
  }
});
