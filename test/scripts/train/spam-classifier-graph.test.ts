import { test } from "node:test";
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { buildModel } from "../../../scripts/lib/onnx-graph.js";
import { LOWERCASE_ATTRS, buildSpamClassifierGraph, type SpamClassifierParams } from "../../../scripts/train/spam-classifier-graph.js";
import { TOKEN_PATTERN, lowercase, tokenize, vocabularyOf } from "../../../scripts/train/text-features.js";

// A hand-sized model: columns free, money, "free money"; spam logit = 2*f0 + 1*f1 + 3*f2 - 1
const params: SpamClassifierParams = {
  vocab: vocabularyOf(["free", "money"], ["free money"]),
  idf: [1, 2, 1],
  weights: [2, 1, 3],
  bias: -1,
  classes: ["ham", "spam"],
  metadata: { purpose: "test" },
};

async function run(texts: string[]) {
  const session = await ort.InferenceSession.create(buildSpamClassifierGraph(params));
  const out = await session.run({ text: new ort.Tensor("string", texts, [texts.length]) });
  return { p: Array.from(out.probabilities!.data as Float32Array), label: out.label!.data as string[] };
}

test("the graph computes softmax([0, w·x + b]) of L2-normalised log-TF x IDF unigram and bigram features", async () => {
  // "FREE money, free!" -> free x2, money x1, "free money" x1 ("money free" is not in the vocabulary)
  const raw = [Math.log(3) * 1, Math.log(2) * 2, Math.log(2) * 1];
  const norm = Math.hypot(...raw);
  const z = (2 * raw[0]! + 1 * raw[1]! + 3 * raw[2]!) / norm - 1;
  const spam = 1 / (1 + Math.exp(-z));
  const { p, label } = await run(["FREE money, free!", "nothing relevant"]);
  assert.ok(Math.abs(p[1]! - spam) < 1e-6, `${p[1]} vs ${spam}`);
  assert.ok(Math.abs(p[0]! - (1 - spam)) < 1e-6);
  // no known n-gram: only the bias, sigmoid(-1)
  assert.ok(Math.abs(p[3]! - 1 / (1 + Math.E)) < 1e-6);
  assert.deepEqual(label, ["spam", "ham"]);
});

test("parameters that do not fit the vocabulary are refused with the sizes", () => {
  assert.throws(() => buildSpamClassifierGraph({ ...params, weights: [1, 2] }), /idf \(3\) and weights \(2\) must both have one entry per vocabulary column \(3\)/);
});

test("lowercase() agrees with the graph's StringNormalizer on every Unicode code point, as far as tokens can see", async () => {
  const session = await ort.InferenceSession.create(
    buildModel({
      name: "lower",
      inputs: [{ name: "t", type: "string", shape: ["n"] }],
      outputs: [{ name: "u", type: "string", shape: ["n"] }],
      nodes: [{ op: "StringNormalizer", inputs: ["t"], outputs: ["u"], attrs: LOWERCASE_ATTRS }],
    }),
  );
  const chars: string[] = [];
  for (let cp = 0; cp <= 0x10ffff; cp++) if (cp < 0xd800 || cp > 0xdfff) chars.push(String.fromCodePoint(cp));
  chars.push("İSTANBUL", "\u212Aelvin", "ΣΑΣ");
  const lowered = (await session.run({ t: new ort.Tensor("string", chars, [chars.length]) })).u!.data as string[];
  const differing = chars.filter((c, i) => tokenize(c).join(" ") !== (lowered[i]!.match(new RegExp(TOKEN_PATTERN, "g")) ?? []).join(" "));
  assert.deepEqual(differing, []);
  assert.equal(lowercase("İ"), "i", "the one code point where JavaScript's full case mapping differs");
});
