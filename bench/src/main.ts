// `pnpm bench`: runs the benchmarks, writes bench/results/*.json and regenerates BENCHMARKS.md.
// Needs the data sets (HAROMBE_DATASETS or ../shared/datasets); HAROMBE_ONLY=a,b limits them and
// HAROMBE_PEER_CAP_MS (default 30000) caps ml-isolation-forest per data set. Each part (forest,
// pipeline, gateway, cluster, audit) runs in a child process of its own; HAROMBE_BENCH=part runs one
// (`pnpm --filter @harombe/bench bench:cluster` runs the multi-node part, which needs PostgreSQL and
// nginx on the machine and is reported as skipped, with the reason, where they are missing).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { benchAuditLogger } from './audit-bench.js';
import { benchCluster } from './cluster-bench.js';
import { datasetNames, datasetsDirectory, loadReference, repoRoot } from './datasets.js';
import { benchDataset, type ForestDatasetResult, singleRowLatencies } from './forest-bench.js';
import { benchGateway } from './gateway-bench.js';
import { benchPipeline } from './pipeline-bench.js';
import { type BenchResults, renderBenchmarks } from './report.js';

const PARTS = ['forest', 'pipeline', 'gateway', 'cluster', 'audit'] as const;
const only = process.env.HAROMBE_BENCH; // one of PARTS to run that part only
if (only === undefined) {
  // Each part in a process of its own: a part's heap and compiled code do not slow the next one.
  for (const part of PARTS) {
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!], {
      stdio: 'inherit',
      env: { ...process.env, HAROMBE_BENCH: part },
    });
    if (child.status !== 0) process.exit(child.status ?? 1);
  }
  process.exit(0);
}
const runs = (part: (typeof PARTS)[number]) => only === part;
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

// Running one part keeps the other part's last results.
const previousFile = join(repoRoot, 'bench/results/forest.json');
const previous = existsSync(previousFile)
  ? (JSON.parse(readFileSync(previousFile, 'utf8')) as Partial<BenchResults>)
  : {};
const forest: ForestDatasetResult[] = runs('forest') ? [] : (previous.forest ?? []);
for (const name of runs('forest') ? datasetNames(dir) : []) {
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
const latencyDataset = forest.some((r) => r.name === 'shuttle') ? 'shuttle' : (forest[0]?.name ?? 'shuttle');
const latencies =
  !runs('forest') && previous.latencies ? previous.latencies : singleRowLatencies(dir, latencyDataset);
const measuredOn = `${machine.cpu}, ${machine.cores} cores, ${machine.date}`;
const pipeline = runs('pipeline')
  ? { ...(await benchPipeline(Number(process.env.HAROMBE_MEMORY_AGENTS ?? 2000))), measuredOn }
  : previous.pipeline;
const gateway = runs('gateway') ? { ...(await benchGateway()), measuredOn } : previous.gateway;
if (gateway && runs('gateway')) {
  const g = gateway;
  console.log(
    `gateway: detection step p50 ${g.detection.p50Us.toFixed(0)} us p99 ${g.detection.p99Us.toFixed(0)} us (${g.detection.target}); ${Math.round(g.throughGateway.perSecond)} calls/s through the gateway (p99 ${g.throughGateway.p99Ms.toFixed(2)} ms), ${Math.round(g.direct.perSecond)} calls/s direct (p99 ${g.direct.p99Ms.toFixed(2)} ms)`,
  );
}
const cluster = runs('cluster') ? { ...(await benchCluster()), measuredOn } : previous.cluster;
if (cluster && runs('cluster')) {
  if (cluster.status === 'skipped') console.log(`multi-node gateway: skipped (${cluster.reason})`);
  for (const r of cluster.status === 'done' ? cluster.runs : []) {
    const cpu =
      r.cpuMsPerCall === undefined
        ? 'CPU not measured (no /proc)'
        : `CPU ${r.cpuMsPerCall.toFixed(2)} ms per call (replicas + nginx), PostgreSQL ${r.postgresCpuMsPerCall!.toFixed(2)} ms`;
    console.log(
      `multi-node gateway, ${r.replicas} replica(s) behind nginx: ${Math.round(r.perSecond)} calls/s (p50 ${r.p50Ms.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(2)} ms), ${cpu}; ${r.calls} calls, ${r.retries} retries`,
    );
  }
}
for (const t of runs('pipeline') ? (pipeline?.throughput ?? []) : []) {
  console.log(
    `${t.name}: ${Math.round(t.perSecond)}/s${t.p99Us === undefined ? '' : ` p50 ${t.p50Us!.toFixed(1)} us p99 ${t.p99Us.toFixed(1)} us`} (target ${t.target})`,
  );
}
if (pipeline && runs('pipeline')) {
  console.log(
    `refit ${pipeline.refit?.ms.toFixed(1)} ms (${pipeline.refit?.events} events; first in the process ${pipeline.refit?.firstMs?.toFixed(1)} ms); save ${pipeline.persistence.saveMs.toFixed(2)} ms, load ${pipeline.persistence.loadMs.toFixed(2)} ms, ${pipeline.persistence.artifactBytes} bytes`,
  );
  console.log(
    `memory: ${Math.round(pipeline.memory.bytesPerAgent / 1024)} KiB per trained agent (${pipeline.memory.agents} agents); ${pipeline.memory.cached.agents} agents with the default cache: ${pipeline.memory.cached.residentMiB.toFixed(0)} MiB (target 10,000 agents <= 1 GiB); full-window agents ${Math.round(pipeline.memory.fullWindow.bytesPerAgent / 1024)} KiB each, ${pipeline.memory.fullWindow.agents} of them after evictIdle({ keep: ${pipeline.memory.fullWindow.keep} }): ${pipeline.memory.fullWindow.residentAfterEvictMiB.toFixed(0)} MiB`,
  );
}
if (runs('forest')) {
  console.log(
    `single-row score p50 ${latencies.score.p50Us.toFixed(2)} us p99 ${latencies.score.p99Us.toFixed(2)} us, ${Math.round(latencies.score.perSecond)}/s; explain p50 ${latencies.explain.p50Us.toFixed(2)} us p99 ${latencies.explain.p99Us.toFixed(2)} us`,
  );
}

// Audit results written before the steady-state/first-week split are not reported (rerun that part).
const previousAudit = previous.audit?.warmUp ? previous.audit : undefined;
const audit = runs('audit') ? { ...(await benchAuditLogger()), measuredOn } : previousAudit;
if (audit && runs('audit')) {
  console.log(
    `audit logger, steady state: ${Math.round(audit.withoutPlugin)} events/s without the anomaly plugin, ${Math.round(audit.withPlugin)} with it (cost ${(audit.pluginCost * 100).toFixed(1)}%, ${audit.target}; first week after start ${(audit.warmUp.pluginCost * 100).toFixed(1)}%); alert latency p50 ${audit.alertLatencyP50Ms.toFixed(1)} ms p99 ${audit.alertLatencyP99Ms.toFixed(1)} ms`,
  );
}

const results = {
  // The machine line describes the forest figures: kept from their run when only another part ran.
  machine: runs('forest') || !previous.machine ? machine : previous.machine,
  sklearn: reference ? { version: reference.sklearn, cpu: reference.cpu, nproc: reference.nproc } : undefined,
  forest,
  latencies,
  pipeline,
  gateway,
  cluster,
  audit,
};
mkdirSync(join(repoRoot, 'bench/results'), { recursive: true });
writeFileSync(join(repoRoot, 'bench/results/forest.json'), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(join(repoRoot, 'BENCHMARKS.md'), renderBenchmarks(results));
console.log('wrote bench/results/forest.json and BENCHMARKS.md');
