// Rarity of a categorical value as learned from training: -ln of its Laplace-smoothed frequency.
// A value never seen gets the largest rarity the vocabulary can give, never an arbitrary code.

/** Smoothed -log frequency of categories (event types, tools, ...). */
export class Rarity {
  private readonly counts: Map<string, number>;
  private total = 0;
  private readonly alpha: number;

  constructor(entries: Iterable<readonly [string, number]> = [], alpha = 1) {
    this.alpha = alpha;
    this.counts = new Map();
    for (const [value, count] of entries) this.add(value, count);
  }

  add(value: string, count = 1): void {
    this.counts.set(value, (this.counts.get(value) ?? 0) + count);
    this.total += count;
  }

  /** How many times `value` was seen. */
  count(value: string): number {
    return this.counts.get(value) ?? 0;
  }

  /** Share of observations that were `value` (unsmoothed), 0 when nothing was seen. */
  share(value: string): number {
    return this.total > 0 ? (this.counts.get(value) ?? 0) / this.total : 0;
  }

  /** -ln((count + alpha) / (total + alpha * (distinct + 1))); the unseen value gets the maximum. */
  rarity(value: string): number {
    const denominator = this.total + this.alpha * (this.counts.size + 1);
    return -Math.log(((this.counts.get(value) ?? 0) + this.alpha) / denominator);
  }

  get distinct(): number {
    return this.counts.size;
  }

  get observations(): number {
    return this.total;
  }

  /** Entries, most frequent first (ties by name), for serialization. */
  entries(): Array<[string, number]> {
    return [...this.counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  }
}
