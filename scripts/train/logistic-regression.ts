// Binary logistic regression with L2 regularisation, trained full-batch with
// Nesterov-accelerated gradient descent: a convex problem, a fixed step from its
// smoothness bound and a fixed iteration count, so the result is deterministic.
import type { SparseRow } from "./text-features.js";

export interface LogisticModel {
  weights: Float64Array;
  bias: number;
}

export interface TrainOptions {
  /** L2 penalty on the weights (not the bias). */
  l2: number;
  /** Gradient steps. */
  iterations: number;
}

export interface TrainReport {
  /** Mean log-loss + penalty at the end. */
  objective: number;
  /** Euclidean norm of the full gradient at the end (0 at the optimum). */
  gradientNorm: number;
}

/** w·x + b for a sparse row. */
export function logit(model: LogisticModel, x: SparseRow): number {
  let z = model.bias;
  for (let k = 0; k < x.cols.length; k++) z += model.weights[x.cols[k]!]! * x.vals[k]!;
  return z;
}

/** log(1 + e^z) without overflow. */
function softplus(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

function sigmoid(z: number): number {
  return z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z));
}

/** Objective and gradient at `model`; gradient written into gw and returned with gb. */
function evaluate(model: LogisticModel, rows: readonly SparseRow[], labels: ArrayLike<number>, l2: number, gw: Float64Array) {
  gw.fill(0);
  let gb = 0;
  let loss = 0;
  const n = rows.length;
  for (let i = 0; i < n; i++) {
    const x = rows[i]!;
    const z = logit(model, x);
    const y = labels[i]!;
    loss += softplus(z) - y * z;
    const r = (sigmoid(z) - y) / n;
    gb += r;
    for (let k = 0; k < x.cols.length; k++) gw[x.cols[k]!]! += r * x.vals[k]!;
  }
  let penalty = 0;
  for (let j = 0; j < gw.length; j++) {
    const w = model.weights[j]!;
    penalty += w * w;
    gw[j]! += l2 * w;
  }
  return { objective: loss / n + (l2 / 2) * penalty, gb };
}

/**
 * Fits the model. Rows must have L2 norm <= 1: then with the bias input the Hessian's
 * largest eigenvalue is at most 1/4 * 2 + l2, and 1 / that is a safe step size.
 */
export function trainLogistic(rows: readonly SparseRow[], labels: ArrayLike<number>, width: number, opts: TrainOptions): { model: LogisticModel; report: TrainReport } {
  const step = 1 / (0.5 + opts.l2);
  const x: LogisticModel = { weights: new Float64Array(width), bias: 0 };
  let prev = { weights: new Float64Array(width), bias: 0 };
  const look: LogisticModel = { weights: new Float64Array(width), bias: 0 };
  const gw = new Float64Array(width);
  for (let k = 1; k <= opts.iterations; k++) {
    // Nesterov: evaluate at the look-ahead point x + (k-1)/(k+2) (x - prev)
    const m = (k - 1) / (k + 2);
    for (let j = 0; j < width; j++) look.weights[j] = x.weights[j]! + m * (x.weights[j]! - prev.weights[j]!);
    look.bias = x.bias + m * (x.bias - prev.bias);
    const { gb } = evaluate(look, rows, labels, opts.l2, gw);
    prev = { weights: x.weights.slice(), bias: x.bias };
    for (let j = 0; j < width; j++) x.weights[j] = look.weights[j]! - step * gw[j]!;
    x.bias = look.bias - step * gb;
  }
  const { objective, gb } = evaluate(x, rows, labels, opts.l2, gw);
  let g2 = gb * gb;
  for (const g of gw) g2 += g * g;
  return { model: x, report: { objective, gradientNorm: Math.sqrt(g2) } };
}
