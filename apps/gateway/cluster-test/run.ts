// `pnpm test:cluster`: the multi-node acceptance test on loopback. It starts a throwaway PostgreSQL,
// the example tool server, three gateway processes (built dist, multi-node mode) and nginx routing by
// the agents' tokens; seeds the models of a simulated fleet with attacks; measures calls/s through 1,
// 2 and 3 replicas (other agents); then drives the fleet's live stream through MCP SDK clients (one
// per agent, via nginx), SIGKILLs a gateway that owns agents at 40% of the stream and restarts it at
// 70%, stops the gateways (they checkpoint), and checks the log and the states in PostgreSQL. The last
// line printed is one JSON object; the exit code is 1 when a check fails.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { generateFleet, type LabelledEvent } from '@harombe/agent-sim';
import { parseSecurityEvent } from '@harombe/security-ml';
import { type LogEntry, PostgresAgentLog, PostgresModelStore } from '@harombe/store-postgres';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import pg from 'pg';
import { pino } from 'pino';
import { freePort, startThrowawayPostgres } from '../../../tooling/postgres-cluster.js';
import {
  CallGuard,
  connectAsAgent,
  createDetector,
  exportedModel,
  foldEntry,
  type GatewayConfigInput,
  GatewayMetrics,
  IDEMPOTENCY_KEY_META_KEY,
  LogPayloadSchema,
  nginxConfig,
  parseGatewayConfig,
  SIMULATED_EVENT_META_KEY,
  seedClusterModels,
} from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const gatewayBin = resolve(here, '../dist/main.js');
const quiet = pino({ level: 'silent' });
const started = Date.now();
const note = (text: string) =>
  process.stderr.write(`[cluster-test ${((Date.now() - started) / 1000).toFixed(1)}s] ${text}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The simulated fleet: the classic regime's seven scenarios, one per agent, two live days. */
const FLEET = { seed: 7, agents: 7, historyDays: 14, liveDays: 2 } as const;
/** Other agents, for the calls/s runs. */
const LOAD_FLEET = { seed: 11, agents: 6, historyDays: 14, liveDays: 7 } as const;
const LOAD_RUN_MS = 4000;
const REPLICAS = 3;

function findNginx(): string {
  for (const candidate of ['/usr/sbin/nginx', 'nginx']) {
    if (spawnSync(candidate, ['-v']).status === 0) return candidate;
  }
  throw new Error('nginx not found (apt-get install -y nginx)');
}

async function waitForHttp(url: string, child?: ChildProcess): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (child && child.exitCode !== null) throw new Error(`${url}: the process exited (${child.exitCode})`);
    try {
      const response = await fetch(url);
      if (response.status < 500) return;
    } catch {
      // not up yet
    }
    await sleep(50);
  }
  throw new Error(`${url} did not come up`);
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => child.once('exit', () => r()));
}

interface Agent {
  readonly agentId: string;
  readonly token: string;
}

interface AgentDriver extends Agent {
  client: Client | undefined;
}

/** One call with its key; retried (new session) on any failure. Resolves the answer, or undefined. */
async function callWithRetry(
  driver: AgentDriver,
  url: URL,
  event: LabelledEvent['event'],
  key: string,
  counters: { retries: number },
): Promise<Record<string, unknown> | undefined> {
  for (let attempt = 1; attempt <= 8; attempt++) {
    try {
      driver.client ??= await connectAsAgent(url, driver.token, `sim-${driver.agentId}`);
      return (await driver.client.callTool(
        {
          name: 'read_file',
          arguments: { path: 'f.txt' },
          _meta: { [IDEMPOTENCY_KEY_META_KEY]: key, [SIMULATED_EVENT_META_KEY]: event },
        },
        undefined,
        { timeout: 30_000 },
      )) as Record<string, unknown>;
    } catch {
      counters.retries++;
      await driver.client?.close().catch(() => undefined);
      driver.client = undefined;
      await sleep(Math.min(1000, 50 * attempt));
    }
  }
  return undefined;
}

const relabel = (events: readonly LabelledEvent[], prefix: string): LabelledEvent[] =>
  events.map((e) => ({
    ...e,
    agentId: `${prefix}${e.agentId}`,
    event: { ...e.event, agent_id: `${prefix}${e.agentId}`, event_id: `${prefix}${e.event.event_id}` },
  }));

async function main(): Promise<number> {
  const nginxBin = findNginx();
  const work = mkdtempSync(join(tmpdir(), 'harombe-cluster-test-'));
  const children: ChildProcess[] = [];
  let database: Awaited<ReturnType<typeof startThrowawayPostgres>> | undefined;
  const cleanup = () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    database?.stop();
    rmSync(work, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    cleanup();
    process.exit(130);
  });
  try {
    // --- PostgreSQL (durable commits, as in production), fleets, configuration.
    database = await startThrowawayPostgres({ settings: { fsync: 'on', synchronous_commit: 'on' } });
    note(`PostgreSQL at ${database.url}`);
    const fleet = generateFleet(FLEET);
    const loadFleet = generateFleet(LOAD_FLEET);
    const loadHistory = relabel(loadFleet.history, 'load-');
    const loadLive = relabel(loadFleet.live, 'load-').filter((e) => e.label === 'normal');
    const agentIds = [...new Set([...fleet.history, ...loadHistory].map((e) => e.agentId))];
    const agents: Agent[] = agentIds.map((agentId) => ({
      agentId,
      token: `tok-${agentId}-${randomBytes(12).toString('hex')}`,
    }));
    const tokenOf = new Map(agents.map((a) => [a.agentId, a.token]));
    const timeZones = new Map([
      ...fleet.personas.map((p) => [p.agentId, p.timeZone] as const),
      ...loadFleet.personas.map((p) => [`load-${p.agentId}`, p.timeZone] as const),
    ]);
    const sandbox = join(work, 'sandbox');
    mkdirSync(sandbox);
    writeFileSync(join(sandbox, 'f.txt'), 'simulated tool output\n');
    const toolsPort = await freePort();
    const gatewayPorts = await Promise.all(Array.from({ length: REPLICAS }, freePort));
    const routePorts = await Promise.all(Array.from({ length: REPLICAS }, freePort));
    const configOf = (replica: number): GatewayConfigInput => ({
      port: gatewayPorts[replica - 1] ?? 0,
      agents: agents.map((a) => ({ agentId: a.agentId, token: a.token, timeZone: timeZones.get(a.agentId) })),
      upstreams: [{ name: 'tools', url: `http://127.0.0.1:${toolsPort}/mcp` }],
      detection: { mode: 'enforce', contamination: 0.01, seed: 42 },
      cluster: { postgres: { connectionString: database!.url }, replicaId: `gateway-${replica}` },
      testing: { simulatedEvents: true },
    });
    const config = parseGatewayConfig(configOf(1));

    // --- Models: trained once, stored as version 1 (watermark 0). The first models are kept for the references.
    const histories = new Map<string, LabelledEvent['event'][]>();
    for (const { agentId, event } of [...fleet.history, ...loadHistory]) {
      const list = histories.get(agentId) ?? [];
      list.push(event);
      histories.set(agentId, list);
    }
    const parsedHistories = new Map(
      [...histories].map(([id, events]) => [id, events.map((e) => parseSecurityEvent(e))]),
    );
    const seeded = await seedClusterModels(config, parsedHistories, quiet);
    note(`seeded ${seeded.saved.length} agents (fleet model: ${seeded.fleetModel})`);
    const pool = new pg.Pool({ connectionString: database.url, max: 4 });
    const store = new PostgresModelStore({ pool });
    const log = new PostgresAgentLog({ pool });
    const firstModels = new Map<string, unknown>();
    for (const agentId of agentIds)
      firstModels.set(agentId, (await store.loadVersioned(agentId, 'threat-model')).body);

    // --- Processes: tool server, three gateways, nginx.
    const logFile = (name: string) => openSync(join(work, `${name}.log`), 'a');
    const tools = spawn(
      process.execPath,
      [gatewayBin, 'tools', '--sandbox', sandbox, '--port', String(toolsPort)],
      {
        stdio: ['ignore', logFile('tools'), logFile('tools')],
      },
    );
    children.push(tools);
    await waitForHttp(`http://127.0.0.1:${toolsPort}/mcp`, tools);
    const gateways = new Map<number, ChildProcess>();
    const startGateway = async (replica: number) => {
      const file = join(work, `gateway-${replica}.json`);
      writeFileSync(file, JSON.stringify(configOf(replica)));
      const child = spawn(process.execPath, [gatewayBin, 'start', '--config', file], {
        stdio: ['ignore', logFile(`gateway-${replica}`), logFile(`gateway-${replica}`)],
        env: { ...process.env, HAROMBE_LOG_LEVEL: 'warn' },
      });
      children.push(child);
      gateways.set(replica, child);
      await waitForHttp(`http://127.0.0.1:${gatewayPorts[replica - 1]}/healthz`, child);
    };
    await Promise.all([1, 2, 3].map(startGateway));
    const prefix = join(work, 'nginx');
    mkdirSync(prefix);
    const gatewayAddresses = gatewayPorts.map((p) => `127.0.0.1:${p}`);
    writeFileSync(
      join(prefix, 'nginx.conf'),
      nginxConfig({
        prefix,
        // Route n: the first n gateways (the calls/s runs); route 3 serves the failover scenario.
        routes: routePorts.map((listen, index) => ({
          listen,
          gateways: gatewayAddresses.slice(0, index + 1),
        })),
        ...(process.getuid?.() === 0 ? { user: 'root' } : {}),
      }),
    );
    const nginx = spawn(nginxBin, ['-p', prefix, '-c', 'nginx.conf', '-g', 'daemon off;'], {
      stdio: ['ignore', logFile('nginx'), logFile('nginx')],
    });
    children.push(nginx);
    const routeUrl = (n: number) => new URL(`http://127.0.0.1:${routePorts[n - 1]}/mcp`);
    await waitForHttp(`http://127.0.0.1:${routePorts[2]}/healthz`, nginx);
    note(`3 gateways, nginx on ${routePorts.join(', ')}`);

    // --- Calls per second through 1, 2 and 3 replicas (the load agents, consecutive slices of their live days).
    const counters = { retries: 0 };
    const callsPerSecond: Record<string, number> = {};
    const loadByAgent = new Map<string, LabelledEvent[]>();
    for (const e of loadLive) loadByAgent.set(e.agentId, [...(loadByAgent.get(e.agentId) ?? []), e]);
    const cursor = new Map<string, number>();
    for (const n of [1, 2, 3]) {
      const deadline = Date.now() + LOAD_RUN_MS;
      let done = 0;
      const t0 = Date.now();
      await Promise.all(
        [...loadByAgent].map(async ([agentId, events]) => {
          const driver: AgentDriver = { agentId, token: tokenOf.get(agentId)!, client: undefined };
          while (Date.now() < deadline) {
            const index = cursor.get(agentId) ?? 0;
            const labelled = events[index];
            if (labelled === undefined) break;
            cursor.set(agentId, index + 1);
            if (await callWithRetry(driver, routeUrl(n), labelled.event, labelled.event.event_id, counters))
              done++;
          }
          await driver.client?.close().catch(() => undefined);
        }),
      );
      callsPerSecond[String(n)] = Math.round((done / ((Date.now() - t0) / 1000)) * 10) / 10;
      note(`${n} replica(s): ${done} calls, ${callsPerSecond[String(n)]} calls/s`);
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
        await startGateway(killed);
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
            routeUrl(3),
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
    await Promise.all(
      [...gateways.values()].map((child) => {
        child.kill('SIGTERM');
        return exited(child);
      }),
    );
    nginx.kill('SIGQUIT');
    tools.kill('SIGTERM');
    await Promise.all([exited(nginx), exited(tools)]);

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
    cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
