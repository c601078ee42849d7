// The served spam classifier as an ONNX graph: raw text in, class probabilities and
// a label out, with tokenising and TF-IDF inside the graph so clients send plain
// strings. Each step mirrors a function of text-features.ts (named below).
//
// The features are sparse: a sentence has a few dozen n-grams out of 5000 columns. The
// graph therefore works on the n-grams a text has, never on a dense [batch, columns]
// matrix: each n-gram becomes its column id by two hash lookups, and the TF-IDF
// weighting, the L2 norm and the dot product with the weights are sums over those ids
// (and their counts).
// onnxruntime's profiler showed the dense form (TfIdfVectorizer, then Log, Mul,
// ReduceSumSquare, Div and MatMul over every column) spending two thirds of a
// 32-text batch on columns that were zero (docs/bench.md, "The model graph").
import { buildModel, type Node } from "../lib/onnx-graph.js";
import { NORM_EPSILON, TOKEN_PATTERN, type Vocabulary } from "./text-features.js";

/** Everything the graph needs; float arrays are stored as float32. */
export interface SpamClassifierParams {
  vocab: Vocabulary;
  /** Per-column inverse document frequency. */
  idf: ArrayLike<number>;
  /** Logistic-regression weight per column (logit of spam). */
  weights: ArrayLike<number>;
  bias: number;
  /** Class names in output column order, e.g. ["ham", "spam"]. */
  classes: readonly string[];
  /** Stored as the model's metadata_props. */
  metadata: Record<string, string>;
}

/** StringNormalizer settings of lowercase(); an explicit locale, as minimal systems have no default one. */
export const LOWERCASE_ATTRS = { case_change_action: "LOWER", is_case_sensitive: 1, locale: "C.UTF-8" };

/** Tokenizer padding; it cannot match TOKEN_PATTERN, so it is never a vocabulary n-gram. */
const PAD = "<pad>";

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Integer keys of the vocabulary's n-grams. Every token that occurs in the vocabulary
 * (alone or in a bigram) gets a number 1..n in code-point order, any other token n + 1;
 * a unigram's key is its token's number t, a bigram's is t1 * stride + t2 with
 * stride = n + 2. Unigram keys stay below the stride and bigram keys start at it, so
 * one integer lookup maps both to their columns.
 */
export interface NgramKeys {
  /** Tokens numbered 1..tokens.length, in this order. */
  tokens: string[];
  /** Number of a token outside `tokens`. */
  unknownToken: number;
  stride: number;
  /** Key of each vocabulary column, in column order. */
  keys: number[];
}

export function ngramKeys(vocab: Vocabulary): NgramKeys {
  const tokens = [...new Set([...vocab.unigrams, ...vocab.bigrams.flatMap((b) => b.split(" "))])].sort(byCodePoint);
  const number = new Map(tokens.map((t, i) => [t, i + 1]));
  const stride = tokens.length + 2;
  const keys = [
    ...vocab.unigrams.map((u) => number.get(u)!),
    ...vocab.bigrams.map((b) => {
      const [first, second] = b.split(" ");
      return number.get(first!)! * stride + number.get(second!)!;
    }),
  ];
  return { tokens, unknownToken: tokens.length + 1, stride, keys };
}

export function buildSpamClassifierGraph(p: SpamClassifierParams): Uint8Array {
  const width = p.vocab.unigrams.length + p.vocab.bigrams.length;
  if (p.idf.length !== width || p.weights.length !== width) {
    throw new RangeError(`idf (${p.idf.length}) and weights (${p.weights.length}) must both have one entry per vocabulary column (${width})`);
  }
  const { tokens, unknownToken, stride, keys } = ngramKeys(p.vocab);
  // Column `width` collects every n-gram outside the vocabulary; its weights are 0.
  const outside = width;
  const allColumns = Array.from({ length: width + 1 }, (_, j) => j);
  const idfTimesWeight = new Float32Array(width + 1);
  const idfSquared = new Float32Array(width + 1);
  for (let j = 0; j < width; j++) {
    const idf = Math.fround(p.idf[j]!);
    idfTimesWeight[j] = idf * p.weights[j]!;
    idfSquared[j] = idf * idf;
  }
  const nodes: Node[] = [
    // tokenize(): lowercase() the whole text once, then regex tokens, padded per row to
    // the longest row ([batch, 0] when no row has a token; every step below accepts it)
    { op: "StringNormalizer", inputs: ["text"], outputs: ["lowered_text"], attrs: LOWERCASE_ATTRS },
    { op: "Tokenizer", domain: "com.microsoft", inputs: ["lowered_text"], outputs: ["tokens"], attrs: { mark: 0, pad_value: PAD, mincharnum: 1, tokenexp: TOKEN_PATTERN } },
    // ngrams(): every token's number, and every adjacent pair's bigram key
    { op: "LabelEncoder", domain: "ai.onnx.ml", inputs: ["tokens"], outputs: ["token_numbers"], attrs: { keys_strings: tokens, values_int64s: tokens.map((_, i) => i + 1), default_int64: unknownToken } },
    { op: "Slice", inputs: ["token_numbers", "zero", "minus_one", "one"], outputs: ["first_numbers"] },
    { op: "Slice", inputs: ["token_numbers", "one", "int_max", "one"], outputs: ["second_numbers"] },
    { op: "Mul", inputs: ["first_numbers", "stride"], outputs: ["first_scaled"] },
    { op: "Add", inputs: ["first_scaled", "second_numbers"], outputs: ["bigram_keys"] },
    { op: "Concat", inputs: ["token_numbers", "bigram_keys"], outputs: ["ngram_keys"], attrs: { axis: 1 } },
    { op: "LabelEncoder", domain: "ai.onnx.ml", inputs: ["ngram_keys"], outputs: ["columns"], attrs: { keys_int64s: keys, values_int64s: keys.map((_, j) => j), default_int64: outside } },
    // countVector(): each column's count in its row (TfIdfVectorizer over the column ids,
    // the outside column included), read back at every occurrence
    {
      op: "TfIdfVectorizer",
      inputs: ["columns"],
      outputs: ["counts"],
      attrs: { mode: "TF", min_gram_length: 1, max_gram_length: 1, max_skip_count: 0, ngram_counts: [0], ngram_indexes: allColumns, pool_int64s: allColumns },
    },
    { op: "GatherElements", inputs: ["counts", "columns"], outputs: ["count"], attrs: { axis: 1 } },
    // tfidfFeatures() and the dot product, summed over occurrences: an n-gram seen c times
    // adds log(1 + c) / c at each of its c occurrences, so log(1 + c) once in all
    { op: "Add", inputs: ["count", "one_f32"], outputs: ["count_plus_one"] },
    { op: "Log", inputs: ["count_plus_one"], outputs: ["log_tf"] },
    { op: "Div", inputs: ["log_tf", "count"], outputs: ["log_tf_share"] },
    { op: "Gather", inputs: ["idf_times_weight", "columns"], outputs: ["column_weight"] },
    { op: "Mul", inputs: ["column_weight", "log_tf_share"], outputs: ["weighted"] },
    { op: "ReduceSum", inputs: ["weighted", "axis_one"], outputs: ["dot"], attrs: { keepdims: 1 } },
    { op: "Gather", inputs: ["idf_squared", "columns"], outputs: ["column_idf_squared"] },
    { op: "Mul", inputs: ["log_tf_share", "log_tf"], outputs: ["log_tf_squared_share"] },
    { op: "Mul", inputs: ["column_idf_squared", "log_tf_squared_share"], outputs: ["squares"] },
    { op: "ReduceSum", inputs: ["squares", "axis_one"], outputs: ["sum_sq"], attrs: { keepdims: 1 } },
    // divided by max(L2 norm, epsilon)
    { op: "Sqrt", inputs: ["sum_sq"], outputs: ["norm"] },
    { op: "Max", inputs: ["norm", "norm_epsilon"], outputs: ["norm_safe"] },
    { op: "Div", inputs: ["dot", "norm_safe"], outputs: ["logit_nobias"] },
    // Two logit columns [0, w·x + b]: softmax of them is [1 - sigmoid, sigmoid], the
    // logistic model's probabilities, and ArgMax picks the label.
    { op: "Mul", inputs: ["logit_nobias", "zero_one"], outputs: ["logits_nobias"] },
    { op: "Add", inputs: ["logits_nobias", "bias"], outputs: ["logits"] },
    { op: "Softmax", inputs: ["logits"], outputs: ["probabilities"], attrs: { axis: 1 } },
    { op: "ArgMax", inputs: ["probabilities"], outputs: ["class_index"], attrs: { axis: 1, keepdims: 0 } },
    { op: "Gather", inputs: ["classes", "class_index"], outputs: ["label"], attrs: { axis: 0 } },
  ];
  return buildModel({
    name: "spam-classifier",
    docString: "Spam vs. ham text classifier (TF-IDF over unigrams and bigrams + logistic regression); input: subject and body text.",
    inputs: [{ name: "text", type: "string", shape: ["batch"] }],
    outputs: [
      { name: "probabilities", type: "float", shape: ["batch", p.classes.length] },
      { name: "label", type: "string", shape: ["batch"] },
    ],
    nodes,
    initializers: [
      { name: "zero", type: "int64", dims: [1], values: [0] },
      { name: "one", type: "int64", dims: [1], values: [1] },
      { name: "minus_one", type: "int64", dims: [1], values: [-1] },
      { name: "int_max", type: "int64", dims: [1], values: [2 ** 31 - 1] },
      { name: "axis_one", type: "int64", dims: [1], values: [1] },
      { name: "stride", type: "int64", dims: [], values: [stride] },
      { name: "one_f32", type: "float", dims: [], values: [1] },
      { name: "idf_times_weight", type: "float", dims: [width + 1], values: idfTimesWeight },
      { name: "idf_squared", type: "float", dims: [width + 1], values: idfSquared },
      { name: "norm_epsilon", type: "float", dims: [], values: [NORM_EPSILON] },
      { name: "zero_one", type: "float", dims: [2], values: [0, 1] },
      { name: "bias", type: "float", dims: [2], values: [0, p.bias] },
      { name: "classes", type: "string", dims: [p.classes.length], values: [...p.classes] },
    ],
    opsets: { "": 17, "com.microsoft": 1, "ai.onnx.ml": 2 },
    metadata: p.metadata,
  });
}
