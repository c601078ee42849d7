// A compute-heavy stand-in model for benchmarks ONLY: a wide MLP with seeded random
// weights. It predicts nothing meaningful; it exists so that batching and GPU gains
// are visible (the bundled spam classifier is too cheap to show them).
import { buildModel, type Initializer, type Node } from "../lib/onnx-graph.js";
import { mulberry32 } from "./prng.js";

export const SYNTHETIC_MLP_NAME = "synthetic-mlp-benchmark-only";

export interface SyntheticMlpOptions {
  /** Features per input row. */
  inputDim: number;
  /** Width of every hidden layer. */
  hidden: number;
  /** Number of hidden (Gemm + Relu) layers; at least 1. */
  layers: number;
  /** Values per output row. */
  outputDim: number;
  /** PRNG seed for the weights; equal options give equal bytes. */
  seed: number;
}

function checkOptions(opts: SyntheticMlpOptions): void {
  for (const key of ["inputDim", "hidden", "layers", "outputDim"] as const) {
    const v = opts[key];
    if (!Number.isInteger(v) || v < 1) throw new RangeError(`synthetic MLP: ${key} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(opts.seed)) throw new RangeError(`synthetic MLP: seed must be an integer, got ${opts.seed}`);
}

/**
 * Builds the model: input `input` FP32 [batch, inputDim] -> `layers` x (Gemm + Relu)
 * of width `hidden` -> Gemm -> output `output` FP32 [batch, outputDim].
 */
export function buildSyntheticMlp(opts: SyntheticMlpOptions): Uint8Array {
  checkOptions(opts);
  const random = mulberry32(opts.seed);
  const nodes: Node[] = [];
  const initializers: Initializer[] = [];
  const widths = [opts.inputDim, ...Array<number>(opts.layers).fill(opts.hidden), opts.outputDim];
  let current = "input";
  for (let l = 0; l + 1 < widths.length; l++) {
    const fanIn = widths[l]!;
    const fanOut = widths[l + 1]!;
    // He-uniform scale keeps activations O(1) through many Relu layers (no inf/NaN).
    const bound = Math.sqrt(6 / fanIn);
    const w = new Float32Array(fanIn * fanOut);
    for (let i = 0; i < w.length; i++) w[i] = (random() * 2 - 1) * bound;
    const b = new Float32Array(fanOut);
    for (let i = 0; i < b.length; i++) b[i] = (random() * 2 - 1) * 0.01;
    initializers.push({ name: `W${l}`, type: "float", dims: [fanIn, fanOut], values: w });
    initializers.push({ name: `B${l}`, type: "float", dims: [fanOut], values: b });
    const last = l + 2 === widths.length;
    const gemmOut = last ? "output" : `gemm${l}`;
    nodes.push({ op: "Gemm", inputs: [current, `W${l}`, `B${l}`], outputs: [gemmOut] });
    if (!last) {
      nodes.push({ op: "Relu", inputs: [gemmOut], outputs: [`relu${l}`] });
      current = `relu${l}`;
    }
  }
  return buildModel({
    name: SYNTHETIC_MLP_NAME,
    inputs: [{ name: "input", type: "float", shape: ["batch", opts.inputDim] }],
    outputs: [{ name: "output", type: "float", shape: ["batch", opts.outputDim] }],
    nodes,
    initializers,
    metadata: {
      purpose: "benchmark only: random weights, meaningless outputs",
      options: JSON.stringify(opts),
    },
    docString: "Synthetic compute-heavy MLP with seeded random weights, for benchmarks only.",
  });
}
