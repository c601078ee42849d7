import { test } from "node:test";
import assert from "node:assert/strict";
import { buildVocabulary, countVector, inverseDocumentFrequency, ngrams, tfidfFeatures, tokenize, vocabularyOf } from "../../../scripts/train/text-features.js";

test("tokens are lowercased ASCII letter/digit runs plus single $ and !", () => {
  assert.deepEqual(tokenize("Win $1,000 NOW!! café-au-lait e-mail_2"), ["win", "$", "1", "000", "now", "!", "!", "caf", "au", "lait", "e", "mail", "2"]);
  assert.deepEqual(tokenize("  ... — "), []);
});

test("n-grams are the unigrams then the contiguous bigrams", () => {
  assert.deepEqual(ngrams(["a", "b", "c"]), ["a", "b", "c", "a b", "b c"]);
  assert.deepEqual(ngrams(["a"]), ["a"]);
});

test("the vocabulary keeps the n-grams in most documents, ties by code point, unigrams before bigrams", () => {
  const docs = [["free", "money"], ["free", "money"], ["free", "cash"], ["cash", "now"], ["zzz"]];
  const v = buildVocabulary(docs, 4, 2);
  // df: free 3, money 2, cash 2, "free money" 2; "now", "zzz", "free cash", "cash now" occur once (below minDf)
  assert.deepEqual(v.unigrams, ["cash", "free", "money"]);
  assert.deepEqual(v.bigrams, ["free money"]);
  assert.deepEqual([...v.index], [["cash", 0], ["free", 1], ["money", 2], ["free money", 3]]);
  assert.deepEqual(buildVocabulary(docs, 2, 1).unigrams, ["cash", "free"], "size cut: cash (2) beats money (2) by code point");
});

test("count vectors count in-vocabulary n-grams per column, ascending", () => {
  const v = vocabularyOf(["a", "b"], ["a b"]);
  const row = countVector(["b", "a", "b", "x", "a", "b"], v);
  assert.deepEqual(Array.from(row.cols), [0, 1, 2]);
  assert.deepEqual(Array.from(row.vals), [2, 3, 2]);
});

test("idf is ln((1 + n) / (1 + df)) + 1 and features are log(1 + tf) * idf at unit length", () => {
  const rows = [countVector(["a"], vocabularyOf(["a", "b"], [])), countVector(["a", "b", "b"], vocabularyOf(["a", "b"], []))];
  const idf = inverseDocumentFrequency(rows, 2);
  assert.deepEqual(Array.from(idf), [1, Math.log(3 / 2) + 1]);
  const f = tfidfFeatures(rows[1]!, idf);
  const raw = [Math.log(2) * 1, Math.log(3) * idf[1]!];
  const norm = Math.hypot(...raw);
  assert.deepEqual(Array.from(f.vals), raw.map((x) => x / norm));
  assert.deepEqual(Array.from(tfidfFeatures({ cols: new Int32Array(0), vals: new Float64Array(0) }, idf).vals), []);
});
