// c(n): the average path length of an unsuccessful search in a binary search tree of n points,
// used to normalise depths (Liu, Ting & Zhou 2008, eq. 1), with exact harmonic numbers.

const EULER_GAMMA = 0.5772156649015329;
/** Harmonic numbers are summed exactly up to here; beyond, the asymptotic series is exact to 1 ulp. */
const EXACT_LIMIT = 4096;
const HARMONIC = new Float64Array(EXACT_LIMIT + 1);
for (let i = 1; i <= EXACT_LIMIT; i++) HARMONIC[i] = HARMONIC[i - 1]! + 1 / i;

/**
 * The n-th harmonic number H(n) = 1 + 1/2 + ... + 1/n.
 * @example harmonicNumber(3) // 1.8333333333333333
 */
export function harmonicNumber(n: number): number {
  if (n <= 0) return 0;
  if (n <= EXACT_LIMIT) return HARMONIC[n]!;
  const inv = 1 / n;
  const inv2 = inv * inv;
  return Math.log(n) + EULER_GAMMA + 0.5 * inv - inv2 / 12 + (inv2 * inv2) / 120;
}

/**
 * c(n) = 2 H(n-1) - 2 (n-1) / n for n > 2, c(2) = 1, c(1) = c(0) = 0.
 * @example averagePathLength(256) // ≈ 10.2445
 */
export function averagePathLength(n: number): number {
  if (n <= 1) return 0;
  if (n === 2) return 1;
  return 2 * harmonicNumber(n - 1) - (2 * (n - 1)) / n;
}
