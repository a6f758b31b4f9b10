import fc from 'fast-check';
import { quantileSorted } from 'simple-statistics';
import { describe, expect, it } from 'vitest';
import { quantilesInPlace, selectRanks } from '../src/index.js';

// Values with many repeats (flags, hours) as well as spread-out ones, and arrays long enough to
// partition rather than fall straight to sorting.
const values = fc.oneof(
  fc.array(fc.double({ min: -1e6, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 400 }),
  fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 400 }),
  fc.array(fc.constantFrom(-1, 0, 0.5, 1e-9, 7), { minLength: 1, maxLength: 400 }),
);

describe('selectRanks', () => {
  it('places every listed rank as sorting would, with no larger value before it and no smaller after', () => {
    fc.assert(
      fc.property(values, fc.array(fc.nat(), { maxLength: 8 }), (list, picks) => {
        const a = Float64Array.from(list);
        const sorted = Float64Array.from(list).sort();
        const ranks = picks.map((p) => p % (a.length + 2)); // some past the end: ignored
        selectRanks(a, ranks);
        expect(Float64Array.from(a).sort()).toEqual(sorted);
        for (const k of ranks) {
          if (k >= a.length) continue;
          expect(a[k]).toBe(sorted[k]);
          for (let i = 0; i < k; i++) expect(a[i]!).toBeLessThanOrEqual(a[k]!);
          for (let i = k + 1; i < a.length; i++) expect(a[i]!).toBeGreaterThanOrEqual(a[k]!);
        }
      }),
    );
  });

  it('stays fast on inputs that defeat a median-of-three pivot (falls back to sorting)', () => {
    // Organ-pipe and all-equal inputs: still exact.
    const n = 20_001;
    const organ = Float64Array.from({ length: n }, (_, i) => Math.min(i, n - 1 - i));
    const sorted = Float64Array.from(organ).sort();
    selectRanks(organ, [0, 1000, 10_000, 19_000, n - 1]);
    for (const k of [0, 1000, 10_000, 19_000, n - 1]) expect(organ[k]).toBe(sorted[k]);
    const flat = new Float64Array(n).fill(3);
    selectRanks(flat, [n >> 1]);
    expect(flat[n >> 1]).toBe(3);
  });
});

describe('quantilesInPlace', () => {
  it("equals simple-statistics' quantileSorted on a sorted copy, bit for bit", () => {
    fc.assert(
      fc.property(
        values,
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 1, maxLength: 5 }),
        (list, ps) => {
          const sorted = [...list].sort((x, y) => x - y);
          const expected = ps.map((p) => quantileSorted(sorted, p));
          expect(quantilesInPlace(Float64Array.from(list), ps)).toEqual(expected);
        },
      ),
    );
  });
});
