import { ValidationError } from '@harombe/models';
import { describe, expect, it } from 'vitest';
import {
  averagePathLength,
  ForestInputError,
  harmonicNumber,
  IsolationForest,
  NotFittedError,
  Random,
  rocAuc,
} from '../src/index.js';
import { gaussian, plantedOutliers } from './data.js';

describe('IsolationForest scores', () => {
  it('scores planted outliers above every inlier', () => {
    const { rows, labels } = plantedOutliers(1, 500, 10);
    const scores = new IsolationForest({ seed: 3 }).fit(rows).scoreBatch(rows);
    const lowestOutlier = Math.min(...Array.from(scores).filter((_, i) => labels[i] === 1));
    const highestInlier = Math.max(...Array.from(scores).filter((_, i) => labels[i] === 0));
    expect(lowestOutlier).toBeGreaterThan(highestInlier);
    expect(rocAuc(scores, labels)).toBe(1);
  });

  it('gives scores in (0, 1), around 0.5 or below for inliers and above 0.6 for far outliers', () => {
    const { rows } = plantedOutliers(2, 1000, 0);
    const forest = new IsolationForest({ seed: 1 }).fit(rows);
    const inlier = forest.score([0, 0]);
    const outlier = forest.score([9, -9]);
    expect(inlier).toBeGreaterThan(0);
    expect(inlier).toBeLessThan(0.5);
    expect(outlier).toBeGreaterThan(0.6);
    expect(outlier).toBeLessThan(1);
  });

  it('computes 2^(-E[h(x)] / c(psi)) exactly: two points give every tree one split and score 0.5', () => {
    const forest = new IsolationForest({ nEstimators: 10 }).fit([
      [0, 0],
      [1, 1],
    ]);
    // psi = 2, c(2) = 1, each point isolated at depth 1: 2^(-1/1) = 0.5.
    expect(forest.psi).toBe(2);
    expect(forest.score([0, 0])).toBe(0.5);
    expect(forest.score([1, 1])).toBe(0.5);
  });

  it('is reproducible from the seed and changes with it', () => {
    const { rows } = plantedOutliers(4, 300, 5, 3);
    const a = new IsolationForest({ seed: 11 }).fit(rows).scoreBatch(rows);
    const b = new IsolationForest({ seed: 11 }).fit(rows).scoreBatch(rows);
    const c = new IsolationForest({ seed: 12 }).fit(rows).scoreBatch(rows);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });

  it('gives the same scores on every platform (golden values)', () => {
    const { rows } = plantedOutliers(5, 200, 4);
    const forest = new IsolationForest({ seed: 7 }).fit(rows);
    // Any change here changes every stored model's scores: bump the format version if intended.
    expect(forest.score([0, 0])).toMatchInlineSnapshot(`0.36393985510581617`);
    expect(forest.score([6, 6])).toMatchInlineSnapshot(`0.7638646476923474`);
  });

  it('uses the default seed when none is given', () => {
    const { rows } = plantedOutliers(6, 100, 2);
    const a = new IsolationForest().fit(rows).score([1, 1]);
    const b = new IsolationForest({ seed: 42 }).fit(rows).score([1, 1]);
    expect(a).toBe(b);
  });
});

describe('scoreBatch', () => {
  it('equals score value for value, for small and large batches and every input form', () => {
    const random = new Random(9);
    const rows = Array.from({ length: 3000 }, () => [gaussian(random), gaussian(random), gaussian(random)]);
    const forest = new IsolationForest({ seed: 2 }).fit(rows.slice(0, 500));
    const single = rows.map((row) => forest.score(row));
    const flat = new Float64Array(rows.flat());
    for (const batch of [
      forest.scoreBatch(rows),
      forest.scoreBatch({ data: flat, rows: rows.length, columns: 3 }),
      forest.scoreBatch(flat),
    ]) {
      expect(Array.from(batch)).toEqual(single);
    }
    const small = forest.scoreBatch(rows.slice(0, 10));
    expect(Array.from(small)).toEqual(single.slice(0, 10));
    // Rows walk the padded trees four at a time: a batch that is not a multiple of four ends one by one.
    for (const count of [2049, 2050, 2051, 2999]) {
      expect(Array.from(forest.scoreBatch(rows.slice(0, count)))).toEqual(single.slice(0, count));
    }
  });

  it('matches score for deep trees that are not padded', () => {
    const random = new Random(10);
    const rows = Array.from({ length: 2500 }, () => [gaussian(random), gaussian(random)]);
    const forest = new IsolationForest({ seed: 2, maxSamples: 2500, nEstimators: 5 }).fit(rows);
    expect(forest.maxDepth).toBe(12);
    const deep = new IsolationForest({ seed: 2, maxSamples: 2500, maxDepth: 20, nEstimators: 5 }).fit(rows);
    for (const f of [forest, deep]) {
      expect(Array.from(f.scoreBatch(rows))).toEqual(rows.map((row) => f.score(row)));
    }
  });

  it('matches score whatever the number of trees (score walks eight trees at a time)', () => {
    const random = new Random(11);
    const rows = Array.from({ length: 600 }, () => [gaussian(random), gaussian(random), gaussian(random)]);
    // Small batches walk one tree at a time; deep trees end their walks at very different depths.
    for (const options of [
      { nEstimators: 1 },
      { nEstimators: 7 },
      { nEstimators: 8 },
      { nEstimators: 9 },
      { nEstimators: 23 },
      { nEstimators: 16, maxSamples: 600, maxDepth: 30 },
    ]) {
      const forest = new IsolationForest({ seed: 4, ...options }).fit(rows);
      const probes = [...rows.slice(0, 40), [8, -8, 0], [0, 0, 0], [-3, 5, 12]];
      expect(Array.from(forest.scoreBatch(probes))).toEqual(probes.map((row) => forest.score(row)));
    }
  });
});

describe('subsampling and height limit', () => {
  it('caps psi at the number of rows and derives the height limit from it', () => {
    const { rows } = plantedOutliers(7, 100, 0);
    const forest = new IsolationForest().fit(rows);
    expect(forest.psi).toBe(100);
    expect(forest.maxDepth).toBe(7);
    const small = new IsolationForest({ maxSamples: 64 }).fit(rows);
    expect(small.psi).toBe(64);
    expect(small.maxDepth).toBe(6);
  });

  it('never grows a tree past maxDepth', () => {
    const { rows } = plantedOutliers(8, 400, 0);
    const forest = new IsolationForest({ maxDepth: 1, nEstimators: 20 }).fit(rows);
    // One split per tree at most: 3 nodes.
    expect(forest.toJSON().nodeCount).toBeLessThanOrEqual(60);
    // A far point is isolated no faster than depth 1 + c(leaf size): scores stay near 0.5.
    const json = forest.toJSON();
    expect(json.maxDepth).toBe(1);
  });

  it('draws each subsample without replacement (duplicated rows count as distinct points)', () => {
    // 256 copies of one row plus one other: sampling without replacement puts psi = 257 points in
    // every tree, all trees see the lone row, and it is isolated at depth 1.
    const rows = [...Array.from({ length: 256 }, () => [0]), [1]];
    const forest = new IsolationForest({ maxSamples: 257, nEstimators: 5 }).fit(rows);
    const lone = forest.score([1]);
    expect(lone).toBeCloseTo(2 ** (-1 / averagePathLength(257)), 12);
  });
});

describe('contamination and predict', () => {
  it("'auto' uses the paper's 0.5", () => {
    const { rows } = plantedOutliers(9, 300, 3);
    const forest = new IsolationForest().fit(rows);
    expect(forest.threshold).toBe(0.5);
    expect(forest.predict([8, 8])).toBe(true);
    expect(forest.predict([0, 0])).toBe(false);
  });

  it('a number flags about that share of the training rows', () => {
    const { rows } = plantedOutliers(10, 1000, 0);
    for (const contamination of [0.01, 0.1, 0.25]) {
      const forest = new IsolationForest({ contamination, seed: 5 }).fit(rows);
      const flagged = forest.predictBatch(rows).reduce((sum, x) => sum + x, 0);
      expect(flagged / rows.length).toBeCloseTo(contamination, 2);
    }
  });
});

describe('explain', () => {
  it('credits the feature that makes a point unusual, shares summing to 1', () => {
    const random = new Random(12);
    const rows = Array.from({ length: 1000 }, () => [gaussian(random), gaussian(random), gaussian(random)]);
    const forest = new IsolationForest({ seed: 4 }).fit(rows);
    for (const [row, culprit] of [
      [[0, 8, 0], 1],
      [[-9, 0, 0], 0],
      [[0, 0, 7], 2],
    ] as const) {
      const { score, shares } = forest.explain(row);
      expect(score).toBe(forest.score(row));
      expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
      expect(shares[culprit]).toBe(Math.max(...shares));
      expect(shares[culprit]).toBeGreaterThan(0.5);
    }
  });

  it('gives the same shares and score whatever the number of trees walked together', () => {
    // Pinned values: trees walked four at a time and one by one (below four, and the rest) must add
    // the same credits in the same order as ever.
    const random = new Random(14);
    const rows = Array.from({ length: 700 }, () => [gaussian(random), gaussian(random), gaussian(random)]);
    const probes = [
      [0, 6, 0],
      [-4, 0, 3],
      [0.1, -0.2, 0.3],
    ];
    const seen: number[][] = [];
    for (const options of [
      { nEstimators: 3 },
      { nEstimators: 9 },
      { nEstimators: 23 },
      { nEstimators: 16, maxSamples: 700, maxDepth: 30 },
    ]) {
      const forest = new IsolationForest({ seed: 5, ...options }).fit(rows);
      for (const row of probes) {
        const { score, shares } = forest.explain(row);
        expect(score).toBe(forest.score(row));
        seen.push([score, ...shares]);
      }
    }
    expect(seen).toMatchInlineSnapshot(`
      [
        [
          0.6275608972997514,
          0.2527410929058322,
          0.7136343478903716,
          0.03362455920379619,
        ],
        [
          0.697182510861457,
          0.45610440666613444,
          0.02552421527285682,
          0.5183713780610086,
        ],
        [
          0.3899918043158554,
          0.7385586124411723,
          0.14642770941957814,
          0.11501367813924969,
        ],
        [
          0.5643620454051573,
          0.21757439581053317,
          0.6984462895998289,
          0.0839793145896379,
        ],
        [
          0.7348383079801906,
          0.6024392668209205,
          0.08157464020070815,
          0.3159860929783712,
        ],
        [
          0.4055752910151449,
          0.5734593005000346,
          0.14268458531976702,
          0.28385611418019824,
        ],
        [
          0.6075855365749058,
          0.15461222682054018,
          0.7218983611675038,
          0.123489412011956,
        ],
        [
          0.6967043174830658,
          0.5771249851387589,
          0.10862399096837888,
          0.3142510238928623,
        ],
        [
          0.40101323315598464,
          0.3985677497719738,
          0.26419512177167254,
          0.3372371284563537,
        ],
        [
          0.5823258215781414,
          0.1584702762745757,
          0.7006869470598245,
          0.14084277666559986,
        ],
        [
          0.7148058021716152,
          0.6852735904035628,
          0.06954575691600305,
          0.24518065268043415,
        ],
        [
          0.38375343972814313,
          0.4584651662511472,
          0.22226530927459934,
          0.31926952447425344,
        ],
      ]
    `);
  });

  it('returns equal shares when nothing could be split', () => {
    const forest = new IsolationForest().fit([
      [1, 2],
      [1, 2],
      [1, 2],
    ]);
    expect(Array.from(forest.explain([1, 2]).shares)).toEqual([0.5, 0.5]);
  });
});

describe('degenerate data', () => {
  it('all-constant data: no crash, every point scores the same', () => {
    const rows = Array.from({ length: 50 }, () => [3, 3, 3]);
    const forest = new IsolationForest().fit(rows);
    const scores = forest.scoreBatch([
      [3, 3, 3],
      [100, -5, 0],
    ]);
    expect(scores[0]).toBe(scores[1]);
    // Every tree is one leaf of 50 points: E[h] = c(50), score 2^-1.
    expect(scores[0]).toBeCloseTo(0.5, 12);
  });

  it('skips constant columns when choosing splits', () => {
    const random = new Random(13);
    const rows = Array.from({ length: 300 }, () => [5, gaussian(random), 5]);
    const forest = new IsolationForest().fit(rows);
    const { shares } = forest.explain([5, 9, 5]);
    expect(Array.from(shares)).toEqual([0, 1, 0]);
  });
});

describe('bad input', () => {
  it('rejects fewer than 2 rows', () => {
    expect(() => new IsolationForest().fit([[1, 2]])).toThrow(ForestInputError);
    expect(() => new IsolationForest().fit([])).toThrow('needs at least 2 rows, received 0');
  });

  it('rejects ragged rows, naming the row', () => {
    const call = () => new IsolationForest().fit([[1, 2], [3, 4], [5]]);
    expect(call).toThrow('row 2 has 1 columns, expected 2');
    try {
      call();
    } catch (error) {
      expect((error as ForestInputError).row).toBe(2);
    }
  });

  it('rejects NaN and infinite values, naming row and column', () => {
    const withNaN = () =>
      new IsolationForest().fit([
        [1, 2],
        [3, Number.NaN],
        [5, 6],
      ]);
    expect(withNaN).toThrow('row 1, column 1 is NaN; expected a finite number');
    expect(() =>
      new IsolationForest().fit([
        [Number.POSITIVE_INFINITY, 2],
        [3, 4],
      ]),
    ).toThrow('row 0, column 0 is Infinity');
    const forest = new IsolationForest().fit([
      [1, 2],
      [3, 4],
    ]);
    expect(() => forest.score([1, Number.NaN])).toThrow('column 1 is NaN');
    expect(() =>
      forest.scoreBatch([
        [1, 2],
        [Number.NEGATIVE_INFINITY, 2],
      ]),
    ).toThrow('row 1, column 0 is -Infinity');
    expect(() => forest.score([1, 2, 3])).toThrow('row has 3 columns, the forest was fitted on 2');
  });

  it('rejects bad options with a ValidationError naming the option', () => {
    expect(() => new IsolationForest({ nEstimators: 0 })).toThrow(ValidationError);
    expect(() => new IsolationForest({ nEstimators: 0 })).toThrow(
      'nEstimators: expected a finite number >= 1',
    );
    expect(() => new IsolationForest({ maxSamples: 1 })).toThrow('maxSamples: expected a finite number >= 2');
    expect(() => new IsolationForest({ contamination: 0.6 })).toThrow('contamination');
    expect(() => new IsolationForest({ contamination: 0 })).toThrow('contamination');
    expect(() => new IsolationForest({ seed: -1 })).toThrow('seed');
    expect(() => new IsolationForest({ nEstimators: 1.5 })).toThrow('nEstimators: expected an integer');
  });

  it('refuses to score before fitting', () => {
    expect(() => new IsolationForest().score([1])).toThrow(NotFittedError);
    expect(() => new IsolationForest().toJSON()).toThrow('call fit(rows) first');
  });
});

describe('path length helpers', () => {
  it('computes harmonic numbers and c(n) exactly', () => {
    expect(harmonicNumber(1)).toBe(1);
    expect(harmonicNumber(4)).toBeCloseTo(1 + 1 / 2 + 1 / 3 + 1 / 4, 15);
    expect(averagePathLength(0)).toBe(0);
    expect(averagePathLength(1)).toBe(0);
    expect(averagePathLength(2)).toBe(1);
    expect(averagePathLength(3)).toBeCloseTo(2 * 1.5 - 4 / 3, 15);
    // Past the exact table the series agrees with direct summation.
    let h = 0;
    for (let i = 1; i <= 10_000; i++) h += 1 / i;
    expect(harmonicNumber(10_000)).toBeCloseTo(h, 12);
  });
});

describe('rocAuc', () => {
  it('is 1 for a perfect ranking, 0.5 for ties, and handles ties by halves', () => {
    expect(rocAuc([0.1, 0.2, 0.9], [0, 0, 1])).toBe(1);
    expect(rocAuc([0.5, 0.5], [0, 1])).toBe(0.5);
    expect(rocAuc([0.9, 0.1], [0, 1])).toBe(0);
    expect(rocAuc([0.1, 0.4, 0.4, 0.8], [0, 1, 0, 1])).toBe(0.875);
    expect(Number.isNaN(rocAuc([1, 2], [0, 0]))).toBe(true);
  });
});

describe('fitOutOfBag', () => {
  it('scores each row only with trees that did not sample it, so training points are not favoured', () => {
    const { rows } = plantedOutliers(31, 600, 0);
    const forest = new IsolationForest({ seed: 3, maxSamples: 300 });
    const { rows: scored, scores } = forest.fitOutOfBag(rows);
    expect(scored.length).toBe(600);
    // Same forest as a plain fit with the same seed.
    expect(forest.score([0, 0])).toBe(
      new IsolationForest({ seed: 3, maxSamples: 300 }).fit(rows).score([0, 0]),
    );
    const inSample = forest.scoreBatch(rows);
    let higher = 0;
    for (let i = 0; i < 600; i++) if (scores[i]! > inSample[i]!) higher++;
    // Out-of-bag scores sit above in-sample ones for most rows (no self-isolation bonus).
    expect(higher / 600).toBeGreaterThan(0.6);
    // Fresh points from the same distribution score like out-of-bag rows, not like in-sample ones.
    const fresh = forest.scoreBatch(plantedOutliers(32, 600, 0).rows);
    const mean = (a: ArrayLike<number>) => Array.from(a).reduce((x, y) => x + y, 0) / a.length;
    expect(Math.abs(mean(fresh) - mean(scores))).toBeLessThan(Math.abs(mean(fresh) - mean(inSample)));
  });

  it('scores a seeded sample when asked for fewer rows, and NaN for rows in every subsample', () => {
    const { rows } = plantedOutliers(33, 500, 0);
    const sample = new IsolationForest({ seed: 1 }).fitOutOfBag(rows, 100);
    expect(sample.rows.length).toBe(100);
    expect(Array.from(sample.rows)).toEqual([...sample.rows].sort((a, b) => a - b));
    const all = new IsolationForest({ seed: 1, maxSamples: 500 }).fitOutOfBag(rows);
    expect(all.scores.every(Number.isNaN)).toBe(true);
  });

  it('gives every row the same score whether many rows are scored (padded trees) or few (pointer trees)', () => {
    const { rows } = plantedOutliers(34, 3000, 30);
    const many = new IsolationForest({ seed: 5 }).fitOutOfBag(rows);
    const few = new IsolationForest({ seed: 5 }).fitOutOfBag(rows, 500);
    expect(many.rows.length).toBe(3030);
    few.rows.forEach((row, i) => {
      expect(few.scores[i]).toBe(many.scores[row]);
    });
    // Trees too deep to pad take the pointer layout at any size: the same scores again.
    const deep = new IsolationForest({ seed: 5, maxDepth: 13 }).fitOutOfBag(rows);
    const deepFew = new IsolationForest({ seed: 5, maxDepth: 13 }).fitOutOfBag(rows, 500);
    deepFew.rows.forEach((row, i) => {
      expect(deepFew.scores[i]).toBe(deep.scores[row]);
    });
  });
});
