// Multi-node mode against a real PostgreSQL (test/cluster/global-setup.ts): two replicas in this
// process share one schema, the demo's agents and example tool server. What is checked: a call's
// entry is committed before its answer; an agent rebuilt by another replica equals a fold of its log;
// a retried idempotency key is answered from the log without running the tool again; a replica that
// lost the compare-and-set catches up.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PostgresAgentLog, PostgresModelStore } from '@harombe/store-postgres';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  CallGuard,
  connectAsAgent,
  createDetector,
  type DemoStack,
  exportedModel,
  foldEntry,
  Gateway,
  type GatewayConfig,
  type GatewayConfigInput,
  GatewayMetrics,
  IDEMPOTENCY_KEY_META_KEY,
  LogPayloadSchema,
  parseGatewayConfig,
  readHistory,
  seedClusterModels,
  startDemoStack,
} from '../../src/index.js';
import { HOUR, LIVE_DAY, TOKENS } from '../helpers.js';

const pgUrl = inject('pgUrl');
const quiet = pino({ level: 'silent' });
const AGENT = 'ops-bot';

interface Replica {
  gateway: Gateway;
  client: Client | undefined;
  metrics: GatewayMetrics;
  connect(): Promise<Client>;
}

describe.skipIf(pgUrl === null)('multi-node mode (PostgreSQL)', () => {
  const schema = `gw_${randomBytes(5).toString('hex')}`;
  let home: string;
  let stack: DemoStack;
  let config: GatewayConfig;
  let pool: pg.Pool;
  let log: PostgresAgentLog;
  /** The agent's first stored model (version 1), the start of every fold of its log. */
  let firstModel: unknown;
  let now = LIVE_DAY + 10 * HOUR;
  const replicas: Replica[] = [];

  const clusterConfig = (replicaId: string, extra: Partial<GatewayConfigInput> = {}): GatewayConfigInput => {
    const { detection, ...rest } = stack.config;
    const { history: _history, ...withoutHistory } = detection ?? {};
    return {
      ...rest,
      port: 0,
      detection: withoutHistory,
      // A generous load budget: a loaded machine must not turn a first call into a fleet-model verdict.
      cluster: {
        postgres: { connectionString: pgUrl!, schema },
        replicaId,
        commitWindowMs: 1,
        loadBudgetMs: 10_000,
        ...extra,
      },
    } as GatewayConfigInput;
  };

  async function startReplica(replicaId: string, extra: Record<string, unknown> = {}): Promise<Replica> {
    const metrics = new GatewayMetrics();
    const gateway = await Gateway.create(clusterConfig(replicaId, extra), {
      logger: quiet,
      metrics,
      clock: () => new Date(now),
    });
    const url = await gateway.listen();
    const replica: Replica = {
      gateway,
      metrics,
      client: undefined,
      connect: async () => {
        replica.client ??= await connectAsAgent(url, TOKENS[AGENT]);
        return replica.client;
      },
    };
    replicas.push(replica);
    return replica;
  }

  /** The agent's state folded from its log through a fresh detector, from its first model. */
  async function foldedModel(): Promise<unknown> {
    const threats = createDetector(config);
    const guard = new CallGuard(threats, config, new GatewayMetrics(), quiet);
    threats.importThreatModel(AGENT, firstModel);
    for (const entry of await log.read(AGENT, { limit: 10_000 }))
      foldEntry(threats, guard, AGENT, LogPayloadSchema.parse(entry.payload));
    return exportedModel(threats, AGENT);
  }

  const metric = async (replica: Replica, name: string): Promise<number> => {
    const found = (await replica.metrics.registry.getSingleMetric(name)?.get())?.values ?? [];
    return found.reduce((sum, v) => sum + v.value, 0);
  };

  const read = (client: Client, path: string, meta?: Record<string, unknown>) => {
    now += 60_000;
    return client.callTool({
      name: 'read_file',
      arguments: { path },
      ...(meta ? { _meta: meta } : {}),
    }) as Promise<CallToolResult>;
  };

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'harombe-gateway-cluster-'));
    stack = await startDemoStack({ home, now: new Date(LIVE_DAY + HOUR) });
    config = parseGatewayConfig(clusterConfig('seed'));
    const history = await readHistory(stack.config.detection!.history!, quiet);
    await seedClusterModels(config, history, quiet);
    pool = new pg.Pool({ connectionString: pgUrl!, max: 2 });
    log = new PostgresAgentLog({ pool, schema });
    firstModel = (await new PostgresModelStore({ pool, schema }).loadVersioned(AGENT, 'threat-model')).body;
  }, 60_000);

  afterAll(async () => {
    for (const replica of replicas) {
      await replica.client?.close().catch(() => undefined);
      await replica.gateway.close();
    }
    await pool?.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool?.end();
    await stack?.close();
    if (home) await rm(home, { recursive: true, force: true });
  });

  it('commits each call to the agent log before answering it, and answers nothing when it cannot commit', async () => {
    const a = await startReplica('replica-a');
    const client = await a.connect();
    const answer = await read(client, 'logs/file-1.txt');
    expect(answer.isError).not.toBe(true);
    const [entry] = await log.read(AGENT);
    const payload = LogPayloadSchema.parse(entry!.payload);
    // No idempotency key: the tool's answer (what it read) is not kept in the log.
    expect(payload.type === 'call' && payload.answer).toBeNull();
    expect(entry).toMatchObject({ seq: 1, writer: 'replica-a' });
    expect(payload).toMatchObject({ type: 'call', tool: 'read_file', decision: 'allow', assessed: true });
    expect(payload.type === 'call' && payload.recorded?.learn).toBe(true);
    // Without its log the replica cannot commit: the call fails instead of being answered.
    await pool.query(`ALTER TABLE "${schema}".agent_log RENAME TO agent_log_away`);
    try {
      await expect(read(client, 'logs/file-2.txt')).rejects.toThrow();
    } finally {
      await pool.query(`ALTER TABLE "${schema}".agent_log_away RENAME TO agent_log`);
    }
    expect(await log.head(AGENT)).toBe(1);
  });

  it('a replica that takes an agent over rebuilds exactly the state a fold of its log gives', async () => {
    const [a] = replicas;
    const client = await a!.connect();
    for (const path of ['logs/file-3.txt', 'logs/file-4.txt', 'secrets/id_rsa', 'logs/file-5.txt'])
      await read(client, path);
    // Another replica (checkpointing every 3 entries) serves the agent now: load and replay.
    const b = await startReplica('replica-b', { checkpointEvery: 3 });
    for (const path of ['logs/file-6.txt', 'logs/file-7.txt', 'logs/file-8.txt', 'logs/file-9.txt'])
      await read(await b.connect(), path);
    expect(await metric(b, 'harombe_gateway_replayed_entries_total')).toBeGreaterThanOrEqual(5);
    expect(await metric(b, 'harombe_gateway_checkpoints_total')).toBeGreaterThanOrEqual(1);
    const entries = await log.read(AGENT);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    expect(entries.some((e) => LogPayloadSchema.parse(e.payload).type === 'checkpoint')).toBe(true);
    expect(exportedModel(b.gateway.threats, AGENT)).toEqual(await foldedModel());
  });

  it('a retry with the same idempotency key gets the stored answer and the tool does not run again', async () => {
    const [a, b] = replicas;
    const meta = { [IDEMPOTENCY_KEY_META_KEY]: 'retry-key-1' };
    const forwardedBefore = await metric(b!, 'harombe_gateway_tool_calls_total');
    const first = await read(await b!.connect(), 'logs/file-2.txt', meta);
    const head = await log.head(AGENT);
    // The same key again, on this replica and on the other one.
    const again = await read(await b!.connect(), 'logs/file-2.txt', meta);
    const elsewhere = await read(await a!.connect(), 'logs/file-2.txt', meta);
    expect(again).toEqual(first);
    expect(elsewhere).toEqual(first);
    expect(await log.head(AGENT)).toBe(head);
    expect(await metric(b!, 'harombe_gateway_tool_calls_total')).toBe(forwardedBefore + 1);
    expect(await metric(a!, 'harombe_gateway_retried_calls_total')).toBe(1);
    expect(await metric(b!, 'harombe_gateway_retried_calls_total')).toBe(1);
  });

  it('a replica overtaken by another catches up, appends at the new head, and holds the folded state', async () => {
    const [a, b] = replicas;
    // Replica a still holds the agent at an old position; b appended since.
    const conflictsBefore = await metric(a!, 'harombe_gateway_log_head_conflicts_total');
    const head = await log.head(AGENT);
    const answer = await read(await a!.connect(), 'logs/file-1.txt');
    expect(answer.isError).not.toBe(true);
    expect(await metric(a!, 'harombe_gateway_log_head_conflicts_total')).toBe(conflictsBefore + 1);
    const last = (await log.read(AGENT, { after: head })).at(-1)!;
    expect(last).toMatchObject({ seq: head + 1, writer: 'replica-a' });
    const appended = LogPayloadSchema.parse(last.payload);
    expect(appended.type === 'call' && appended.staleBy).toBeGreaterThan(0);
    expect(exportedModel(a!.gateway.threats, AGENT)).toEqual(await foldedModel());
    // And b, overtaken in turn, catches up on its next call.
    await read(await b!.connect(), 'logs/file-3.txt');
    expect(exportedModel(b!.gateway.threats, AGENT)).toEqual(await foldedModel());
  });
});
