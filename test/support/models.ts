// Test models, written with the repository's ONNX builder into a temporary model
// repository laid out as the server expects (<name>/<version>/model.onnx).
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildModel, type ElemType, type GraphSpec } from "../../scripts/lib/onnx-graph.js";

/** Every element type the server maps to a V2 datatype, with that datatype. */
export const TYPE_MODEL_TYPES = {
  bool: "BOOL",
  uint8: "UINT8",
  uint16: "UINT16",
  uint32: "UINT32",
  uint64: "UINT64",
  int8: "INT8",
  int16: "INT16",
  int32: "INT32",
  int64: "INT64",
  float16: "FP16",
  float: "FP32",
  double: "FP64",
  string: "BYTES",
} as const satisfies Partial<Record<ElemType, string>>;

/** Bias that adder version v adds: v1 [1, 2, 3.5], v2 [10, 20, 35]. */
export const adderBias = (version: 1 | 2) => (version === 1 ? [1, 2, 3.5] : [10, 20, 35]);

const adder = (version: 1 | 2): GraphSpec => ({
  name: "adder",
  inputs: [{ name: "x", type: "float", shape: ["batch", 3] }],
  outputs: [{ name: "y", type: "float", shape: ["batch", 3] }],
  nodes: [{ op: "Add", inputs: ["x", "b"], outputs: ["y"] }],
  initializers: [{ name: "b", type: "float", dims: [3], values: adderBias(version) }],
});

/** Lower-cases strings: a BYTES input and output. */
const lower: GraphSpec = {
  name: "lower",
  inputs: [{ name: "text", type: "string", shape: ["batch"] }],
  outputs: [{ name: "lowered", type: "string", shape: ["batch"] }],
  nodes: [{ op: "StringNormalizer", inputs: ["text"], outputs: ["lowered"], attrs: { case_change_action: "LOWER", locale: "C.UTF-8" } }],
};

/** Two inputs, three outputs of two datatypes: sum = a + b, product = a * b, argmax = index of the larger sum column. */
const multi: GraphSpec = {
  name: "multi",
  inputs: [
    { name: "a", type: "float", shape: ["batch", 2] },
    { name: "b", type: "float", shape: ["batch", 2] },
  ],
  outputs: [
    { name: "sum", type: "float", shape: ["batch", 2] },
    { name: "product", type: "float", shape: ["batch", 2] },
    { name: "argmax", type: "int64", shape: ["batch"] },
  ],
  nodes: [
    { op: "Add", inputs: ["a", "b"], outputs: ["sum"] },
    { op: "Mul", inputs: ["a", "b"], outputs: ["product"] },
    { op: "ArgMax", inputs: ["sum"], outputs: ["argmax"], attrs: { axis: 1, keepdims: 0 } },
  ],
};

/** INT64 in and out: y = 2 * x. */
const int64: GraphSpec = {
  name: "int64",
  inputs: [{ name: "x", type: "int64", shape: ["batch", 2] }],
  outputs: [{ name: "y", type: "int64", shape: ["batch", 2] }],
  nodes: [{ op: "Mul", inputs: ["x", "two"], outputs: ["y"] }],
  initializers: [{ name: "two", type: "int64", dims: [1], values: [2] }],
};

/** Fixed shape [2, 2] (no batch dimension): served, never batched. */
const fixed: GraphSpec = {
  name: "fixed",
  inputs: [{ name: "x", type: "float", shape: [2, 2] }],
  outputs: [{ name: "y", type: "float", shape: [2, 2] }],
  nodes: [{ op: "Neg", inputs: ["x"], outputs: ["y"] }],
};

/** One Identity per datatype: input in_<type> -> output out_<type>, each [n]. */
const types: GraphSpec = {
  name: "types",
  inputs: Object.keys(TYPE_MODEL_TYPES).map((t) => ({ name: `in_${t}`, type: t as ElemType, shape: ["n"] })),
  outputs: Object.keys(TYPE_MODEL_TYPES).map((t) => ({ name: `out_${t}`, type: t as ElemType, shape: ["n"] })),
  nodes: Object.keys(TYPE_MODEL_TYPES).map((t) => ({ op: "Identity", inputs: [`in_${t}`], outputs: [`out_${t}`] })),
};

/**
 * y = x + 1, after a chain of `layers` size x size matrix products that depends on x
 * (so it cannot be folded away) but not on the batch size: each run costs about the same
 * however many rows it carries, which is what batching and drain tests need.
 */
export function slowModel(size: number, layers: number): GraphSpec {
  const nodes: GraphSpec["nodes"] = [
    { op: "ReduceSum", inputs: ["x"], outputs: ["s"] },
    { op: "Mul", inputs: ["s", "tiny"], outputs: ["s_small"] },
    { op: "Expand", inputs: ["s_small", "square"], outputs: ["m0"] },
  ];
  for (let i = 0; i < layers; i++) {
    nodes.push({ op: "MatMul", inputs: [`m${i}`, `m${i}`], outputs: [`p${i}`] });
    nodes.push({ op: "Tanh", inputs: [`p${i}`], outputs: [`m${i + 1}`] });
  }
  nodes.push(
    { op: "ReduceMean", inputs: [`m${layers}`], outputs: ["r"] },
    { op: "Mul", inputs: ["r", "zero"], outputs: ["z"] },
    { op: "Add", inputs: ["x", "one"], outputs: ["x1"] },
    { op: "Add", inputs: ["x1", "z"], outputs: ["y"] },
  );
  return {
    name: "slow",
    inputs: [{ name: "x", type: "float", shape: ["batch", 4] }],
    outputs: [{ name: "y", type: "float", shape: ["batch", 4] }],
    nodes,
    initializers: [
      { name: "square", type: "int64", dims: [2], values: [size, size] },
      { name: "tiny", type: "float", dims: [1], values: [1e-3] },
      { name: "zero", type: "float", dims: [1], values: [0] },
      { name: "one", type: "float", dims: [1], values: [1] },
    ],
  };
}

export type TestModel = "adder" | "lower" | "multi" | "int64" | "fixed" | "types" | "slow" | "broken";

export interface RepositoryOptions {
  /** Models to write; adder gets versions 1 and 2, the others version 1. Default: all but slow and broken. */
  models?: TestModel[];
  /** <name>/config.json contents: an object is written as JSON, a string as is. */
  configs?: Record<string, object | string>;
  /** Cost of the slow model (matrix size, layers). Default 256 x 4. */
  slow?: { size: number; layers: number };
}

export interface TestRepository {
  dir: string;
  remove(): Promise<void>;
}

async function write(dir: string, name: string, version: number, bytes: Uint8Array | string): Promise<void> {
  const vdir = path.join(dir, name, String(version));
  await mkdir(vdir, { recursive: true });
  await writeFile(path.join(vdir, "model.onnx"), bytes);
}

/** Writes the chosen test models into a fresh temporary model repository. */
export async function createModelRepository(options: RepositoryOptions = {}): Promise<TestRepository> {
  const dir = await mkdtemp(path.join(tmpdir(), "models-"));
  const models = options.models ?? ["adder", "lower", "multi", "int64", "fixed", "types"];
  for (const name of models) {
    switch (name) {
      case "adder":
        await write(dir, name, 1, buildModel(adder(1)));
        await write(dir, name, 2, buildModel(adder(2)));
        break;
      case "broken":
        // Not a protobuf: onnxruntime refuses it at load.
        await write(dir, name, 1, "this is not an ONNX model\n");
        break;
      case "slow":
        await write(dir, name, 1, buildModel(slowModel(options.slow?.size ?? 256, options.slow?.layers ?? 4)));
        break;
      default:
        await write(dir, name, 1, buildModel({ lower, multi, int64, fixed, types }[name]));
    }
  }
  for (const [name, config] of Object.entries(options.configs ?? {})) {
    await mkdir(path.join(dir, name), { recursive: true });
    await writeFile(path.join(dir, name, "config.json"), typeof config === "string" ? config : JSON.stringify(config));
  }
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
