// The gateway in multi-node mode under load: the local cluster of `pnpm test:cluster` (PostgreSQL
// with durable commits, three replicas, nginx routing each agent by its token), driven by one MCP
// session per simulated agent through 1, 2 and 3 replicas. CPU per call is what the replicas and
// nginx spent during the run (from /proc), divided by the calls; PostgreSQL's is given apart.
import { generateFleet, type LabelledEvent } from '@harombe/agent-sim';
import {
  agentStreams,
  ClusterUnavailableError,
  clusterPrerequisites,
  driveLoad,
  postmasterPid,
  startLocalCluster,
} from '../../apps/gateway/cluster-test/local-cluster.js';
import type { LoadResult } from './gateway-bench.js';
import { canReadProcessCpu, processTreeCpuSeconds } from './process-cpu.js';
import { percentile } from './stats.js';

/** Eight agents, one session each: the single-process row's eight clients. 21 live days: enough events. */
const FLEET = { seed: 11, agents: 8, historyDays: 14, liveDays: 21 } as const;
const REPLICAS = [1, 2, 3] as const;

export interface ClusterRun extends LoadResult {
  readonly replicas: number;
  /** CPU of the replicas and nginx (all their processes) per call, in ms; absent without /proc. */
  readonly cpuMsPerCall?: number;
  /** CPU of PostgreSQL (postmaster and backends) per call, in ms; absent without /proc. */
  readonly postgresCpuMsPerCall?: number;
  /** Calls that were sent again after a failure (0 in a healthy run). */
  readonly retries: number;
}

export type ClusterBenchResults = (
  | { readonly status: 'done'; readonly runs: readonly ClusterRun[] }
  | { readonly status: 'skipped'; readonly reason: string }
) & {
  /** CPU, cores and date of the run. */
  readonly measuredOn?: string;
};

/** At most `count` more items of `items`, which is left where they stop. */
function* take<T>(items: Iterator<T>, count: number): Generator<T, void, undefined> {
  for (let i = 0; i < count; i++) {
    const next = items.next();
    if (next.done) return;
    yield next.value;
  }
}

/**
 * Calls/s, p50/p99 latency and CPU per call through 1, 2 and 3 replicas; each configuration is warmed
 * (agents moved to their replica, code compiled) with `warmUpPerAgent` calls per agent, then measured
 * over `perAgent` calls per agent. Skipped, with the reason, where PostgreSQL or nginx is missing.
 */
export async function benchCluster(perAgent = 250, warmUpPerAgent = 25): Promise<ClusterBenchResults> {
  const prerequisites = clusterPrerequisites();
  if (prerequisites instanceof ClusterUnavailableError)
    return { status: 'skipped', reason: prerequisites.message };
  const fleet = generateFleet(FLEET);
  const cluster = await startLocalCluster({
    history: fleet.history,
    timeZones: new Map(fleet.personas.map((p) => [p.agentId, p.timeZone])),
    // As the single-process row: every call assessed and forwarded.
    mode: 'shadow',
  });
  try {
    const streams = agentStreams(fleet.live.filter((e) => e.label === 'normal'));
    const slice = (count: number) =>
      new Map<string, Iterator<LabelledEvent>>(
        [...streams].map(([agentId, events]) => [agentId, take(events, count)]),
      );
    const servingPids = () => [...cluster.replicas.values(), cluster.nginx].map((child) => child.pid!);
    const postgresPid = postmasterPid(cluster.database);
    const cpu = () =>
      canReadProcessCpu()
        ? { serving: processTreeCpuSeconds(servingPids()), postgres: processTreeCpuSeconds([postgresPid]) }
        : undefined;
    const runs: ClusterRun[] = [];
    for (const replicas of REPLICAS) {
      const url = cluster.routeUrl(replicas);
      await driveLoad(url, cluster.agents, slice(warmUpPerAgent));
      const before = cpu();
      const run = await driveLoad(url, cluster.agents, slice(perAgent));
      const after = cpu();
      const perCallMs = (seconds: number) => (seconds * 1000) / run.calls;
      runs.push({
        replicas,
        clients: streams.size,
        calls: run.calls,
        perSecond: run.calls / run.seconds,
        p50Ms: percentile(run.latenciesMs, 0.5),
        p99Ms: percentile(run.latenciesMs, 0.99),
        ...(before && after
          ? {
              cpuMsPerCall: perCallMs(after.serving - before.serving),
              postgresCpuMsPerCall: perCallMs(after.postgres - before.postgres),
            }
          : {}),
        retries: run.retries,
      });
    }
    await cluster.stop();
    return { status: 'done', runs };
  } finally {
    cluster.cleanup();
  }
}
