import { describe, expect, it } from 'vitest';
import { binOf, robustSummary, upperTail } from '../src/distribution.js';

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
