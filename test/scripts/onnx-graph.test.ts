import { test } from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { buildModel } from "../../scripts/lib/onnx-graph.js";

test("a built graph loads in onnxruntime with its declared names, types and dynamic dims", async () => {
  const bytes = buildModel({
    name: "add",
    inputs: [{ name: "x", type: "float", shape: ["batch", 3] }],
    outputs: [{ name: "y", type: "float", shape: ["batch", 3] }],
    nodes: [{ op: "Add", inputs: ["x", "b"], outputs: ["y"] }],
    initializers: [{ name: "b", type: "float", dims: [3], values: [1, 2, 3.5] }],
  });
  const session = await ort.InferenceSession.create(bytes);
  assert.deepEqual(session.inputMetadata[0], { name: "x", isTensor: true, type: "float32", shape: ["batch", 3] });
  const out = await session.run({ x: new ort.Tensor("float32", Float32Array.from([1, 1, 1, 2, 2, 2]), [2, 3]) });
  assert.deepEqual(Array.from(out.y!.data as Float32Array), [2, 3, 4.5, 3, 4, 5.5]);
});

test("string attributes and string tensors round-trip (StringNormalizer with an explicit locale)", async () => {
  const bytes = buildModel({
    name: "lower",
    inputs: [{ name: "t", type: "string", shape: ["batch"] }],
    outputs: [{ name: "u", type: "string", shape: ["batch"] }],
    nodes: [{ op: "StringNormalizer", inputs: ["t"], outputs: ["u"], attrs: { case_change_action: "LOWER", locale: "C.UTF-8" } }],
  });
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ t: new ort.Tensor("string", ["Hello World", "ABC"], [2]) });
  assert.deepEqual(out.u!.data, ["hello world", "abc"]);
});

test("the same description serialises to the same bytes", () => {
  const spec = {
    name: "id",
    inputs: [{ name: "x", type: "int64" as const, shape: [1] }],
    outputs: [{ name: "y", type: "int64" as const, shape: [1] }],
    nodes: [{ op: "Identity", inputs: ["x"], outputs: ["y"] }],
  };
  assert.deepEqual(buildModel(spec), buildModel(spec));
});
