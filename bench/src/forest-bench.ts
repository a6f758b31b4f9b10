// Isolation-forest benchmark: for every data set, our fit and scoreBatch times and ROC-AUC, the
// JavaScript peer (ml-isolation-forest, with a time cap) and scikit-learn's reference figures.
// Plus single-row latency (score, explain) and model size.
import { IsolationForest, type RowMajorMatrix, rocAuc } from '@harombe/isolation-forest';
import { loadDataset, type ReferenceFile } from './datasets.js';
import { runPeer } from './peer.js';
import { meanAndStd, median, percentile } from './stats.js';

export interface ForestDatasetResult {
  name: string;
  rows: number;
  dims: number;
  ours: { fitMs: number; scoreMs: number; auc: number; modelBytes: number };
  peer: {
    status: 'done' | 'timeout' | 'error';
    fitMs?: number;
    scoreMs?: number;
    auc?: number;
    capMs?: number;
  };
  sklearn?: { fitMs: number; scoreMs: number; auc: number };
}

export interface LatencyResult {
  dataset: string;
  calls: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  perSecond: number;
}

const time = (fn: () => void): number => {
  const start = performance.now();
  fn();
  return performance.now() - start;
};

export async function benchDataset(
  dir: string,
  name: string,
  reference: ReferenceFile | undefined,
  peerCapMs: number,
): Promise<ForestDatasetResult> {
  const { matrix, labels } = loadDataset(dir, name);
  // Warm the JIT on this shape, then take medians over seeds.
  new IsolationForest({ seed: 99 }).fit(matrix).scoreBatch(matrix);
  const fits: number[] = [];
  const scoresMs: number[] = [];
  const aucs: number[] = [];
  let modelBytes = 0;
  for (let seed = 0; seed < 5; seed++) {
    let forest: IsolationForest | undefined;
    fits.push(time(() => (forest = new IsolationForest({ seed }).fit(matrix))));
    let scores: Float64Array = new Float64Array(0);
    scoresMs.push(time(() => (scores = forest!.scoreBatch(matrix))));
    aucs.push(rocAuc(scores, labels));
    modelBytes = JSON.stringify(forest!.toJSON()).length;
  }
  const peer = await runPeer(matrix, peerCapMs);
  const ref = reference?.datasets[name];
  return {
    name,
    rows: matrix.rows,
    dims: matrix.columns,
    ours: { fitMs: median(fits), scoreMs: median(scoresMs), auc: meanAndStd(aucs).mean, modelBytes },
    peer:
      peer.status === 'done'
        ? { status: 'done', fitMs: peer.fitMs, scoreMs: peer.scoreMs, auc: rocAuc(peer.scores, labels) }
        : peer.status === 'timeout'
          ? {
              status: 'timeout',
              capMs: peer.capMs,
              ...(peer.fitMs === undefined ? {} : { fitMs: peer.fitMs }),
            }
          : { status: 'error' },
    ...(ref
      ? { sklearn: { fitMs: ref.fit_ms_median, scoreMs: ref.score_ms_median, auc: ref.auc_mean } }
      : {}),
  };
}

/** Per-call latency of `fn` over the rows of a matrix, timed call by call. */
export function latency(
  dataset: string,
  matrix: RowMajorMatrix,
  calls: number,
  fn: (row: Float64Array) => unknown,
): LatencyResult {
  const { data, rows, columns } = matrix;
  const views = Array.from({ length: Math.min(rows, 4096) }, (_, r) =>
    data.subarray(r * columns, (r + 1) * columns),
  );
  for (let i = 0; i < 20_000; i++) fn(views[i % views.length]!);
  const samples = new Float64Array(calls);
  const started = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) {
    const t0 = process.hrtime.bigint();
    fn(views[i % views.length]!);
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  const totalUs = Number(process.hrtime.bigint() - started) / 1000;
  return {
    dataset,
    calls,
    p50Us: percentile(samples, 0.5),
    p99Us: percentile(samples, 0.99),
    meanUs: totalUs / calls,
    perSecond: calls / (totalUs / 1e6),
  };
}

export function singleRowLatencies(
  dir: string,
  name: string,
): { score: LatencyResult; explain: LatencyResult } {
  const { matrix } = loadDataset(dir, name);
  const forest = new IsolationForest({ seed: 1 }).fit(matrix);
  return {
    score: latency(name, matrix, 200_000, (row) => forest.score(row)),
    explain: latency(name, matrix, 100_000, (row) => forest.explain(row)),
  };
}
