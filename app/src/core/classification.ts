// Triton's classification extension: an output requested with `classification: k` comes
// back as BYTES holding its k largest values as "<value>:<index>[:<label>]", per row when
// the output has a batch dimension. The value is printed as C++ std::to_string prints it
// (six decimals for floats, as Triton's src/classification.cc builds the strings), labels
// come from the model's labels file for that output (one label per line, by index).
import { badRequest } from "../protocol/errors.js";
import { float16Value, type Tensor } from "../protocol/tensor.js";

const FLOAT_TYPES = new Set(["FP16", "FP32", "FP64"]);

/** The top-k classes of `t` as a BYTES tensor of shape [rows, k] (or [k] without a batch dimension). */
export function classify(t: Tensor, k: number, labels: readonly string[] | undefined): Tensor {
  if (t.datatype === "BYTES" || t.datatype === "BOOL") throw badRequest(`output "${t.name}" is ${t.datatype}; classification needs a numeric output`);
  const values = Array.from(t.data as ArrayLike<number | bigint>, (v) => (t.datatype === "FP16" ? float16Value(Number(v)) : v));
  const batched = t.shape.length >= 2;
  const rows = batched ? t.shape[0]! : 1;
  const classes = rows === 0 ? 0 : values.length / rows;
  const top = Math.min(k, classes);
  const text = (v: number | bigint) => (FLOAT_TYPES.has(t.datatype) ? (v as number).toFixed(6) : String(v));
  const data: string[] = [];
  for (let r = 0; r < rows; r++) {
    const row = values.slice(r * classes, (r + 1) * classes);
    const order = row.map((_, i) => i).sort((a, b) => (row[a]! < row[b]! ? 1 : row[a]! > row[b]! ? -1 : a - b));
    for (const i of order.slice(0, top)) data.push(`${text(row[i]!)}:${i}${labels?.[i] !== undefined ? `:${labels[i]}` : ""}`);
  }
  return { name: t.name, datatype: "BYTES", shape: batched ? [rows, top] : [top], data };
}
