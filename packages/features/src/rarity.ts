// Rarity of a categorical value as learned from training: -ln of its Laplace-smoothed frequency.
// A value never seen gets the largest rarity the vocabulary can give, never an arbitrary code.

/** Smoothed -log frequency of categories (event types, tools, ...). */
export class Rarity {
  private readonly counts: Map<string, number>;
  private total = 0;
  private readonly alpha: number;
  /** Rarity of every known value and of an unseen one, until the next `add`. */
  private cache: { values: Map<string, number>; unseen: number } | undefined;

  constructor(entries: Iterable<readonly [string, number]> = [], alpha = 1) {
    this.alpha = alpha;
    this.counts = new Map();
    for (const [value, count] of entries) this.add(value, count);
  }

  add(value: string, count = 1): void {
    this.counts.set(value, (this.counts.get(value) ?? 0) + count);
    this.total += count;
    this.cache = undefined;
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
    // Every event is scored this way twice: the logarithms are computed once per vocabulary.
    this.cache ??= this.rarities();
    return this.cache.values.get(value) ?? this.cache.unseen;
  }

  private rarities(): { values: Map<string, number>; unseen: number } {
    const denominator = this.total + this.alpha * (this.counts.size + 1);
    const values = new Map<string, number>();
    for (const [value, count] of this.counts)
      values.set(value, -Math.log((count + this.alpha) / denominator));
    return { values, unseen: -Math.log(this.alpha / denominator) };
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
