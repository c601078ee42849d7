import { test } from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { buildSyntheticMlp, SYNTHETIC_MLP_NAME } from "../../scripts/models/synthetic-mlp.js";

const opts = { inputDim: 16, hidden: 32, layers: 3, outputDim: 4, seed: 7 };

test("the synthetic MLP loads and runs with any batch size, returning finite [batch, outputDim]", async () => {
  const session = await ort.InferenceSession.create(buildSyntheticMlp(opts));
  assert.deepEqual(session.inputNames, ["input"]);
  assert.deepEqual(session.outputNames, ["output"]);
  for (const batch of [1, 5]) {
    const x = Float32Array.from({ length: batch * opts.inputDim }, (_, i) => Math.sin(i));
    const out = await session.run({ input: new ort.Tensor("float32", x, [batch, opts.inputDim]) });
    assert.deepEqual(out.output!.dims, [batch, opts.outputDim]);
    const values = Array.from(out.output!.data as Float32Array);
    assert.ok(values.every(Number.isFinite));
    assert.ok(values.some((v) => v !== 0), "outputs should not be all zero");
  }
  // rows are computed independently: row 0 of a batch equals the same row run alone
  const row = Float32Array.from({ length: opts.inputDim }, (_, i) => Math.sin(i));
  const alone = await session.run({ input: new ort.Tensor("float32", row, [1, opts.inputDim]) });
  const batch = Float32Array.from({ length: 3 * opts.inputDim }, (_, i) => Math.sin(i % opts.inputDim));
  const together = await session.run({ input: new ort.Tensor("float32", batch, [3, opts.inputDim]) });
  const a = Array.from(alone.output!.data as Float32Array);
  const t = Array.from((together.output!.data as Float32Array).subarray(2 * opts.outputDim));
  a.forEach((v, i) => assert.ok(Math.abs(v - t[i]!) < 1e-4, `row mismatch at ${i}: ${v} vs ${t[i]}`));
});

test("the same options give the same bytes; another seed gives other weights", () => {
  assert.deepEqual(buildSyntheticMlp(opts), buildSyntheticMlp(opts));
  assert.notDeepEqual(buildSyntheticMlp(opts), buildSyntheticMlp({ ...opts, seed: 8 }));
});

test("it is clearly marked as a benchmark-only model", async () => {
  const bytes = buildSyntheticMlp(opts);
  assert.ok(Buffer.from(bytes).includes(SYNTHETIC_MLP_NAME));
  assert.equal(SYNTHETIC_MLP_NAME, "synthetic-mlp-benchmark-only");
});

test("nonsensical sizes are rejected with the field name", () => {
  assert.throws(() => buildSyntheticMlp({ ...opts, hidden: 0 }), /hidden must be a positive integer, got 0/);
  assert.throws(() => buildSyntheticMlp({ ...opts, layers: 1.5 }), /layers must be a positive integer/);
});
