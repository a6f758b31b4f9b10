// Test data generated from a seed, so tests need no files.
import { Random } from '../src/index.js';

/** Standard normal draws by Box-Muller. */
export function gaussian(random: Random): number {
  const u = 1 - random.nextDouble();
  const v = random.nextDouble();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/** `inliers` points around the origin plus `outliers` points far away, labelled 0/1. */
export function plantedOutliers(
  seed: number,
  inliers: number,
  outliers: number,
  dims = 2,
): { rows: number[][]; labels: number[] } {
  const random = new Random(seed);
  const rows: number[][] = [];
  const labels: number[] = [];
  for (let i = 0; i < inliers; i++) {
    rows.push(Array.from({ length: dims }, () => gaussian(random)));
    labels.push(0);
  }
  for (let i = 0; i < outliers; i++) {
    rows.push(
      Array.from(
        { length: dims },
        () => (random.nextDouble() < 0.5 ? -1 : 1) * (6 + 2 * random.nextDouble()),
      ),
    );
    labels.push(1);
  }
  return { rows, labels };
}
