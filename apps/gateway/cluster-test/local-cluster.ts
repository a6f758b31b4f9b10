// A multi-node deployment on loopback for harnesses (`pnpm test:cluster`, the bench's multi-node
// part): a throwaway PostgreSQL, the example tool server, gateway replicas (built dist, multi-node
// mode, one process each) and nginx routing each agent by its token, with route n in front of the
// first n replicas. Also the MCP load both harnesses drive through it.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LabelledEvent } from '@harombe/agent-sim';
import { parseSecurityEvent, type SecurityEvent } from '@harombe/security-ml';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { pino } from 'pino';
import {
  findPostgres,
  freePort,
  startThrowawayPostgres,
  type ThrowawayPostgres,
} from '../../../tooling/postgres-cluster.js';
import {
  connectAsAgent,
  type GatewayConfig,
  type GatewayConfigInput,
  IDEMPOTENCY_KEY_META_KEY,
  nginxConfig,
  parseGatewayConfig,
  type SeedResult,
  SIMULATED_EVENT_META_KEY,
  seedClusterModels,
} from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const gatewayBin = resolve(here, '../dist/main.js');
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Why a local cluster cannot be had on this machine: a harness can branch on `code`. */
export class ClusterUnavailableError extends Error {
  override readonly name = 'ClusterUnavailableError';
  constructor(
    readonly code: 'postgres-not-found' | 'nginx-not-found',
    message: string,
  ) {
    super(message);
  }
}

/** Debian's nginx, else `nginx` on PATH; `undefined` when there is none. */
export function findNginx(): string | undefined {
  for (const candidate of ['/usr/sbin/nginx', 'nginx']) {
    if (spawnSync(candidate, ['-v']).status === 0) return candidate;
  }
  return undefined;
}

/**
 * What a local cluster needs from the machine, or the error that says what is missing.
 * Checked before anything starts, so a harness can report a skip without side effects.
 */
export function clusterPrerequisites(): { nginx: string } | ClusterUnavailableError {
  if (!findPostgres())
    return new ClusterUnavailableError(
      'postgres-not-found',
      'PostgreSQL not found: no initdb/pg_ctl in HAROMBE_PG_BIN, /usr/lib/postgresql/*/bin or PATH (apt-get install postgresql)',
    );
  const nginx = findNginx();
  if (!nginx)
    return new ClusterUnavailableError('nginx-not-found', 'nginx not found (apt-get install nginx)');
  return { nginx };
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

export function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null
    ? Promise.resolve()
    : new Promise((r) => child.once('exit', () => r()));
}

export interface ClusterAgent {
  readonly agentId: string;
  readonly token: string;
  readonly timeZone?: string | undefined;
}

export interface LocalClusterOptions {
  /**
   * The agents' training history: every agent in it is configured (with a random token) and its
   * model seeded in PostgreSQL before the replicas start.
   */
  readonly history: readonly LabelledEvent[];
  /** The agents' time zones. Default: none (UTC). */
  readonly timeZones?: ReadonlyMap<string, string>;
  /** Gateway replicas; nginx gets one route per prefix (route n: the first n). Default 3. */
  readonly replicas?: number;
  /** Detection mode of the replicas. Default `enforce`. */
  readonly mode?: 'enforce' | 'shadow';
  /** Progress lines. Default: none. */
  readonly note?: (text: string) => void;
}

export interface LocalCluster {
  readonly database: ThrowawayPostgres;
  readonly agents: readonly ClusterAgent[];
  /** Replica 1's configuration, parsed (the others differ in port and replica id only). */
  readonly config: GatewayConfig;
  readonly seeded: SeedResult;
  readonly replicas: ReadonlyMap<number, ChildProcess>;
  readonly nginx: ChildProcess;
  /** nginx's route in front of the first `n` replicas. */
  routeUrl(n: number): URL;
  /** Starts replica `replica` (1-based) again, e.g. after a kill; resolves once it is healthy. */
  startReplica(replica: number): Promise<void>;
  /** Replicas first (SIGTERM: they checkpoint what they hold), then nginx and the tool server. */
  stop(): Promise<void>;
  /** Kills whatever still runs, stops PostgreSQL and removes the working directory. Idempotent. */
  cleanup(): void;
}

/**
 * Starts PostgreSQL (durable commits, as in production), seeds the agents' models, then the tool
 * server, the replicas and nginx. Process logs go to files in a temporary directory.
 * @throws {ClusterUnavailableError} when PostgreSQL or nginx cannot be found.
 */
export async function startLocalCluster(options: LocalClusterOptions): Promise<LocalCluster> {
  const prerequisites = clusterPrerequisites();
  if (prerequisites instanceof ClusterUnavailableError) throw prerequisites;
  const note = options.note ?? (() => {});
  const replicaCount = options.replicas ?? 3;
  const work = mkdtempSync(join(tmpdir(), 'harombe-cluster-'));
  const children: ChildProcess[] = [];
  const replicas = new Map<number, ChildProcess>();
  let database: ThrowawayPostgres | undefined;
  const cleanup = () => {
    for (const child of children)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    database?.stop();
    rmSync(work, { recursive: true, force: true });
  };
  try {
    database = await startThrowawayPostgres({ settings: { fsync: 'on', synchronous_commit: 'on' } });
    const databaseUrl = database.url;
    note(`PostgreSQL at ${databaseUrl}`);
    const histories = new Map<string, SecurityEvent[]>();
    for (const { agentId, event } of options.history) {
      const list = histories.get(agentId) ?? [];
      list.push(parseSecurityEvent(event));
      histories.set(agentId, list);
    }
    const agents: ClusterAgent[] = [...histories.keys()].map((agentId) => ({
      agentId,
      token: `tok-${agentId}-${randomBytes(12).toString('hex')}`,
      timeZone: options.timeZones?.get(agentId),
    }));
    const sandbox = join(work, 'sandbox');
    mkdirSync(sandbox);
    writeFileSync(join(sandbox, 'f.txt'), 'simulated tool output\n');
    const toolsPort = await freePort();
    const replicaPorts = await Promise.all(Array.from({ length: replicaCount }, freePort));
    const routePorts = await Promise.all(Array.from({ length: replicaCount }, freePort));
    const configOf = (replica: number): GatewayConfigInput => ({
      port: replicaPorts[replica - 1] ?? 0,
      agents: agents.map((a) => ({ agentId: a.agentId, token: a.token, timeZone: a.timeZone })),
      upstreams: [{ name: 'tools', url: `http://127.0.0.1:${toolsPort}/mcp` }],
      detection: { mode: options.mode ?? 'enforce', contamination: 0.01, seed: 42 },
      cluster: { postgres: { connectionString: databaseUrl }, replicaId: `gateway-${replica}` },
      testing: { simulatedEvents: true },
    });
    const config = parseGatewayConfig(configOf(1));
    // Models: trained once, stored as version 1 (watermark 0).
    const seeded = await seedClusterModels(config, histories, pino({ level: 'silent' }));
    note(`seeded ${seeded.saved.length} agents (fleet model: ${seeded.fleetModel})`);

    const logFile = (name: string) => openSync(join(work, `${name}.log`), 'a');
    const tools = spawn(
      process.execPath,
      [gatewayBin, 'tools', '--sandbox', sandbox, '--port', String(toolsPort)],
      { stdio: ['ignore', logFile('tools'), logFile('tools')] },
    );
    children.push(tools);
    await waitForHttp(`http://127.0.0.1:${toolsPort}/mcp`, tools);
    const startReplica = async (replica: number) => {
      const file = join(work, `gateway-${replica}.json`);
      writeFileSync(file, JSON.stringify(configOf(replica)));
      const child = spawn(process.execPath, [gatewayBin, 'start', '--config', file], {
        stdio: ['ignore', logFile(`gateway-${replica}`), logFile(`gateway-${replica}`)],
        env: { ...process.env, HAROMBE_LOG_LEVEL: 'warn' },
      });
      children.push(child);
      replicas.set(replica, child);
      await waitForHttp(`http://127.0.0.1:${replicaPorts[replica - 1]}/healthz`, child);
    };
    await Promise.all(Array.from({ length: replicaCount }, (_, index) => startReplica(index + 1)));

    const prefix = join(work, 'nginx');
    mkdirSync(prefix);
    const replicaAddresses = replicaPorts.map((p) => `127.0.0.1:${p}`);
    writeFileSync(
      join(prefix, 'nginx.conf'),
      nginxConfig({
        prefix,
        routes: routePorts.map((listen, index) => ({
          listen,
          gateways: replicaAddresses.slice(0, index + 1),
        })),
        ...(process.getuid?.() === 0 ? { user: 'root' } : {}),
      }),
    );
    const nginx = spawn(prerequisites.nginx, ['-p', prefix, '-c', 'nginx.conf', '-g', 'daemon off;'], {
      stdio: ['ignore', logFile('nginx'), logFile('nginx')],
    });
    children.push(nginx);
    await waitForHttp(`http://127.0.0.1:${routePorts[replicaCount - 1]}/healthz`, nginx);
    note(`${replicaCount} gateways, nginx on ${routePorts.join(', ')}`);

    return {
      database,
      agents,
      config,
      seeded,
      replicas,
      nginx,
      routeUrl: (n) => new URL(`http://127.0.0.1:${routePorts[n - 1]}/mcp`),
      startReplica,
      async stop() {
        await Promise.all(
          [...replicas.values()].map((child) => {
            child.kill('SIGTERM');
            return exited(child);
          }),
        );
        nginx.kill('SIGQUIT');
        tools.kill('SIGTERM');
        await Promise.all([exited(nginx), exited(tools)]);
      },
      cleanup,
    };
  } catch (error) {
    cleanup();
    throw error;
  }
}

/** The process id of PostgreSQL's postmaster (first line of `postmaster.pid`). */
export function postmasterPid(database: ThrowawayPostgres): number {
  return Number(readFileSync(join(database.directory, 'data', 'postmaster.pid'), 'utf8').split('\n')[0]);
}

export interface AgentDriver extends ClusterAgent {
  client: Client | undefined;
}

/** One call with its key; retried (new session) on any failure. Resolves the answer, or undefined. */
export async function callWithRetry(
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

/** Each agent's events, in order, as the streams `driveLoad` takes them from. */
export function agentStreams(events: readonly LabelledEvent[]): Map<string, Iterator<LabelledEvent>> {
  const byAgent = new Map<string, LabelledEvent[]>();
  for (const e of events) {
    const list = byAgent.get(e.agentId) ?? [];
    list.push(e);
    byAgent.set(e.agentId, list);
  }
  return new Map([...byAgent].map(([agentId, list]) => [agentId, list.values()]));
}

export interface LoadRun {
  /** Calls answered. */
  readonly calls: number;
  readonly seconds: number;
  /** Each answered call's time from send to answer (retries included), in ms. */
  readonly latenciesMs: Float64Array;
  readonly retries: number;
}

/**
 * One MCP session per agent (connected before the clock starts) calls through `url` back to back,
 * taking the agent's next event from its stream, until the streams run dry or `deadline` (epoch ms)
 * passes. The streams are left where the run stopped, so consecutive runs take consecutive slices.
 */
export async function driveLoad(
  url: URL,
  agents: readonly ClusterAgent[],
  streams: ReadonlyMap<string, Iterator<LabelledEvent>>,
  deadline = Number.POSITIVE_INFINITY,
): Promise<LoadRun> {
  const counters = { retries: 0 };
  const drivers: AgentDriver[] = await Promise.all(
    agents
      .filter((agent) => streams.has(agent.agentId))
      .map(async (agent) => ({
        ...agent,
        client: await connectAsAgent(url, agent.token, `sim-${agent.agentId}`),
      })),
  );
  const latencies: number[] = [];
  const started = performance.now();
  await Promise.all(
    drivers.map(async (driver) => {
      const stream = streams.get(driver.agentId)!;
      while (Date.now() < deadline) {
        const next = stream.next();
        if (next.done) break;
        const { event } = next.value;
        const sent = performance.now();
        if (await callWithRetry(driver, url, event, event.event_id, counters))
          latencies.push(performance.now() - sent);
      }
      await driver.client?.close().catch(() => undefined);
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  return {
    calls: latencies.length,
    seconds,
    latenciesMs: Float64Array.from(latencies),
    retries: counters.retries,
  };
}
