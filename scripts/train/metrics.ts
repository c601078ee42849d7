// Classification metrics for the positive class (spam = 1).

export interface BinaryMetrics {
  n: number;
  accuracy: number;
  precision: number;
  recall: number;
  f1: number;
  confusion: { truePositive: number; falsePositive: number; trueNegative: number; falseNegative: number };
}

/** Metrics of `predicted` against `actual` (both 0/1, same length). */
export function binaryMetrics(actual: ArrayLike<number>, predicted: ArrayLike<number>): BinaryMetrics {
  if (actual.length !== predicted.length) throw new RangeError(`${actual.length} labels but ${predicted.length} predictions`);
  let tp = 0, fp = 0, tn = 0, fn = 0;
  for (let i = 0; i < actual.length; i++) {
    const y = actual[i], p = predicted[i];
    if (p === 1) y === 1 ? tp++ : fp++;
    else y === 1 ? fn++ : tn++;
  }
  const n = actual.length;
  const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
  return {
    n,
    accuracy: ratio(tp + tn, n),
    precision: ratio(tp, tp + fp),
    recall: ratio(tp, tp + fn),
    f1: ratio(2 * tp, 2 * tp + fp + fn),
    confusion: { truePositive: tp, falsePositive: fp, trueNegative: tn, falseNegative: fn },
  };
}
