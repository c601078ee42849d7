// The training pipeline reproduces the committed model, and the ONNX graph computes
// exactly the features and probabilities the TypeScript training code computes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { spamProbability, trainSpamClassifier } from "../../../scripts/train/pipeline.js";
import { MODEL_DIR, trainingOutputs } from "../../../scripts/train/train-spam-classifier.js";

const trained = trainSpamClassifier();

async function runGraph(session: ort.InferenceSession, texts: string[]) {
  const out = await session.run({ text: new ort.Tensor("string", texts, [texts.length]) });
  return { p: out.probabilities!, label: out.label!.data as string[] };
}

test("`npm run train` reproduces the committed model, metrics and card byte for byte", async () => {
  for (const [file, expected] of Object.entries(trainingOutputs(trained))) {
    const committed = await readFile(path.join(MODEL_DIR, file));
    const want = typeof expected === "string" ? Buffer.from(expected) : Buffer.from(expected);
    assert.ok(committed.equals(want), `${file} differs from what the pipeline produces; run \`npm run train\` and commit`);
  }
});

test("the in-graph vectoriser and classifier match the TypeScript reference on the whole test split (within 1e-5)", async () => {
  const session = await ort.InferenceSession.create(trained.modelBytes);
  const texts = trained.split.test.map((e) => e.text);
  let worst = 0;
  for (let i = 0; i < texts.length; i += 64) {
    const batch = texts.slice(i, i + 64);
    const { p, label } = await runGraph(session, batch);
    assert.deepEqual(p.dims, [batch.length, 2]);
    batch.forEach((text, j) => {
      const ref = spamProbability(trained.params, text);
      const ham = (p.data as Float32Array)[2 * j]!, spam = (p.data as Float32Array)[2 * j + 1]!;
      worst = Math.max(worst, Math.abs(spam - ref), Math.abs(ham - (1 - ref)));
      assert.equal(label[j], ref > 0.5 ? "spam" : "ham", `label of test message ${i + j}`);
    });
  }
  assert.ok(worst < 1e-5, `largest probability difference ${worst}`);
});

test("edge cases of tokenising agree too: empty, no tokens, case, Unicode, symbols, mixed lengths in one batch", async () => {
  const session = await ort.InferenceSession.create(trained.modelBytes);
  const texts = [
    "",
    "   ...  ---  ",
    "FREE money!!! $$$ CLICK HERE",
    "free money!!! $$$ click here",
    "İSTANBUL Straße Ünïcödé \u212Aelvin café naïve — “quotes” 日本語のテキスト",
    "<html><body><font color=3D#ff0000>Act now</font></body></html>",
    "Re: the build is broken again\n\nCan you look at the CVS log? Thanks",
    "a".repeat(10_000),
  ];
  const { p, label } = await runGraph(session, texts);
  texts.forEach((text, j) => {
    const ref = spamProbability(trained.params, text);
    assert.ok(Math.abs((p.data as Float32Array)[2 * j + 1]! - ref) < 1e-5, `text ${j}: ${(p.data as Float32Array)[2 * j + 1]} vs ${ref}`);
    assert.equal(label[j], ref > 0.5 ? "spam" : "ham");
  });
  // case does not matter: only lowercased tokens are features
  assert.equal((p.data as Float32Array)[5], (p.data as Float32Array)[7]);
  // a text without tokens gets the bias alone, the same as an empty text
  assert.equal((p.data as Float32Array)[1], (p.data as Float32Array)[3]);
});

test("a batch of only token-free texts still runs (the graph pads instead of producing an empty tensor)", async () => {
  const session = await ort.InferenceSession.create(trained.modelBytes);
  const { p, label } = await runGraph(session, ["", "  ...  "]);
  assert.deepEqual(p.dims, [2, 2]);
  assert.deepEqual(label, ["ham", "ham"]);
});
