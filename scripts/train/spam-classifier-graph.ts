// The served spam classifier as an ONNX graph: raw text in, class probabilities and
// a label out, with tokenising and TF-IDF inside the graph so clients send plain
// strings. Each step mirrors a function of text-features.ts (named below).
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

export function buildSpamClassifierGraph(p: SpamClassifierParams): Uint8Array {
  const width = p.vocab.unigrams.length + p.vocab.bigrams.length;
  if (p.idf.length !== width || p.weights.length !== width) {
    throw new RangeError(`idf (${p.idf.length}) and weights (${p.weights.length}) must both have one entry per vocabulary column (${width})`);
  }
  // Two logit columns [0, w·x + b]: softmax of them is [1 - sigmoid, sigmoid], the
  // logistic model's probabilities, and ArgMax picks the label.
  const w2 = new Float32Array(width * 2);
  for (let j = 0; j < width; j++) w2[j * 2 + 1] = p.weights[j]!;
  const nodes: Node[] = [
    // tokenize(): lowercase() the whole text once, then regex tokens, padded per row to
    // the longest row ([batch, 0] when no row has a token, which TfIdfVectorizer accepts)
    { op: "StringNormalizer", inputs: ["text"], outputs: ["lowered_text"], attrs: LOWERCASE_ATTRS },
    { op: "Tokenizer", domain: "com.microsoft", inputs: ["lowered_text"], outputs: ["tokens"], attrs: { mark: 0, pad_value: PAD, mincharnum: 1, tokenexp: TOKEN_PATTERN } },
    // countVector(): unigram and contiguous bigram counts over the vocabulary
    {
      op: "TfIdfVectorizer",
      inputs: ["tokens"],
      outputs: ["counts"],
      attrs: {
        mode: "TF",
        min_gram_length: 1,
        max_gram_length: 2,
        max_skip_count: 0,
        ngram_counts: [0, p.vocab.unigrams.length],
        ngram_indexes: Array.from({ length: width }, (_, i) => i),
        pool_strings: [...p.vocab.unigrams, ...p.vocab.bigrams.flatMap((b) => b.split(" "))],
      },
    },
    // tfidfFeatures(): log(1 + count) * idf, divided by max(L2 norm, epsilon)
    { op: "Add", inputs: ["counts", "one_f32"], outputs: ["counts_plus_one"] },
    { op: "Log", inputs: ["counts_plus_one"], outputs: ["log_tf"] },
    { op: "Mul", inputs: ["log_tf", "idf"], outputs: ["tfidf"] },
    { op: "ReduceSumSquare", inputs: ["tfidf"], outputs: ["sum_sq"], attrs: { axes: [1], keepdims: 1 } },
    { op: "Sqrt", inputs: ["sum_sq"], outputs: ["norm"] },
    { op: "Max", inputs: ["norm", "norm_epsilon"], outputs: ["norm_safe"] },
    { op: "Div", inputs: ["tfidf", "norm_safe"], outputs: ["features"] },
    // the linear model and its outputs
    { op: "MatMul", inputs: ["features", "weights"], outputs: ["logits_nobias"] },
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
      { name: "one_f32", type: "float", dims: [], values: [1] },
      { name: "idf", type: "float", dims: [width], values: Float32Array.from(p.idf) },
      { name: "norm_epsilon", type: "float", dims: [], values: [NORM_EPSILON] },
      { name: "weights", type: "float", dims: [width, 2], values: w2 },
      { name: "bias", type: "float", dims: [2], values: [0, p.bias] },
      { name: "classes", type: "string", dims: [p.classes.length], values: [...p.classes] },
    ],
    opsets: { "": 17, "com.microsoft": 1 },
    metadata: p.metadata,
  });
}
