// The totals of an agent's window (all its day buckets together) that scoring needs: hour-of-week
// weights, category counts, dense histograms, events and failures. Kept up to date as events are
// recorded, so refreshing a profile does not merge every bucket again. Weights are whole numbers,
// so the running sums are exact and equal, bit for bit, to summing the buckets afresh (which is
// what happens after a load, an expiry or a removal).
import type { DayBucket } from './day-bucket.js';
import { DenseHistogram } from './distribution.js';

export const SLOTS = 168;

export class WindowTotals {
  /** Weight per hour-of-week slot (0 = Monday 00:00). */
  readonly slots = new Float64Array(SLOTS);
  readonly eventTypes = new Map<string, number>();
  readonly tools = new Map<string, number>();
  readonly resourceCount = new DenseHistogram();
  readonly duration = new DenseHistogram();
  readonly trailingCalls = new DenseHistogram();
  readonly trailingBurst = new DenseHistogram();
  readonly toolDurations = new Map<string, DenseHistogram>();
  readonly toolResources = new Map<string, DenseHistogram>();
  events = 0;
  failures = 0;

  /** Totals of the given buckets, summed afresh. */
  static of(buckets: Iterable<DayBucket>): WindowTotals {
    const totals = new WindowTotals();
    for (const bucket of buckets) totals.addBucket(bucket);
    return totals;
  }

  /** Takes a whole bucket out (it left the window). Exact: all weights are whole numbers. */
  subtractBucket(bucket: DayBucket): void {
    this.addBucket(bucket, -1);
  }

  private addBucket(bucket: DayBucket, sign: 1 | -1 = 1): void {
    const base = bucket.weekday * 24;
    for (let h = 0; h < 24; h++) this.slots[base + h]! += sign * bucket.slots[h]!;
    for (const [key, n] of bucket.eventTypes) addTo(this.eventTypes, key, sign * n);
    for (const [key, n] of bucket.tools) addTo(this.tools, key, sign * n);
    this.resourceCount.addBins(bucket.resourceCount, sign);
    this.duration.addBins(bucket.duration, sign);
    this.trailingCalls.addBins(bucket.trailingCalls, sign);
    this.trailingBurst.addBins(bucket.trailingBurst, sign);
    for (const [key, d] of bucket.toolDurations) histogramFor(this.toolDurations, key).addBins(d, sign);
    for (const [key, d] of bucket.toolResources) histogramFor(this.toolResources, key).addBins(d, sign);
    this.events += sign * bucket.events;
    this.failures += sign * bucket.failures;
    if (sign < 0) {
      // What a fresh sum would not have: categories and per-tool histograms that came to nothing.
      for (const map of [this.toolDurations, this.toolResources]) {
        for (const [key, histogram] of map) if (histogram.total === 0) map.delete(key);
      }
    }
  }
}

/** Adds `weight` (possibly negative) to a count; a count that reaches 0 is removed. */
export function addTo(map: Map<string, number>, key: string, weight: number): void {
  const count = (map.get(key) ?? 0) + weight;
  if (count === 0) map.delete(key);
  else map.set(key, count);
}

export function histogramFor(map: Map<string, DenseHistogram>, key: string): DenseHistogram {
  let histogram = map.get(key);
  if (!histogram) {
    histogram = new DenseHistogram();
    map.set(key, histogram);
  }
  return histogram;
}
