// Data -> trained, exported spam classifier, in memory. Deterministic: a seeded split,
// code-point ordered vocabulary, fixed-step full-batch training, no clocks or
// Math.random; the same config gives the same model bytes.
import { CLASSES, DATASET_PACKAGE, datasetVersion, loadExamples, splitExamples, type Example, type Split } from "./dataset.js";
import { trainLogistic, type TrainReport } from "./logistic-regression.js";
import { binaryMetrics, type BinaryMetrics } from "./metrics.js";
import { buildSpamClassifierGraph, type SpamClassifierParams } from "./spam-classifier-graph.js";
import { TOKEN_PATTERN, buildVocabulary, countVector, inverseDocumentFrequency, tfidfFeatures, tokenize } from "./text-features.js";

export interface TrainingConfig {
  /** Seed of the hold-out split. */
  seed: number;
  /** Share of each class held out for testing. */
  testFraction: number;
  /** Most unigrams + bigrams kept (by document frequency in the training split). */
  vocabularySize: number;
  /** An n-gram must occur in at least this many training messages. */
  minDocumentFrequency: number;
  /** L2 penalty of the logistic regression. */
  l2: number;
  /** Full-batch gradient steps. */
  iterations: number;
}

/**
 * The bundled model's settings. vocabularySize and l2 were chosen on a validation
 * split carved from the training split (select-hyperparameters.ts), never on the test split.
 */
export const TRAINING_CONFIG: TrainingConfig = {
  seed: 20021122,
  testFraction: 0.2,
  vocabularySize: 5000,
  minDocumentFrequency: 2,
  l2: 1e-5,
  iterations: 400,
};

export interface TrainingMetrics {
  model: { name: string; version: string; classes: readonly string[]; bytes: number };
  dataset: { package: string; version: string; messages: number; ham: number; spam: number; note: string };
  split: { seed: number; testFraction: number; train: { ham: number; spam: number }; test: { ham: number; spam: number } };
  features: { tokenPattern: string; ngrams: string; vocabulary: number; unigrams: number; bigrams: number; minDocumentFrequency: number; weighting: string };
  training: { algorithm: string; l2: number; iterations: number } & TrainReport;
  /** Of the exported float32 model; a test checks onnxruntime gives the same. */
  trainMetrics: BinaryMetrics;
  testMetrics: BinaryMetrics;
}

export interface TrainedSpamClassifier {
  modelBytes: Uint8Array;
  /** The exported parameters, float32-rounded as in the ONNX file. */
  params: SpamClassifierParams;
  metrics: TrainingMetrics;
  split: Split;
}

/** P(spam) of one text computed in TypeScript with the exported parameters: the reference the ONNX graph must match. */
export function spamProbability(params: SpamClassifierParams, text: string): number {
  const x = tfidfFeatures(countVector(tokenize(text), params.vocab), params.idf);
  let z = params.bias;
  for (let k = 0; k < x.cols.length; k++) z += params.weights[x.cols[k]!]! * x.vals[k]!;
  return 1 / (1 + Math.exp(-z));
}

/** Label index from P(spam), tie to ham exactly as the graph's ArgMax (first maximum). */
export const predictedLabel = (pSpam: number): 0 | 1 => (pSpam > 1 - pSpam ? 1 : 0);

/** Metrics of the classifier on labelled examples, computed with the TypeScript reference. */
export function evaluate(params: SpamClassifierParams, examples: readonly Example[]): BinaryMetrics {
  return binaryMetrics(
    examples.map((e) => e.label),
    examples.map((e) => predictedLabel(spamProbability(params, e.text))),
  );
}

const countClasses = (examples: readonly Example[]) => ({
  ham: examples.filter((e) => e.label === 0).length,
  spam: examples.filter((e) => e.label === 1).length,
});

export type FitConfig = Pick<TrainingConfig, "vocabularySize" | "minDocumentFrequency" | "l2" | "iterations">;

/** Vocabulary, idf and weights from training examples only; parameters float32-rounded as exported, metadata empty. */
export function fitSpamClassifier(train: readonly Example[], config: FitConfig): { params: SpamClassifierParams; report: TrainReport } {
  const tokens = train.map((e) => tokenize(e.text));
  const vocab = buildVocabulary(tokens, config.vocabularySize, config.minDocumentFrequency);
  const width = vocab.unigrams.length + vocab.bigrams.length;
  const counts = tokens.map((t) => countVector(t, vocab));
  // The graph stores float32: round idf before the features are made, so training sees what serving computes.
  const idf = Float32Array.from(inverseDocumentFrequency(counts, width));
  const rows = counts.map((c) => tfidfFeatures(c, idf));
  const { model, report } = trainLogistic(rows, train.map((e) => e.label), width, { l2: config.l2, iterations: config.iterations });
  const params: SpamClassifierParams = {
    vocab,
    idf,
    weights: Float32Array.from(model.weights),
    bias: Math.fround(model.bias),
    classes: CLASSES,
    metadata: {},
  };
  return { params, report };
}

export function trainSpamClassifier(config: TrainingConfig = TRAINING_CONFIG): TrainedSpamClassifier {
  const examples = loadExamples();
  const split = splitExamples(examples, config.testFraction, config.seed);
  const { params, report } = fitSpamClassifier(split.train, config);
  const version = datasetVersion();
  const trainMetrics = evaluate(params, split.train);
  const testMetrics = evaluate(params, split.test);
  params.metadata = {
    classes: JSON.stringify(CLASSES),
    input: "text: BYTES [batch], the message subject and body as plain text",
    outputs: "probabilities: FP32 [batch, 2] (ham, spam); label: BYTES [batch]",
    dataset: `${DATASET_PACKAGE}@${version} (SpamAssassin public corpus)`,
    training: JSON.stringify(config),
    test_accuracy: testMetrics.accuracy.toFixed(4),
    test_spam_f1: testMetrics.f1.toFixed(4),
    retrain: "npm run train",
  };
  const modelBytes = buildSpamClassifierGraph(params);
  const metrics: TrainingMetrics = {
    model: { name: "spam-classifier", version: "1", classes: CLASSES, bytes: modelBytes.length },
    dataset: {
      package: DATASET_PACKAGE,
      version,
      messages: examples.length,
      ...countClasses(examples),
      note: "headers removed except Subject; exact duplicate texts kept once",
    },
    split: { seed: config.seed, testFraction: config.testFraction, train: countClasses(split.train), test: countClasses(split.test) },
    features: {
      tokenPattern: TOKEN_PATTERN,
      ngrams: "unigrams + contiguous bigrams, lowercased",
      vocabulary: params.vocab.index.size,
      unigrams: params.vocab.unigrams.length,
      bigrams: params.vocab.bigrams.length,
      minDocumentFrequency: config.minDocumentFrequency,
      weighting: "log(1 + count) * smoothed idf, L2-normalised",
    },
    training: { algorithm: "L2-regularised logistic regression, Nesterov-accelerated full-batch gradient descent", l2: config.l2, iterations: config.iterations, ...report },
    trainMetrics,
    testMetrics,
  };
  return { modelBytes, params, metrics, split };
}
