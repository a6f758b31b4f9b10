import { describe, expect, it } from 'vitest';
import { concentration, FadingHistogram } from '../src/behaviour.js';
import { binOf, robustSummary, topExcess, upperTail } from '../src/distribution.js';

/** A deterministic pseudo-random stream for test data. */
function stream(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return (state + 0.5) / 2 ** 32;
  };
}

/** The summary of `values` binned as the learner bins them. */
function summaryOf(values: readonly number[]) {
  const bins = values.map(binOf);
  const weights = new Float64Array(Math.max(...bins) + 1);
  for (const bin of bins) weights[bin]!++;
  return robustSummary({ weights });
}

describe('the upper tail past the largest value seen', () => {
  const random = stream(3);
  // Durations with a heavy tail: Pareto, alpha 1.5, from 100 ms.
  const heavy = Array.from({ length: 2000 }, () => 100 * random() ** (-1 / 1.5));
  // A tightly spread quantity: log-normal, sigma 0.1, around 1,000.
  const light = Array.from({ length: 2000 }, () => {
    const normal = Math.sqrt(-2 * Math.log(random())) * Math.cos(2 * Math.PI * random());
    return 1000 * Math.exp(0.1 * normal);
  });

  it('estimates how heavy the tail is (Hill): about 1/alpha for a Pareto sample, small for a tight one', () => {
    expect(summaryOf(heavy).tailIndex).toBeGreaterThan(0.5);
    expect(summaryOf(heavy).tailIndex).toBeLessThan(0.85);
    expect(summaryOf(light).tailIndex).toBeLessThan(0.1);
    expect(summaryOf([1, 2, 3]).tailIndex).toBe(0);
  });

  it('a heavy quantity decays as its own top values did, not as a normal would', () => {
    const summary = summaryOf(heavy);
    const max = Math.max(...heavy);
    const n = heavy.length;
    // Three times the largest duration seen: for a Pareto of alpha 1.5, about 3^-1.5 = 0.19 of the
    // share past the max (1/(n + 1)); the normal extrapolation calls it all but impossible.
    const fitted = upperTail(3 * max, summary, true, true) * (n + 1);
    expect(fitted).toBeGreaterThan(0.05);
    expect(fitted).toBeLessThan(0.6);
    expect(upperTail(3 * max, summary, true, false) * (n + 1)).toBeLessThan(1e-3);
    // Inside the range nothing changes.
    expect(upperTail(max / 2, summary, true, true)).toBe(upperTail(max / 2, summary, true, false));
  });

  it('a tight quantity stays all but impossible far past its largest value, heavy or not', () => {
    const summary = summaryOf(light);
    const max = Math.max(...light);
    expect(upperTail(3 * max, summary, true, true)).toBeLessThan(1e-9);
  });
});

describe('the exponential fitted to the top of a distribution', () => {
  it('is the mean excess over the top 5%: about the scale of an exponential sample', () => {
    const random = stream(5);
    const exponential = Array.from({ length: 4000 }, () => -3 * Math.log(random()));
    const excess = topExcess(summaryOf(exponential));
    expect(excess).toBeGreaterThan(2.4);
    expect(excess).toBeLessThan(3.6);
    // Too few values, or the top all in one bin: no fit.
    expect(topExcess(summaryOf([1, 2, 3]))).toBe(0);
    expect(topExcess(summaryOf(Array.from({ length: 100 }, () => 7)))).toBe(0);
  });
});

describe('concentration: how crowded one destination is among a tool calls within the hour', () => {
  it('is the log-likelihood ratio against its usual share, 0 at or below it', () => {
    // 8 of 10 calls where 10% is usual: 10 x KL(0.8 || 0.1).
    expect(concentration(8, 10, 0.1)).toBeCloseTo(10 * (0.8 * Math.log(8) + 0.2 * Math.log(0.2 / 0.9)), 10);
    // All of them: n x ln(1/p).
    expect(concentration(5, 5, 0.25)).toBeCloseTo(5 * Math.log(4), 10);
    expect(concentration(1, 10, 0.1)).toBe(0);
    expect(concentration(1, 10, 0.3)).toBe(0);
    expect(concentration(0, 0, 0.1)).toBe(0);
    expect(concentration(3, 3, 1)).toBe(0);
    // More calls at the same share are more evidence.
    expect(concentration(16, 20, 0.1)).toBeCloseTo(2 * concentration(8, 10, 0.1), 10);
  });
});

describe('exceedance of a log-likelihood ratio', () => {
  const random = stream(7);
  const ratios = new FadingHistogram();
  const values = Array.from({ length: 1000 }, () => -Math.log(random()));
  for (const value of values) ratios.add(value);
  const max = Math.max(...values);

  it('is the empirical tail within the values learned', () => {
    const share = values.filter((v) => v >= 2).length / values.length;
    // (At the learner's bin resolution, 5%.)
    expect(Math.abs(ratios.exceedance(2) - share)).toBeLessThan(0.03);
    expect(ratios.exceedance(0)).toBe(1);
  });

  it('past the largest, decays from 1/(n + 1) no faster than e^-(x - largest)', () => {
    const past = ratios.exceedance(max + 2);
    expect(past).toBeLessThan(1 / 1001);
    expect(past).toBeGreaterThanOrEqual(Math.exp(-2.1) / 1001);
    expect(ratios.exceedance(max + 4)).toBeLessThan(past);
  });

  it('judges nothing until it has enough values', () => {
    const few = new FadingHistogram();
    for (let i = 0; i < 10; i++) few.add(i);
    expect(few.exceedance(100)).toBe(1);
  });
});
