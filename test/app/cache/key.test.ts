import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { cacheKey } from "../../../app/src/cache/result-cache.js";
import { flatten } from "../../../app/src/protocol/json.js";

const base = {
  model: "spam",
  version: "1",
  outputs: ["probabilities"],
  inputs: [
    { name: "features", datatype: "FP32", shape: [2, 3], data: [1, 2, 3, 4, 5, 6] },
    { name: "mask", datatype: "BOOL", shape: [2], data: [true, false] },
  ],
};

describe("cacheKey", () => {
  it("is a 64-character hex SHA-256 and stable across calls", () => {
    assert.match(cacheKey(base), /^[0-9a-f]{64}$/);
    assert.equal(cacheKey(base), cacheKey(structuredClone(base)));
  });

  it("does not depend on the order of inputs", () => {
    const reordered = { ...base, inputs: [base.inputs[1]!, base.inputs[0]!] };
    assert.equal(cacheKey(reordered), cacheKey(base));
  });

  it("does not depend on JSON formatting of the request body", () => {
    const compact = JSON.parse(JSON.stringify(base));
    const spaced = JSON.parse(JSON.stringify(base, null, 4).replace(/1,/, "1.0 ,"));
    assert.equal(cacheKey(spaced), cacheKey(compact));
  });

  it("treats flat, nested and typed-array data of the same tensor alike", () => {
    const key = (data: unknown) => cacheKey({ ...base, inputs: [{ ...base.inputs[0]!, data }, base.inputs[1]!] });
    const flat = key([1, 2, 3, 4, 5, 6]);
    assert.equal(key([[1, 2, 3], [4, 5, 6]]), flat);
    assert.equal(key(new Float32Array([1, 2, 3, 4, 5, 6])), flat);
    assert.equal(key([new Float32Array([1, 2, 3]), [4, 5, 6]]), flat);
  });

  it("hashes FP32 data by the float32 value the model sees", () => {
    const key = (data: unknown) => cacheKey({ ...base, inputs: [{ name: "x", datatype: "FP32", shape: [1], data }] });
    assert.equal(key([0.1]), key(new Float32Array([0.1])));
    assert.notEqual(key([0.1]), key([0.2]));
  });

  it("treats int64 numbers and bigints alike, and BOOL true/1 alike", () => {
    const int = (data: unknown) => cacheKey({ ...base, inputs: [{ name: "ids", datatype: "INT64", shape: [2], data }] });
    assert.equal(int([7, 8]), int(new BigInt64Array([7n, 8n])));
    assert.notEqual(int([7, 8]), int(new BigInt64Array([7n, 9007199254740993n])));
    const bool = (data: unknown) => cacheKey({ ...base, inputs: [{ name: "m", datatype: "BOOL", shape: [2], data }] });
    assert.equal(bool([true, false]), bool([1, 0]));
  });

  it("changes with model, version, outputs, datatype, shape, name and every element", () => {
    const variants = [
      { ...base, model: "other" },
      { ...base, version: "2" },
      { ...base, outputs: [] },
      { ...base, outputs: ["label"] },
      { ...base, outputs: ["label", "probabilities"] },
      { ...base, inputs: [{ ...base.inputs[0]!, datatype: "FP64" }, base.inputs[1]!] },
      { ...base, inputs: [{ ...base.inputs[0]!, shape: [3, 2] }, base.inputs[1]!] },
      { ...base, inputs: [{ ...base.inputs[0]!, name: "feature" }, base.inputs[1]!] },
      { ...base, inputs: [{ ...base.inputs[0]!, data: [1, 2, 3, 4, 5, 7] }, base.inputs[1]!] },
      { ...base, inputs: [base.inputs[0]!, { ...base.inputs[1]!, data: [false, false] }] },
      { ...base, inputs: [base.inputs[0]!] },
    ];
    const keys = new Set([cacheKey(base), ...variants.map(cacheKey)]);
    assert.equal(keys.size, variants.length + 1);
  });

  it("keeps field boundaries: concatenations of strings do not collide", () => {
    const bytes = (data: string[]) => cacheKey({ ...base, inputs: [{ name: "t", datatype: "BYTES", shape: [2], data }] });
    assert.notEqual(bytes(["ab", "c"]), bytes(["a", "bc"]));
    assert.notEqual(cacheKey({ ...base, model: "ab", version: "c" }), cacheKey({ ...base, model: "a", version: "bc" }));
  });

  it("never throws on malformed data the server would reject", () => {
    const weird = [null, undefined, { a: 1 }, [[[]]], "x", Symbol.iterator];
    for (const data of weird) {
      assert.match(cacheKey({ ...base, inputs: [{ name: "x", datatype: "FP32", shape: [1], data }] }), /^[0-9a-f]{64}$/);
    }
  });
});

describe("flatten", () => {
  it("returns row-major elements of nested and typed arrays", () => {
    assert.deepEqual(flatten([[1, [2]], new Int32Array([3, 4]), 5]), [1, 2, 3, 4, 5]);
    assert.deepEqual(flatten(7), [7]);
  });

  it("handles nesting deeper than the call stack allows for recursion", () => {
    let deep: unknown = [1];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.deepEqual(flatten(deep), [1]);
  });
});
