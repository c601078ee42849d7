import { test } from "node:test";
import assert from "node:assert/strict";
import { batchKey, batchRows, concatRows, isBatchable, splitRows } from "../../../app/src/core/batch-tensors.js";
import type { Tensor } from "../../../app/src/protocol/tensor.js";

const f32 = (rows: number, values: number[]): Tensor => ({ name: "x", datatype: "FP32", shape: [rows, 2], data: Float32Array.from(values) });

test("concatenating along the batch dim and splitting at the same rows gives back the parts", () => {
  const parts = [f32(1, [1, 2]), f32(3, [3, 4, 5, 6, 7, 8]), f32(2, [9, 10, 11, 12])];
  const joined = concatRows(parts);
  assert.deepEqual(joined.shape, [6, 2]);
  assert.deepEqual(Array.from(joined.data as Float32Array), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.deepEqual(splitRows(joined, [1, 3, 2]), parts);
});

test("string tensors concatenate and split too", () => {
  const a: Tensor = { name: "t", datatype: "BYTES", shape: [2], data: ["a", "b"] };
  const b: Tensor = { name: "t", datatype: "BYTES", shape: [1], data: ["c"] };
  const joined = concatRows([a, b]);
  assert.deepEqual(joined.data, ["a", "b", "c"]);
  assert.deepEqual(splitRows(joined, [2, 1]), [a, b]);
});

test("64-bit integer tensors keep their type", () => {
  const a: Tensor = { name: "i", datatype: "INT64", shape: [1], data: BigInt64Array.from([1n]) };
  const joined = concatRows([a, a]);
  assert.ok(joined.data instanceof BigInt64Array);
  assert.deepEqual(Array.from(joined.data as BigInt64Array), [1n, 1n]);
});

test("splitting refuses an output that lost the batch dimension", () => {
  assert.throws(() => splitRows(f32(3, [1, 2, 3, 4, 5, 6]), [1, 1]), /has 3 rows for a batch of 2; the model does not keep the batch dimension/);
});

test("batching applies only when every input and output has a dynamic first dim", () => {
  const dyn = { name: "x", datatype: "FP32" as const, shape: [-1, 3] };
  const fixed = { name: "y", datatype: "FP32" as const, shape: [2, 3] };
  assert.equal(isBatchable([dyn], [dyn]), true);
  assert.equal(isBatchable([dyn], [fixed]), false);
  assert.equal(isBatchable([{ ...dyn, shape: [] }], [dyn]), false);
});

test("the batch key separates requests whose non-batch dims differ; rows need agreeing first dims", () => {
  assert.equal(batchKey([f32(1, [1, 2])]), batchKey([f32(5, new Array(10).fill(0))]));
  const wide: Tensor = { name: "x", datatype: "FP32", shape: [1, 3], data: new Float32Array(3) };
  assert.notEqual(batchKey([f32(1, [1, 2])]), batchKey([wide]));
  assert.equal(batchRows([f32(2, [1, 2, 3, 4]), { ...f32(2, [1, 2, 3, 4]), name: "z" }]), 2);
  assert.equal(batchRows([f32(2, [1, 2, 3, 4]), f32(1, [1, 2])]), undefined);
});
