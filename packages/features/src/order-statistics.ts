// Order statistics without a full sort. Fitting reads a handful of ranks per feature column (the
// 5th, 50th and 95th percentiles, minimum, maximum, the tails' sums); sorting every column of a
// 10,000-event reservoir took a quarter of a refit. Selection reads the same values: the ranks it
// places hold exactly what a sorted copy holds there, so results are bit-identical to sorting.
import { quantileSorted } from 'simple-statistics';

/** Ranges at most this long are sorted outright. */
const SMALL = 16;

/**
 * Rearranges `values` in place so that each listed rank k holds what `values[k]` would be were the
 * array sorted ascending, with no larger value before it and no smaller one after it. So a selected
 * rank reads as in a sorted array, and a range between two selected ranks holds exactly the sorted
 * array's values there (sort that range alone to have them in order). Ranks outside the array are
 * ignored. Expected O(n · log(ranks)); a pathological input falls back to sorting, O(n log n). No NaN.
 */
export function selectRanks(values: Float64Array, ranks: readonly number[]): void {
  const wanted = Float64Array.from(ranks.filter((k) => k >= 0 && k < values.length)).sort();
  if (wanted.length === 0) return;
  // Twice the depth of a balanced recursion, then sort what is left.
  const depth = 2 * Math.ceil(Math.log2(values.length + 1)) + 4;
  select(values, 0, values.length - 1, wanted, 0, wanted.length - 1, depth);
}

function select(
  a: Float64Array,
  low: number,
  high: number,
  ranks: Float64Array,
  firstRank: number,
  lastRank: number,
  depth: number,
): void {
  let lo = low;
  let hi = high;
  let rLo = firstRank;
  let rHi = lastRank;
  while (rLo <= rHi && hi > lo) {
    if (hi - lo < SMALL || depth-- <= 0) {
      a.subarray(lo, hi + 1).sort();
      return;
    }
    // Hoare partition around the median of three; both scans stop on values equal to the pivot,
    // so columns of few distinct values (flags, hours) still split in the middle.
    const mid = lo + ((hi - lo) >> 1);
    const pivot = medianOfThree(a[lo]!, a[mid]!, a[hi]!);
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i]! < pivot) i++;
      while (a[j]! > pivot) j--;
      if (i <= j) {
        const t = a[i]!;
        a[i] = a[j]!;
        a[j] = t;
        i++;
        j--;
      }
    }
    // Now a[lo..j] <= pivot <= a[i..hi], and anything between j and i equals the pivot (placed).
    let leftEnd = rLo - 1;
    while (leftEnd < rHi && ranks[leftEnd + 1]! <= j) leftEnd++;
    let rightStart = rHi + 1;
    while (rightStart > rLo && ranks[rightStart - 1]! >= i) rightStart--;
    // Recurse into the side with fewer ranks, loop on the other.
    if (leftEnd - rLo < rHi - rightStart) {
      select(a, lo, j, ranks, rLo, leftEnd, depth);
      lo = i;
      rLo = rightStart;
    } else {
      select(a, i, hi, ranks, rightStart, rHi, depth);
      hi = j;
      rHi = leftEnd;
    }
  }
}

function medianOfThree(x: number, y: number, z: number): number {
  return Math.max(Math.min(x, y), Math.min(Math.max(x, y), z));
}

/** The ranks `quantileSorted(sorted, p)` reads (R's type 7: between floor and ceil of (n - 1)p). */
function quantileRanks(n: number, p: number): number[] {
  const index = (n - 1) * p;
  return [Math.floor(index), Math.ceil(index)];
}

/**
 * The p-quantiles of `values` (linear interpolation, R's type 7, as simple-statistics'
 * `quantileSorted`), selecting instead of sorting. `values` is rearranged; `alsoRanks` are selected
 * in the same pass (see {@link selectRanks}). At least one value.
 */
export function quantilesInPlace(
  values: Float64Array,
  ps: readonly number[],
  alsoRanks: readonly number[] = [],
): number[] {
  selectRanks(values, [...ps.flatMap((p) => quantileRanks(values.length, p)), ...alsoRanks]);
  // quantileSorted only indexes its argument at the ranks selected above.
  return ps.map((p) => quantileSorted(values as unknown as number[], p));
}
