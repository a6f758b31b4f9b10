// `pnpm bench`: runs the benchmarks, writes bench/results/*.json and regenerates BENCHMARKS.md.
// Needs the data sets (HAROMBE_DATASETS or ../shared/datasets); HAROMBE_ONLY=a,b limits them and
// HAROMBE_PEER_CAP_MS (default 30000) caps ml-isolation-forest per data set.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { datasetsDirectory, loadReference, repoRoot } from './datasets.js';
import { benchDataset, datasetNames, type ForestDatasetResult, singleRowLatencies } from './forest-bench.js';
import { renderBenchmarks } from './report.js';

const dir = datasetsDirectory();
if (!dir) {
  console.error('bench: no data sets found; set HAROMBE_DATASETS to the folder of CSV files');
  process.exit(1);
}
const reference = loadReference(dir);
const peerCapMs = Number(process.env.HAROMBE_PEER_CAP_MS ?? 30_000);
const machine = {
  cpu: cpus()[0]?.model ?? 'unknown',
  cores: cpus().length,
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
  date: new Date().toISOString().slice(0, 10),
};

const forest: ForestDatasetResult[] = [];
for (const name of datasetNames(dir)) {
  const result = await benchDataset(dir, name, reference, peerCapMs);
  forest.push(result);
  const peer =
    result.peer.status === 'done'
      ? `${(result.peer.fitMs! + result.peer.scoreMs!).toFixed(0)} ms`
      : result.peer.status;
  console.log(
    `${name.padEnd(13)} fit ${result.ours.fitMs.toFixed(1).padStart(7)} ms  score ${result.ours.scoreMs.toFixed(1).padStart(8)} ms  auc ${result.ours.auc.toFixed(4)}  peer ${peer}`,
  );
}
const latencyDataset = forest.some((r) => r.name === 'shuttle') ? 'shuttle' : forest[0]!.name;
const latencies = singleRowLatencies(dir, latencyDataset);
console.log(
  `single-row score p50 ${latencies.score.p50Us.toFixed(2)} us p99 ${latencies.score.p99Us.toFixed(2)} us, ${Math.round(latencies.score.perSecond)}/s; explain p50 ${latencies.explain.p50Us.toFixed(2)} us p99 ${latencies.explain.p99Us.toFixed(2)} us`,
);

const results = {
  machine,
  sklearn: reference ? { version: reference.sklearn, cpu: reference.cpu, nproc: reference.nproc } : undefined,
  forest,
  latencies,
};
mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
writeFileSync(join(repoRoot, 'bench/results/forest.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(repoRoot, 'BENCHMARKS.md'), renderBenchmarks(results));
console.log('wrote bench/results/forest.json and BENCHMARKS.md');
