// Joining requests into one batch and splitting the results back: tensors are
// concatenated along the first (batch) dimension and cut at the same row offsets.
import type { Tensor, TensorData, TensorSpec } from "../protocol/tensor.js";

/** True when every input and output of the model has a dynamic first dimension, so rows can be stacked. */
export function isBatchable(inputs: readonly TensorSpec[], outputs: readonly TensorSpec[]): boolean {
  return [...inputs, ...outputs].every((s) => s.shape.length > 0 && s.shape[0] === -1);
}

/** Requests batch together only when all their non-batch dimensions agree (datatypes are fixed by the model). */
export function batchKey(tensors: readonly Tensor[]): string {
  return JSON.stringify(tensors.map((t) => t.shape.slice(1)));
}

/** Rows a request contributes: the first dimension of its inputs (all must agree). */
export function batchRows(tensors: readonly Tensor[]): number | undefined {
  const rows = new Set(tensors.map((t) => t.shape[0]));
  return rows.size === 1 ? [...rows][0] : undefined;
}

/** Stacks tensors of the same name, datatype and non-batch dims along dimension 0. */
export function concatRows(parts: readonly Tensor[]): Tensor {
  const first = parts[0]!;
  if (parts.length === 1) return first;
  const rows = parts.reduce((n, t) => n + t.shape[0]!, 0);
  const shape = [rows, ...first.shape.slice(1)];
  let data: TensorData;
  if (Array.isArray(first.data)) {
    data = parts.flatMap((t) => t.data as string[]);
  } else {
    const total = parts.reduce((n, t) => n + t.data.length, 0);
    const out = new (first.data.constructor as new (n: number) => Exclude<TensorData, string[]>)(total);
    let offset = 0;
    for (const t of parts) {
      (out as Float64Array).set(t.data as Float64Array, offset);
      offset += t.data.length;
    }
    data = out;
  }
  return { name: first.name, datatype: first.datatype, shape, data };
}

/** Cuts a batched tensor back into pieces of the given row counts, in order. */
export function splitRows(tensor: Tensor, rows: readonly number[]): Tensor[] {
  const total = rows.reduce((a, b) => a + b, 0);
  if (tensor.shape[0] !== total) {
    throw new Error(`output "${tensor.name}" has ${tensor.shape[0]} rows for a batch of ${total}; the model does not keep the batch dimension`);
  }
  const rowSize = tensor.shape.slice(1).reduce((a, b) => a * b, 1);
  let row = 0;
  return rows.map((n) => {
    const start = row * rowSize;
    const end = (row + n) * rowSize;
    row += n;
    const data = Array.isArray(tensor.data) ? tensor.data.slice(start, end) : tensor.data.slice(start, end);
    return { name: tensor.name, datatype: tensor.datatype, shape: [n, ...tensor.shape.slice(1)], data };
  });
}
