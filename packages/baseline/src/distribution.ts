// Mergeable summaries of one numeric quantity: moments (count, mean, variance; merged with
// simple-statistics' combineMeans/combineVariances) and a sparse histogram in log1p space for
// robust statistics (median, MAD) without keeping the values.
import { combineMeans, combineVariances } from 'simple-statistics';

/** Histogram resolution in ln(1 + x): 0.05 ≈ 5% relative width per bin. */
export const BIN_WIDTH = 0.05;

export class Distribution {
  count = 0;
  mean = 0;
  /** Population variance of the raw values. */
  variance = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  /** ln(1 + x) bin index → weight. */
  readonly bins = new Map<number, number>();

  add(value: number, weight = 1): void {
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
    const bin = binOf(value);
    this.bins.set(bin, (this.bins.get(bin) ?? 0) + weight);
  }

  /** Removes a value added before (for confirmed anomalies). Min and max are kept. */
  remove(value: number, weight = 1): void {
    const bin = binOf(value);
    const inBin = this.bins.get(bin) ?? 0;
    if (inBin < weight || this.count < weight) return;
    if (inBin === weight) this.bins.delete(bin);
    else this.bins.set(bin, inBin - weight);
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
    if (this.count === 0) {
      this.mean = other.mean;
      this.variance = other.variance;
    } else {
      const mean = combineMeans(this.mean, this.count, other.mean, other.count);
      this.variance = combineVariances(
        this.variance,
        this.mean,
        this.count,
        other.variance,
        other.mean,
        other.count,
      );
      this.mean = mean;
    }
    this.count += other.count;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
    for (const [bin, weight] of other.bins) this.bins.set(bin, (this.bins.get(bin) ?? 0) + weight);
  }
}

/** The bin centre a raw value falls in, in ln(1 + x) space (values are compared at bin resolution). */
export function binValue(value: number): number {
  return binCenter(binOf(value));
}

export function binOf(value: number): number {
  return Math.floor(Math.log1p(value) / BIN_WIDTH);
}

function binCenter(bin: number): number {
  return (bin + 0.5) * BIN_WIDTH;
}

/** Robust location and scale of a distribution in ln(1 + x) space, and its empirical upper tail. */
export interface RobustSummary {
  /** Distinct values (bin centres) ascending, and the weight at or above each. */
  readonly values: Float64Array;
  readonly atOrAbove: Float64Array;
  readonly total: number;
  /** Median of ln(1 + x). */
  readonly logMedian: number;
  /** Median absolute deviation of ln(1 + x). */
  readonly logMad: number;
  /** Mean and standard deviation of ln(1 + x), from the histogram. */
  readonly logMean: number;
  readonly logStd: number;
}

/** Median and MAD (and mean/std) of ln(1 + x) from the histogram, at bin resolution. */
export function robustSummary(distribution: Distribution): RobustSummary {
  const entries = [...distribution.bins].sort((a, b) => a[0] - b[0]);
  return summariseWeighted(entries.map(([bin, w]) => [binCenter(bin), w] as const));
}

/** The same summary from (value, weight) pairs sorted by value. */
export function summariseWeighted(pairs: ReadonlyArray<readonly [number, number]>): RobustSummary {
  const total = pairs.reduce((sum, [, w]) => sum + w, 0);
  const values = Float64Array.from(pairs, ([v]) => v);
  const atOrAbove = new Float64Array(pairs.length);
  let running = 0;
  for (let i = pairs.length - 1; i >= 0; i--) {
    running += pairs[i]![1];
    atOrAbove[i] = running;
  }
  if (total === 0) return { values, atOrAbove, total, logMedian: 0, logMad: 0, logMean: 0, logStd: 0 };
  const logMedian = weightedMedian(pairs, total);
  const deviations = pairs.map(([v, w]) => [Math.abs(v - logMedian), w] as const).sort((a, b) => a[0] - b[0]);
  const logMad = weightedMedian(deviations, total);
  let sum = 0;
  for (const [v, w] of pairs) sum += v * w;
  const logMean = sum / total;
  let squares = 0;
  for (const [v, w] of pairs) squares += (v - logMean) ** 2 * w;
  return { values, atOrAbove, total, logMedian, logMad, logMean, logStd: Math.sqrt(squares / total) };
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

/** Median of sorted (value, weight) pairs. */
function weightedMedian(sorted: ReadonlyArray<readonly [number, number]>, total: number): number {
  let seen = 0;
  for (const [value, weight] of sorted) {
    seen += weight;
    if (seen >= total / 2) return value;
  }
  return sorted[sorted.length - 1]![0];
}
