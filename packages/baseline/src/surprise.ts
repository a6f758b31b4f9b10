// Turning tail probabilities into scores in [0, 1] that mean the same thing in every dimension:
// score = -log10(p) / 3, so p = 0.0316 gives 0.5 and p <= 0.001 gives 1. For an event drawn from
// the baseline itself p is (at least) uniform, so a dimension exceeds 0.5 for at most ~3% of
// ordinary events, and reaches 0.9 only at p <= 0.002.
import { errorFunction, gammaln } from 'simple-statistics';

const DECADES = 3;

/** Score of a tail probability p in (0, 1]. */
export function surprise(p: number): number {
  if (p >= 1) return 0;
  if (!(p > 0)) return 1;
  const score = -Math.log10(p) / DECADES;
  return Math.min(1, Math.max(0, score));
}

/** P(Z >= z) for a standard normal Z. */
export function upperNormalTail(z: number): number {
  if (z <= 0) return 1 - 0.5 * (1 - errorFunction(-z / Math.SQRT2));
  return 0.5 * (1 - errorFunction(z / Math.SQRT2));
}

/**
 * P(X >= k) for X ~ Binomial(n, p). Sums whichever tail is shorter, term by term with the pmf
 * ratio, stopping once terms no longer matter: O(min(k, spread)) rather than O(n).
 * @example binomialUpperTail(1, 10, 0.1) // 1 - 0.9^10 ≈ 0.651
 */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  const ratio = p / (1 - p);
  if (k <= n * p) {
    // Below the mean: 1 - P(X <= k - 1), summing down from k - 1.
    let term = Math.exp(logPmf(k - 1, n, p));
    let sum = 0;
    for (let i = k - 1; i >= 0 && term > 0; i--) {
      sum += term;
      if (term < sum * 1e-15) break;
      term *= i / ((n - i + 1) * ratio);
    }
    return Math.max(0, 1 - sum);
  }
  // Above the mean: terms fall off geometrically from k upwards.
  let term = Math.exp(logPmf(k, n, p));
  let sum = 0;
  for (let i = k; i <= n && term > 0; i++) {
    sum += term;
    if (term < sum * 1e-15) break;
    term *= ((n - i) / (i + 1)) * ratio;
  }
  return Math.min(1, sum);
}

function logPmf(k: number, n: number, p: number): number {
  return logChoose(n, k) + k * Math.log(p) + (n - k) * Math.log1p(-p);
}

/** ln C(n, k), with simple-statistics' log-gamma. */
function logChoose(n: number, k: number): number {
  return gammaln(n + 1) - gammaln(k + 1) - gammaln(n - k + 1);
}
