// Text -> feature vector. Training uses this TypeScript code; spam-classifier-graph.ts
// builds the same steps from ONNX operators. TOKEN_PATTERN and the vocabulary are
// shared by both, and tests check that both produce the same numbers.

/**
 * Tokens are runs of ASCII letters/digits, plus "$" and "!" on their own (strong spam
 * cues), matched in the lowercased text.
 */
export const TOKEN_PATTERN = "[a-z0-9]+|[$!]";
const TOKEN_RE = new RegExp(TOKEN_PATTERN, "g");

/**
 * Lowercases as the graph's StringNormalizer (locale C.UTF-8, simple case mapping) does,
 * as far as tokens can tell: JavaScript's full mapping differs only in turning U+0130
 * (capital I with dot) into "i" + U+0307 instead of "i". A test compares both over every
 * Unicode code point.
 */
export function lowercase(text: string): string {
  return text.replaceAll("\u0130", "i").toLowerCase();
}

/** Lowercased tokens in order of appearance. */
export function tokenize(text: string): string[] {
  return Array.from(lowercase(text).matchAll(TOKEN_RE), (m) => m[0]);
}

/** Unigrams and contiguous bigrams ("a b") of a token list, in order. */
export function ngrams(tokens: readonly string[]): string[] {
  const out = tokens.slice();
  for (let i = 0; i + 1 < tokens.length; i++) out.push(`${tokens[i]} ${tokens[i + 1]}`);
  return out;
}

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export interface Vocabulary {
  /** Unigrams, sorted by code point; columns 0..unigrams.length-1. */
  unigrams: string[];
  /** Bigrams "a b", sorted; the columns after the unigrams. */
  bigrams: string[];
  /** n-gram -> column. */
  index: Map<string, number>;
}

export function vocabularyOf(unigrams: string[], bigrams: string[]): Vocabulary {
  const index = new Map<string, number>();
  [...unigrams, ...bigrams].forEach((g, i) => index.set(g, i));
  return { unigrams, bigrams, index };
}

/**
 * The `size` n-grams found in the most training documents (at least `minDf` of them);
 * ties are broken by code point order so the choice is deterministic.
 */
export function buildVocabulary(docs: readonly string[][], size: number, minDf: number): Vocabulary {
  const df = new Map<string, number>();
  for (const tokens of docs) {
    for (const g of new Set(ngrams(tokens))) df.set(g, (df.get(g) ?? 0) + 1);
  }
  const ranked = [...df].filter(([, n]) => n >= minDf).sort((a, b) => b[1] - a[1] || byCodePoint(a[0], b[0]));
  const chosen = ranked.slice(0, size).map(([g]) => g);
  return vocabularyOf(chosen.filter((g) => !g.includes(" ")).sort(byCodePoint), chosen.filter((g) => g.includes(" ")).sort(byCodePoint));
}

/** A sparse row: parallel arrays of column indices (ascending) and values. */
export interface SparseRow {
  cols: Int32Array;
  vals: Float64Array;
}

/** In-vocabulary n-gram counts of one token list. */
export function countVector(tokens: readonly string[], vocab: Vocabulary): SparseRow {
  const counts = new Map<number, number>();
  for (const g of ngrams(tokens)) {
    const col = vocab.index.get(g);
    if (col !== undefined) counts.set(col, (counts.get(col) ?? 0) + 1);
  }
  const cols = Int32Array.from([...counts.keys()].sort((a, b) => a - b));
  return { cols, vals: Float64Array.from(cols, (c) => counts.get(c)!) };
}

/** Smoothed inverse document frequency per column: ln((1 + n) / (1 + df)) + 1. */
export function inverseDocumentFrequency(rows: readonly SparseRow[], width: number): Float64Array {
  const df = new Float64Array(width);
  for (const r of rows) for (const c of r.cols) df[c]! += 1;
  return df.map((d) => Math.log((1 + rows.length) / (1 + d)) + 1);
}

/** Floor under the L2 norm, shared with the graph so an empty text divides by it, not by 0. */
export const NORM_EPSILON = 1e-12;

/**
 * The model's features from counts: log(1 + count) * idf, scaled to unit L2 norm
 * (an all-zero row stays zero). Sublinear counts stop one repeated word or HTML tag
 * from dominating a message; unit length makes long and short messages comparable.
 */
export function tfidfFeatures(counts: SparseRow, idf: ArrayLike<number>): SparseRow {
  const vals = counts.vals.map((c, i) => Math.log(1 + c) * idf[counts.cols[i]!]!);
  let sq = 0;
  for (const v of vals) sq += v * v;
  const norm = Math.max(Math.sqrt(sq), NORM_EPSILON);
  return { cols: counts.cols, vals: vals.map((v) => v / norm) };
}
