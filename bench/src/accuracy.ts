// Accuracy check: our forest's ROC-AUC on every data set, averaged over seeds, against
// scikit-learn's reference mean (itself a mean of 10 seeds).
//
// A data set passes when the two means are within 0.01, or, failing that, when the difference is
// within sampling noise: a two-sample t statistic with pooled variance (under the hypothesis that
// both are the same algorithm, their seed-to-seed spreads are the same) below 3 in magnitude. Some sets vary by 0.02-0.035 AUC from seed to seed, so a
// 10-seed reference mean can itself sit 0.01 from sklearn's long-run mean; the second rule keeps
// the check from failing on noise while still failing any real difference in the algorithm.
//
// Usage: pnpm accuracy   (env: HAROMBE_DATASETS, HAROMBE_SEEDS, HAROMBE_ONLY=a,b)
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IsolationForest, rocAuc } from '@harombe/isolation-forest';
import { datasetNames, datasetsDirectory, loadDataset, loadReference, repoRoot } from './datasets.js';
import { meanAndStd } from './stats.js';

const TOLERANCE = 0.01;
const MAX_Z = 3;
/** Seeds per data set: 30 for small sets (cheap, and their AUC varies most), 10 for large. */
const seedsFor = (rows: number): number => Number(process.env.HAROMBE_SEEDS ?? (rows < 20_000 ? 30 : 10));

const dir = datasetsDirectory();
if (!dir) {
  console.log('accuracy: no data sets found (set HAROMBE_DATASETS); nothing to check');
  process.exit(0);
}
const reference = loadReference(dir);
if (!reference) {
  console.error(`accuracy: ${dir} has no reference-sklearn.json`);
  process.exit(1);
}

interface Row {
  name: string;
  rows: number;
  seeds: number;
  ours: number;
  oursStd: number;
  sklearn: number;
  sklearnStd: number;
  difference: number;
  /** Difference over its standard error. */
  z: number;
  verdict: 'within 0.01' | 'within noise' | 'FAIL';
}
const results: Row[] = [];
console.log(`ROC-AUC against scikit-learn ${reference.sklearn}: within ${TOLERANCE}, or |z| < ${MAX_Z}`);
console.log('data set         rows  seeds    ours     sd   sklearn     sd     diff      z  verdict');
for (const name of datasetNames(dir)) {
  const ref = reference.datasets[name];
  if (!ref) continue;
  const { matrix, labels } = loadDataset(dir, name);
  const aucs: number[] = [];
  const seeds = seedsFor(matrix.rows);
  for (let seed = 0; seed < seeds; seed++) {
    const forest = new IsolationForest({ seed }).fit(matrix);
    aucs.push(rocAuc(forest.scoreBatch(matrix), labels));
  }
  const { mean, std } = meanAndStd(aucs);
  const difference = mean - ref.auc_mean;
  const refSeeds = ref.aucs.length;
  const pooledVariance =
    ((seeds - 1) * std ** 2 + (refSeeds - 1) * ref.auc_std ** 2) / (seeds + refSeeds - 2);
  const standardError = Math.sqrt(pooledVariance * (1 / seeds + 1 / refSeeds));
  const z = standardError > 0 ? difference / standardError : difference === 0 ? 0 : Number.POSITIVE_INFINITY;
  const verdict =
    Math.abs(difference) <= TOLERANCE ? 'within 0.01' : Math.abs(z) < MAX_Z ? 'within noise' : 'FAIL';
  results.push({
    name,
    rows: matrix.rows,
    seeds,
    ours: mean,
    oursStd: std,
    sklearn: ref.auc_mean,
    sklearnStd: ref.auc_std,
    difference,
    z,
    verdict,
  });
  const signed = (x: number, digits: number) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
  console.log(
    [
      name.padEnd(13),
      String(matrix.rows).padStart(7),
      String(seeds).padStart(6),
      mean.toFixed(4).padStart(7),
      std.toFixed(4).padStart(6),
      ref.auc_mean.toFixed(4).padStart(8),
      ref.auc_std.toFixed(4).padStart(6),
      signed(difference, 4).padStart(8),
      signed(z, 2).padStart(6),
      ` ${verdict}`,
    ].join(' '),
  );
}
mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
writeFileSync(
  join(repoRoot, 'bench/results/accuracy.json'),
  `${JSON.stringify({ tolerance: TOLERANCE, maxZ: MAX_Z, sklearn: reference.sklearn, results }, null, 2)}\n`,
);
const failed = results.filter((r) => r.verdict === 'FAIL');
console.log(`accuracy: ${results.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length > 0 ? 1 : 0);
