// Calibration: from a raw forest score to "how far into this agent's own tail", then to a score in
// [0, 1] where `threshold` is reached by about `contamination` of normal events and each band step
// means a decade further into the tail.

/** Points kept of the sorted out-of-bag training scores. */
const TABLE_SIZE = 512;

/** The empirical upper tail of training scores, with an exponential extrapolation past the maximum. */
export interface TailTable {
  /** Sorted (ascending) quantiles of the out-of-bag training scores. */
  readonly quantiles: Float64Array;
  /** How many training scores the table summarises. */
  readonly count: number;
  /** Mean excess over the upper quantile: the decay scale past the maximum. */
  readonly tailScale: number;
}

/** Builds the table from raw out-of-bag scores (NaN ignored). */
export function buildTailTable(scores: ArrayLike<number>, contamination: number): TailTable {
  const all = new Float64Array(scores.length);
  let count = 0;
  for (let i = 0; i < scores.length; i++) if (Number.isFinite(scores[i])) all[count++] = scores[i]!;
  const finite = all.subarray(0, count).sort();
  if (count === 0) return { quantiles: new Float64Array([0.5]), count: 1, tailScale: 0.01 };
  const size = Math.min(TABLE_SIZE, count);
  const quantiles = new Float64Array(size);
  for (let i = 0; i < size; i++)
    quantiles[i] = finite[Math.round((i * (count - 1)) / Math.max(1, size - 1))]!;
  const k = Math.max(5, Math.ceil(contamination * count));
  const top = finite.subarray(Math.max(0, count - k));
  const base = top[0]!;
  let sum = 0;
  for (let i = 0; i < top.length; i++) sum += top[i]! - base;
  const excess = sum / top.length;
  return { quantiles, count, tailScale: Math.max(excess, 1e-3) };
}

/** P(a normal event scores >= s): the share of training scores at or above s, extrapolated. */
export function tailProbability(table: TailTable, score: number): number {
  const { quantiles, count, tailScale } = table;
  const size = quantiles.length;
  const max = quantiles[size - 1]!;
  const floor = 1 / (count + 1);
  if (score > max) return floor * Math.exp(-(score - max) / tailScale);
  // Fraction of table points >= score, by binary search for the first point >= score.
  let lo = 0;
  let hi = size;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (quantiles[mid]! < score) lo = mid + 1;
    else hi = mid;
  }
  const atOrAbove = (size - lo) / size;
  return Math.max(floor, (atOrAbove * count + 1) / (count + 1));
}

/** Decades past `contamination` over which the score rises linearly from `threshold` towards 1. */
const DECADES_TO_FULL = 2;
/** Past this many decades (the CRITICAL band with the defaults), the rest is approached, never reached. */
const KNEE_DECADES = 1.8;
/** Decades over which the rest above the knee shrinks by a factor e. */
const TAIL_DECADES = 4;

/**
 * Maps a tail probability q to a calibrated score on a log scale: q = 1 is 0, q = c (the
 * contamination) is `threshold`, and below c each decade adds half of the rest up to 1.8 decades
 * (q = c/10 is halfway from threshold to 1: HIGH with the default bands; c/63 is 95% of the way:
 * CRITICAL). Beyond, the score keeps rising towards 1 without reaching it (1 only for q = 0), so
 * stronger evidence still ranks higher: alerts sort by score.
 */
export function calibratedScore(q: number, contamination: number, threshold: number): number {
  if (q >= 1) return 0;
  if (q >= contamination) return (threshold * Math.log(q)) / Math.log(contamination);
  const decades = Math.log10(contamination / q);
  if (decades <= KNEE_DECADES) return threshold + ((1 - threshold) * decades) / DECADES_TO_FULL;
  const knee = threshold + ((1 - threshold) * KNEE_DECADES) / DECADES_TO_FULL;
  return knee + (1 - knee) * -Math.expm1(-(decades - KNEE_DECADES) / TAIL_DECADES);
}

/** Inverse of {@link calibratedScore}: the tail probability a calibrated score stands for. */
export function tailOfScore(score: number, contamination: number, threshold: number): number {
  if (score < threshold) return contamination ** (score / threshold);
  const knee = threshold + ((1 - threshold) * KNEE_DECADES) / DECADES_TO_FULL;
  const decades =
    score <= knee
      ? ((score - threshold) / (1 - threshold)) * DECADES_TO_FULL
      : KNEE_DECADES - TAIL_DECADES * Math.log1p(-(score - knee) / (1 - knee));
  return contamination / 10 ** decades;
}
