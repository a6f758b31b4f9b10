// `pnpm test:cluster`: the multi-node acceptance test on loopback. It starts a throwaway PostgreSQL,
// the example tool server, three gateway processes (built dist, multi-node mode) and nginx routing by
// the agents' tokens; seeds the models of a simulated fleet with attacks; measures calls/s through 1,
// 2 and 3 replicas (other agents); then drives the fleet's live stream through MCP SDK clients (one
// per agent, via nginx), SIGKILLs a gateway that owns agents at 40% of the stream and restarts it at
// 70%, stops the gateways (they checkpoint), and checks the log and the states in PostgreSQL. The last
// line printed is one JSON object; the exit code is 1 when a check fails.
import { isDeepStrictEqual } from 'node:util';
import { generateFleet, type LabelledEvent } from '@harombe/agent-sim';
import { type LogEntry, PostgresAgentLog, PostgresModelStore } from '@harombe/store-postgres';
import pg from 'pg';
import { pino } from 'pino';
import {
  CallGuard,
  createDetector,
  exportedModel,
  foldEntry,
  GatewayMetrics,
  LogPayloadSchema,
} from '../src/index.js';
import {
  type AgentDriver,
  agentStreams,
  callWithRetry,
  driveLoad,
  type LocalCluster,
  startLocalCluster,
} from './local-cluster.js';

const quiet = pino({ level: 'silent' });
const started = Date.now();
const note = (text: string) =>
  process.stderr.write(`[cluster-test ${((Date.now() - started) / 1000).toFixed(1)}s] ${text}\n`);

/** The simulated fleet: the classic regime's seven scenarios, one per agent, two live days. */
const FLEET = { seed: 7, agents: 7, historyDays: 14, liveDays: 2 } as const;
/** Other agents, for the calls/s runs. */
const LOAD_FLEET = { seed: 11, agents: 6, historyDays: 14, liveDays: 7 } as const;
const LOAD_RUN_MS = 4000;

const relabel = (events: readonly LabelledEvent[], prefix: string): LabelledEvent[] =>
  events.map((e) => ({
    ...e,
    agentId: `${prefix}${e.agentId}`,
    event: { ...e.event, agent_id: `${prefix}${e.agentId}`, event_id: `${prefix}${e.event.event_id}` },
  }));

async function main(): Promise<number> {
  let running: LocalCluster | undefined;
  process.once('SIGINT', () => {
    running?.cleanup();
    process.exit(130);
  });
  try {
    // --- Fleets; PostgreSQL, models, tool server, three gateways and nginx (local-cluster.ts).
    const fleet = generateFleet(FLEET);
    const loadFleet = generateFleet(LOAD_FLEET);
    const loadHistory = relabel(loadFleet.history, 'load-');
    const loadLive = relabel(loadFleet.live, 'load-').filter((e) => e.label === 'normal');
    const timeZones = new Map([
      ...fleet.personas.map((p) => [p.agentId, p.timeZone] as const),
      ...loadFleet.personas.map((p) => [`load-${p.agentId}`, p.timeZone] as const),
    ]);
    const cluster = await startLocalCluster({ history: [...fleet.history, ...loadHistory], timeZones, note });
    running = cluster;
    const agentIds = cluster.agents.map((a) => a.agentId);
    const { config, replicas: gateways } = cluster;
    const tokenOf = new Map(cluster.agents.map((a) => [a.agentId, a.token]));
    // The first models are kept for the references.
    const pool = new pg.Pool({ connectionString: cluster.database.url, max: 4 });
    const store = new PostgresModelStore({ pool });
    const log = new PostgresAgentLog({ pool });
    const firstModels = new Map<string, unknown>();
    for (const agentId of agentIds)
      firstModels.set(agentId, (await store.loadVersioned(agentId, 'threat-model')).body);

    // --- Calls per second through 1, 2 and 3 replicas (the load agents, consecutive slices of their live days).
    const counters = { retries: 0 };
    const callsPerSecond: Record<string, number> = {};
    const streams = agentStreams(loadLive);
    for (const n of [1, 2, 3]) {
      const run = await driveLoad(cluster.routeUrl(n), cluster.agents, streams, Date.now() + LOAD_RUN_MS);
      counters.retries += run.retries;
      callsPerSecond[String(n)] = Math.round((run.calls / run.seconds) * 10) / 10;
      note(`${n} replica(s): ${run.calls} calls, ${callsPerSecond[String(n)]} calls/s`);
    }

    // --- The failover scenario: the fleet's live stream, one client per agent, via route 3.
    const stream = [...fleet.live].sort(
      (a, b) => Date.parse(a.event.timestamp) - Date.parse(b.event.timestamp),
    );
    const byAgent = new Map<string, LabelledEvent[]>();
    for (const e of stream) byAgent.set(e.agentId, [...(byAgent.get(e.agentId) ?? []), e]);
    const total = stream.length;
    const acknowledged = new Map<string, { agentId: string; label: string }>();
    let killed: number | undefined;
    let phase: 'before' | 'down' | 'restarted' = 'before';
    const scenarioStart = Date.now();
    const fleetIds = [...byAgent.keys()];
    const onProgress = async () => {
      if (phase === 'before' && acknowledged.size >= 0.4 * total) {
        phase = 'down';
        // The replica owning the most fleet agents (the writers of their heads).
        const { rows } = await pool.query(
          'SELECT writer, count(*)::int AS agents FROM agent_heads WHERE agent_id = ANY($1::text[]) GROUP BY writer ORDER BY agents DESC, writer',
          [fleetIds],
        );
        killed = Number(String(rows[0]!.writer).replace('gateway-', ''));
        gateways.get(killed)!.kill('SIGKILL');
        note(`40%: SIGKILL gateway-${killed} (owner of ${rows[0]!.agents} agents)`);
      } else if (phase === 'down' && acknowledged.size >= 0.7 * total && killed !== undefined) {
        phase = 'restarted';
        note(`70%: restarting gateway-${killed}`);
        await cluster.startReplica(killed);
        note(`gateway-${killed} is back`);
      }
    };
    let progress = Promise.resolve();
    await Promise.all(
      [...byAgent].map(async ([agentId, events]) => {
        const driver: AgentDriver = { agentId, token: tokenOf.get(agentId)!, client: undefined };
        for (const labelled of events) {
          const answer = await callWithRetry(
            driver,
            cluster.routeUrl(3),
            labelled.event,
            labelled.event.event_id,
            counters,
          );
          if (answer) acknowledged.set(labelled.event.event_id, { agentId, label: labelled.label });
          progress = progress.then(onProgress);
        }
        await driver.client?.close().catch(() => undefined);
      }),
    );
    await progress;
    const scenarioSeconds = (Date.now() - scenarioStart) / 1000;
    note(
      `stream: ${acknowledged.size}/${total} acknowledged in ${scenarioSeconds.toFixed(1)} s, ${counters.retries} retries`,
    );

    // --- Stop: each gateway checkpoints what it holds (SIGTERM), then nginx and the tool server.
    await cluster.stop();

    // --- Checks, from the log and the checkpoints in PostgreSQL.
    const logs = new Map<string, LogEntry[]>();
    for (const agentId of fleetIds) {
      const entries: LogEntry[] = [];
      for (let after = 0; ; ) {
        const page = await log.read(agentId, { after, limit: 10_000 });
        entries.push(...page);
        if (page.length < 10_000) break;
        after = page.at(-1)!.seq;
      }
      logs.set(agentId, entries);
    }
    const decisionOf = new Map<string, string>();
    let duplicated = 0;
    let gaps = 0;
    let staleDecisions = 0;
    let agentsMoved = 0;
    const moved: string[] = [];
    for (const [agentId, entries] of logs) {
      const seen = new Set<string>();
      const writers = new Set<string>();
      entries.forEach((entry, index) => {
        if (entry.seq !== index + 1) gaps++;
        const payload = LogPayloadSchema.parse(entry.payload);
        if (payload.type !== 'call') return;
        const eventId = String(payload.event.event_id);
        if (seen.has(eventId)) duplicated++;
        seen.add(eventId);
        decisionOf.set(eventId, payload.decision);
        if (payload.staleBy > 0) staleDecisions++;
        if (entry.writer) writers.add(entry.writer);
      });
      if (writers.size > 1) {
        agentsMoved++;
        moved.push(agentId);
      }
    }
    const missing = [...acknowledged.keys()].filter((eventId) => !decisionOf.has(eventId)).length;

    // Moved agents: the checkpoint their last holder saved on shutdown against a fold of the same
    // log from the first model, through a fresh detector.
    let movedStateEqual = 0;
    for (const agentId of moved) {
      const checkpoint = await store.loadVersioned(agentId, 'threat-model');
      const threats = createDetector(config);
      const guard = new CallGuard(threats, config, new GatewayMetrics(), quiet);
      threats.importThreatModel(agentId, firstModels.get(agentId));
      const watermark = checkpoint.watermark ?? 0;
      for (const entry of logs.get(agentId)!) {
        // The checkpoint is the state exported just before its marker (at the watermark).
        if (entry.seq >= watermark) break;
        foldEntry(threats, guard, agentId, LogPayloadSchema.parse(entry.payload));
      }
      const equal = isDeepStrictEqual(exportedModel(threats, agentId), checkpoint.body);
      if (equal) movedStateEqual++;
      note(
        `${agentId}: moved, ${logs.get(agentId)!.length} entries, checkpoint at ${watermark}: ${equal ? 'equal' : 'DIFFERENT'}`,
      );
    }

    // --- The single-process reference: the same events through one in-process detector and guard.
    const threats = createDetector(config);
    const guard = new CallGuard(threats, config, new GatewayMetrics(), quiet);
    await threats.loadFleetModel().catch(() => false);
    for (const agentId of fleetIds) threats.importThreatModel(agentId, firstModels.get(agentId));
    const single = new Map<string, string>();
    for (const { agentId, event } of stream) {
      const decision = await guard.check(agentId, event, Date.parse(event.timestamp));
      if (decision.decision === 'allow') guard.recordOutcome(agentId, event, decision);
      single.set(event.event_id, decision.decision);
    }
    const rates = (decisions: Map<string, string>) => {
      const byLabel = new Map<string, { flagged: number; count: number }>();
      for (const [eventId, { label }] of acknowledged) {
        const tally = byLabel.get(label) ?? { flagged: 0, count: 0 };
        tally.count++;
        if ((decisions.get(eventId) ?? 'allow') !== 'allow') tally.flagged++;
        byLabel.set(label, tally);
      }
      return byLabel;
    };
    const clusterRates = rates(decisionOf);
    const singleRates = rates(single);
    const share = (t: { flagged: number; count: number } | undefined) =>
      t && t.count > 0 ? Math.round((t.flagged / t.count) * 10_000) / 10_000 : 0;
    const recall: Record<string, { cluster: number; single: number }> = {};
    for (const label of [...clusterRates.keys()].sort()) {
      if (label === 'normal' || label === 'benign-change') continue;
      recall[label] = { cluster: share(clusterRates.get(label)), single: share(singleRates.get(label)) };
    }
    const falsePositiveRate = {
      cluster: share(clusterRates.get('normal')),
      single: share(singleRates.get('normal')),
    };
    note(`log gaps ${gaps}, decisions on stale state ${staleDecisions}, retries ${counters.retries}`);
    await pool.end();

    const result = {
      acknowledged: acknowledged.size,
      missing,
      duplicated,
      agentsMoved,
      movedStateEqual,
      recall,
      falsePositiveRate,
      callsPerSecond,
    };
    const ok =
      missing === 0 && duplicated === 0 && gaps === 0 && agentsMoved > 0 && movedStateEqual === agentsMoved;
    note(ok ? 'PASS' : 'FAIL');
    console.log(JSON.stringify(result));
    return ok ? 0 : 1;
  } finally {
    running?.cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
