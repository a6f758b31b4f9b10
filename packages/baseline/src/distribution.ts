// Mergeable summaries of one numeric quantity: moments (count, mean, variance; merged with
// simple-statistics' combineMeans/combineVariances) and a sparse histogram in log1p space for
// robust statistics (median, MAD) without keeping the values.
import { combineMeans, combineVariances } from 'simple-statistics';
import { upperNormalTail } from './surprise.js';

/** Histogram resolution in ln(1 + x): 0.05 ≈ 5% relative width per bin. */
export const BIN_WIDTH = 0.05;

/** Count, mean, population variance, min and max of a quantity. */
interface Moments {
  count: number;
  mean: number;
  variance: number;
  min: number;
  max: number;
}

/** Adds `other`'s moments to `target` (simple-statistics' combineMeans and combineVariances). */
function mergeMoments(target: Moments, other: Moments): void {
  if (target.count === 0) {
    target.mean = other.mean;
    target.variance = other.variance;
  } else {
    const mean = combineMeans(target.mean, target.count, other.mean, other.count);
    target.variance = combineVariances(
      target.variance,
      target.mean,
      target.count,
      other.variance,
      other.mean,
      other.count,
    );
    target.mean = mean;
  }
  target.count += other.count;
  target.min = Math.min(target.min, other.min);
  target.max = Math.max(target.max, other.max);
}

export class Distribution {
  count = 0;
  mean = 0;
  /** Population variance of the raw values. */
  variance = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /**
   * The histogram, flat: ln(1 + x) bin index, weight, bin index, weight, ... in the order the bins
   * first got weight (a Map's order, in about half its memory: a full window holds hundreds of these
   * per agent, most with a handful of bins).
   */
  readonly bins: number[] = [];

  /** How many bins hold weight. */
  get binCount(): number {
    return this.bins.length >> 1;
  }

  /** Adds weight to a bin (appending the bin when new). */
  addToBin(bin: number, weight: number): void {
    const at = this.positionOf(bin);
    if (at < 0) this.bins.push(bin, weight);
    else this.bins[at + 1]! += weight;
  }

  /** Where the bin's index sits in `bins`, or -1. */
  private positionOf(bin: number): number {
    const bins = this.bins;
    for (let i = 0; i < bins.length; i += 2) if (bins[i] === bin) return i;
    return -1;
  }

  /** Adds a value; `bin` is `binOf(value)`, when the caller has it already. */
  add(value: number, weight = 1, bin = binOf(value)): void {
    // One weighted observation (West's update of mean and population variance); whole
    // distributions are merged with simple-statistics' combineMeans/combineVariances below.
    const count = this.count + weight;
    const delta = value - this.mean;
    const mean = this.mean + (delta * weight) / count;
    this.variance = (this.variance * this.count + weight * delta * (value - mean)) / count;
    this.mean = mean;
    this.count = count;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    this.addToBin(bin, weight);
  }

  /** Removes a value added before (for confirmed anomalies). Min and max are kept. */
  remove(value: number, weight = 1): void {
    const at = this.positionOf(binOf(value));
    const inBin = at < 0 ? 0 : this.bins[at + 1]!;
    if (inBin < weight || this.count < weight) return;
    if (inBin === weight) this.bins.splice(at, 2);
    else this.bins[at + 1] = inBin - weight;
    const remaining = this.count - weight;
    if (remaining <= 0) {
      this.count = 0;
      this.mean = 0;
      this.variance = 0;
      return;
    }
    const mean = (this.mean * this.count - value * weight) / remaining;
    // Inverse of combineVariances: total sum of squares minus the value's share.
    const sumSquares = this.count * (this.variance + this.mean ** 2) - weight * value ** 2;
    this.variance = Math.max(0, sumSquares / remaining - mean ** 2);
    this.mean = mean;
    this.count = remaining;
  }

  merge(other: Distribution): void {
    if (other.count === 0) return;
    mergeMoments(this, other);
    const bins = other.bins;
    for (let i = 0; i < bins.length; i += 2) this.addToBin(bins[i]!, bins[i + 1]!);
  }
}

/**
 * A dense histogram (bin index → weight) of non-negative values (counts, durations, so bins are
 * too): adding is an array write and summaries need no sort. `total` is the sum of the weights.
 */
export class DenseHistogram {
  total = 0;
  weights = new Float64Array(64);

  addBin(bin: number, weight: number): void {
    if (bin >= this.weights.length) {
      const grown = new Float64Array(Math.max(bin + 1, this.weights.length * 2));
      grown.set(this.weights);
      this.weights = grown;
    }
    this.weights[bin]! += weight;
    this.total += weight;
  }

  addValue(value: number, weight = 1): void {
    this.addBin(binOf(value), weight);
  }

  /** Adds (`sign` 1) or takes out (-1) the bins of a distribution. */
  addBins(other: Distribution, sign: 1 | -1 = 1): void {
    const bins = other.bins;
    for (let i = 0; i < bins.length; i += 2) this.addBin(bins[i]!, sign * bins[i + 1]!);
  }
}

/**
 * Distributions merged into one (a window's day buckets, for the baseline's report): the same
 * moments as {@link Distribution.merge}, and the histogram dense.
 */
export class MergedDistribution extends DenseHistogram {
  count = 0;
  mean = 0;
  variance = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  merge(other: Distribution): void {
    if (other.count === 0) return;
    mergeMoments(this, other);
    this.addBins(other);
  }
}

/** The bin centre a raw value falls in, in ln(1 + x) space (values are compared at bin resolution). */
export function binValue(value: number): number {
  return binCenter(binOf(value));
}

/** Bins of the whole numbers below 4,096 (counts are most of what is binned), computed as {@link binOf} does. */
const SMALL_BINS = Int32Array.from({ length: 4096 }, (_, n) => Math.floor(Math.log1p(n) / BIN_WIDTH));

export function binOf(value: number): number {
  if (value >= 0 && value < 4096 && (value | 0) === value) return SMALL_BINS[value]!;
  return Math.floor(Math.log1p(value) / BIN_WIDTH);
}

function binCenter(bin: number): number {
  return (bin + 0.5) * BIN_WIDTH;
}

/** Robust location and scale of a distribution in ln(1 + x) space, and its empirical upper tail. */
export interface RobustSummary {
  /** Distinct values (bin centres) ascending, and the weight at or above each. */
  readonly values: readonly number[];
  readonly atOrAbove: readonly number[];
  readonly total: number;
  /** Median of ln(1 + x). */
  readonly logMedian: number;
  /** Median absolute deviation of ln(1 + x). */
  readonly logMad: number;
  /** Mean and standard deviation of ln(1 + x), from the histogram. */
  readonly logMean: number;
  readonly logStd: number;
  /**
   * How heavy the upper tail is: the Hill estimate (mean excess in ln(1 + x) over the top 5% of the
   * weight, at least 10) of 1/alpha, were the values Pareto above there; 0 when too few to tell.
   */
  readonly tailIndex: number;
}

/**
 * Median and MAD (and mean/std) of ln(1 + x) from the histogram, at bin resolution: passes over the
 * bins in order (profiles compute a dozen of these each time they are rebuilt). Plain arrays of
 * numbers: a typed array this size costs an allocation outside the heap, several times dearer.
 */
export function robustSummary(distribution: {
  readonly weights: Float64Array;
  /** The bin of `weights[0]` (a histogram that holds a range of bins only). Default 0. */
  readonly base?: number;
}): RobustSummary {
  const dense = distribution.weights;
  const base = distribution.base ?? 0;
  const values: number[] = [];
  const weights: number[] = [];
  let total = 0;
  for (let i = 0; i < dense.length; i++) {
    if (dense[i] === 0) continue;
    values.push(binCenter(base + i));
    weights.push(dense[i]!);
    total += dense[i]!;
  }
  const n = values.length;
  // Summed from the top, pushed in that order and then reversed (a packed array, no holes).
  const atOrAbove: number[] = [];
  let running = 0;
  for (let i = n - 1; i >= 0; i--) {
    running += weights[i]!;
    atOrAbove.push(running);
  }
  atOrAbove.reverse();
  if (total === 0)
    return { values, atOrAbove, total, logMedian: 0, logMad: 0, logMean: 0, logStd: 0, tailIndex: 0 };
  const half = total / 2;
  // Weighted median: the first value at which the cumulative weight reaches half.
  let m = n - 1;
  let seen = 0;
  for (let i = 0; i < n; i++) {
    seen += weights[i]!;
    if (seen >= half) {
      m = i;
      break;
    }
  }
  const logMedian = values[m]!;
  // Weighted MAD: deviations |v - median| in increasing order are a merge of the values below the
  // median (walking down) and those from it up (walking up); no sort needed.
  let below = m - 1;
  let above = m;
  let logMad = 0;
  seen = 0;
  while (below >= 0 || above < n) {
    const down = below >= 0 ? logMedian - values[below]! : Number.POSITIVE_INFINITY;
    const up = above < n ? values[above]! - logMedian : Number.POSITIVE_INFINITY;
    let deviation: number;
    if (up <= down) {
      deviation = up;
      seen += weights[above++]!;
    } else {
      deviation = down;
      seen += weights[below--]!;
    }
    logMad = deviation;
    if (seen >= half) break;
  }
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]! * weights[i]!;
  const logMean = sum / total;
  let squares = 0;
  for (let i = 0; i < n; i++) squares += (values[i]! - logMean) ** 2 * weights[i]!;
  return {
    values,
    atOrAbove,
    total,
    logMedian,
    logMad,
    logMean,
    logStd: Math.sqrt(squares / total),
    tailIndex: hillIndex(values, weights, atOrAbove, total),
  };
}

/** Fewest values for a tail index. */
const MIN_TAIL_VALUES = 20;

/**
 * The Hill estimate of a tail's 1/alpha in ln(1 + x) space: the weighted mean excess over the
 * threshold below the top 5% of the weight (at least 10), 0 when there are too few values or the
 * top is a single bin.
 */
function hillIndex(
  values: readonly number[],
  weights: readonly number[],
  atOrAbove: readonly number[],
  total: number,
): number {
  return meanExcess(values, weights, atOrAbove, total, (v) => v);
}

/**
 * The mean excess, in the values' own units, over the threshold below the top 5% of the weight (at
 * least 10): the scale of an exponential fitted to the top of the distribution. 0 when there are
 * too few values or the top is a single bin.
 */
export function topExcess(summary: RobustSummary): number {
  const { values, atOrAbove, total } = summary;
  const weights = atOrAbove.map((at, i) => at - (atOrAbove[i + 1] ?? 0));
  return meanExcess(values, weights, atOrAbove, total, Math.expm1);
}

/**
 * The weighted mean of `f(value) - f(threshold)` over the values above the threshold: the highest
 * value with at least the top 5% of the weight (at least 10) at or above it. 0 when there are too
 * few values or the top is a single bin.
 */
function meanExcess(
  values: readonly number[],
  weights: readonly number[],
  atOrAbove: readonly number[],
  total: number,
  f: (value: number) => number,
): number {
  if (total < MIN_TAIL_VALUES) return 0;
  const k = Math.max(10, 0.05 * total);
  let j = values.length - 1;
  while (j > 0 && atOrAbove[j]! < k) j--;
  const above = j + 1 < values.length ? atOrAbove[j + 1]! : 0;
  if (above === 0) return 0;
  const threshold = f(values[j]!);
  let excess = 0;
  for (let i = j + 1; i < values.length; i++) excess += weights[i]! * (f(values[i]!) - threshold);
  return excess / above;
}

/** (weight at or above `value` + 1) / (total + 1): the smoothed empirical upper tail. */
export function empiricalTail(summary: RobustSummary, value: number): number {
  const { values, atOrAbove, total } = summary;
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! < value - 1e-12) lo = mid + 1;
    else hi = mid;
  }
  const above = lo < values.length ? atOrAbove[lo]! : 0;
  return (above + 1) / (total + 1);
}

/** Scale floor in ln(1 + x) units (about 10%), so constant histories do not make every change infinite. */
const MIN_LOG_SCALE = 0.1;
/** 1.4826 * MAD estimates a normal standard deviation. */
const MAD_TO_SIGMA = 1.4826;

/** The scale values are judged by, in ln(1 + x): 1.4826 MAD (`robust`) or the standard deviation, at least 0.1. */
export function logScale(summary: RobustSummary, robust: boolean): number {
  return Math.max(robust ? MAD_TO_SIGMA * summary.logMad : summary.logStd, MIN_LOG_SCALE);
}

/**
 * P(an ordinary value >= x), judged in ln(1 + x) space against median/MAD (`robust`) or mean/std.
 * Inside the observed range the smoothed empirical tail is used (exact for discrete data), or the
 * normal tail of the z-score if that is larger; past the largest value seen, 1/(n + 1) times how
 * fast the normal tail decays from there, so far-out values get far smaller probabilities. With
 * `heavy` (durations, rows, cpu: quantities whose tails are heavy), past the largest value the tail
 * decays no faster than the values' own top did (a Pareto of their Hill index), so an ordinary
 * long call beyond what the history happened to hold is not called all but impossible.
 */
export function upperTail(x: number, summary: RobustSummary, robust: boolean, heavy = false): number {
  const value = Math.log1p(x);
  const scale = logScale(summary, robust);
  const center = robust ? summary.logMedian : summary.logMean;
  const max = summary.values.length ? summary.values[summary.values.length - 1]! : center;
  const bin = binValue(x);
  const z = (value - center) / scale;
  if (bin <= max) {
    const empirical = empiricalTail(summary, bin);
    // The normal tail is at most e^(-z^2/2) / 2 for z >= 0: when the empirical tail is at least
    // that, it is the larger of the two, and the normal tail need not be computed.
    if (z >= 0 && empirical >= 0.5 * Math.exp(-0.5 * z * z)) return empirical;
    return Math.max(empirical, upperNormalTail(z));
  }
  const tail = upperNormalTail(z);
  const atMax = upperNormalTail((max - center) / scale);
  const normal = atMax > 0 ? Math.min(1, tail / atMax) : 0;
  // A quantity whose tail is heavy (durations, work done) decays past its largest value as its own
  // top values did (Pareto, by their Hill index), when that is slower than the normal's decay.
  const fitted = heavy && summary.tailIndex > 0 ? Math.exp(-(value - max) / summary.tailIndex) : 0;
  return (1 / (summary.total + 1)) * Math.max(normal, fitted);
}
