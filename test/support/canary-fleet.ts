// The model repositories behind a canary analysis test: one model, "scorer"
// (FP32 [batch, 4] in, y = x + 1 out), in the flavours a release can bring: as
// good as stable, much slower, failing on some inputs, or served with a tiny
// queue so that it sheds. Every flavour takes the same requests.
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildModel, type GraphSpec } from "../../scripts/lib/onnx-graph.js";
import { slowModel } from "./models.js";

export const SCORER = "scorer";
export type Flavour = "good" | "slow" | "failing" | "shedding";

/** A first column of at least FAILING_FROM makes the failing flavour's onnxruntime run fail (a Gather index out of range). */
export const FAILING_FROM = 3;

/** y = x + 1, but x[:, 0] also indexes a 3-entry table: 3 or more is out of bounds and the run fails. */
const failing: GraphSpec = {
  name: SCORER,
  inputs: [{ name: "x", type: "float", shape: ["batch", 4] }],
  outputs: [{ name: "y", type: "float", shape: ["batch", 4] }],
  nodes: [
    { op: "Gather", inputs: ["x", "first"], outputs: ["c0"], attrs: { axis: 1 } },
    { op: "Cast", inputs: ["c0"], outputs: ["i0"], attrs: { to: 7 } },
    { op: "Gather", inputs: ["table", "i0"], outputs: ["g"] },
    { op: "ReduceSum", inputs: ["g"], outputs: ["s"], attrs: { keepdims: 0 } },
    { op: "Mul", inputs: ["s", "zero"], outputs: ["z"] },
    { op: "Add", inputs: ["x", "one"], outputs: ["x1"] },
    { op: "Add", inputs: ["x1", "z"], outputs: ["y"] },
  ],
  initializers: [
    { name: "first", type: "int64", dims: [1], values: [0] },
    { name: "table", type: "float", dims: [FAILING_FROM], values: [0, 1, 2] },
    { name: "zero", type: "float", dims: [1], values: [0] },
    { name: "one", type: "float", dims: [1], values: [1] },
  ],
};

function graph(flavour: Flavour): GraphSpec {
  switch (flavour) {
    case "failing":
      return failing;
    case "slow":
      // Hundreds of milliseconds a run on one thread, whatever the batch.
      return { ...slowModel(512, 12), name: SCORER };
    default:
      return { ...slowModel(8, 1), name: SCORER };
  }
}

/** Per-model config: one request a batch on the slow model (so its latency adds up), a queue of one on the shedding one. */
function modelConfig(flavour: Flavour): object | undefined {
  if (flavour === "slow") return { maxBatchSize: 1 };
  if (flavour === "shedding") return { maxQueueSize: 1, maxBatchSize: 1 };
  return undefined;
}

/** Server settings of a flavour: the shedding one keeps no line before admission, so excess is refused at once. */
export function flavourEnv(flavour: Flavour): Record<string, string> {
  return flavour === "shedding" ? { ADMISSION_MAX_WAITING: "0" } : {};
}

/** Writes a model repository holding `scorer` in the given flavour. */
export async function scorerRepository(flavour: Flavour): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), `scorer-${flavour}-`));
  await mkdir(path.join(dir, SCORER, "1"), { recursive: true });
  await writeFile(path.join(dir, SCORER, "1", "model.onnx"), buildModel(graph(flavour)));
  const config = modelConfig(flavour);
  if (config) await writeFile(path.join(dir, SCORER, "config.json"), JSON.stringify(config));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** An inference request body for `scorer` whose first column is `first`. */
export function scorerRequest(first: number): string {
  return JSON.stringify({ inputs: [{ name: "x", shape: [1, 4], datatype: "FP32", data: [first, 0.5, 0.25, 0.125] }] });
}
