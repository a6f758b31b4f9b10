// The anomaly plugin on PostgreSQL: a small simulated fleet raises the same alerts and incidents as
// on SQLite (models in the database), and of two plugins on one database only the elected leader
// retrains or applies retention.
import { join } from 'node:path';
import { generateFleet } from '@harombe/agent-sim';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AnomalyPlugin,
  type AnomalyPluginOptions,
  AuditLogger,
  type AuditStore,
  type IncidentRecord,
  PostgresAuditStore,
  type PostgresConnection,
} from '../src/index.js';
import { tempDir } from './helpers.js';
import { freshConnection, pgUrl } from './postgres.js';

const fleet = generateFleet({ seed: 11, agents: 4, historyDays: 14, liveDays: 3 });
const timeZones = Object.fromEntries(fleet.personas.map((p) => [p.agentId, p.timeZone]));
const silent = pino({ level: 'silent' });
const options: AnomalyPluginOptions = {
  timeZones,
  seed: 7,
  backfillOnStart: false,
  feedbackPollMs: 0,
  retrainIntervalMs: 0,
  log: silent,
};

/** What a run stored: alerted events, and the incidents (without their storage times). */
async function outcome(logger: AuditLogger<AuditStore>) {
  const alerts = await logger.alerts({ limit: 100_000 });
  const incidents = await logger.incidents({ limit: 100_000 });
  return {
    alerts: alerts.map((a) => [a.eventId, a.threatLevel, a.tailProbability, a.incidentId, a.campaignId]),
    incidents: incidents.map(({ updatedAt: _updated, ...incident }: IncidentRecord) => incident),
  };
}

/** History without detection, then the plugin trains, then the live days are assessed. */
async function run(store: { path: string } | { postgres: PostgresConnection }, modelDir: string) {
  const history = await AuditLogger.open(store);
  for (const { event } of fleet.history) await history.log(event);
  await history.close();
  const plugin = new AnomalyPlugin({ ...options, modelDir });
  const logger = await AuditLogger.open({ ...store, plugins: [plugin] });
  for (const { event } of fleet.live) await logger.log(event);
  await plugin.drain();
  return { logger, plugin, stats: plugin.stats() };
}

describe.skipIf(!pgUrl)('the anomaly plugin on PostgreSQL', () => {
  let onSqlite: Awaited<ReturnType<typeof outcome>>;
  let onPostgres: Awaited<ReturnType<typeof outcome>>;
  let connection: PostgresConnection;
  let logger: AuditLogger<AuditStore>;
  let plugin: AnomalyPlugin;

  beforeAll(async () => {
    const dir = await tempDir();
    const sqlite = await run({ path: join(dir, 'audit.db') }, join(dir, 'models'));
    onSqlite = await outcome(sqlite.logger);
    await sqlite.logger.close();
    connection = freshConnection();
    // No model directory is used on PostgreSQL: models go to the database.
    ({ logger, plugin } = await run({ postgres: connection }, join(dir, 'unused')));
    onPostgres = await outcome(logger);
  });
  afterAll(() => logger?.close());

  it('raises the same alerts and incidents as on SQLite for a simulated fleet', async () => {
    expect(plugin.stats()).toMatchObject({ assessed: fleet.live.length, skipped: 0, failed: 0 });
    expect(onSqlite.alerts.length).toBeGreaterThan(0);
    expect(onSqlite.incidents.length).toBeGreaterThan(0);
    expect(onPostgres).toEqual(onSqlite);
  });

  it('keeps the models in the database, shared by every process', async () => {
    const store = logger.store;
    if (!(store instanceof PostgresAuditStore)) throw new Error('expected the PostgreSQL store');
    const models = await store.models.list('threat-model');
    expect(models.map((m) => m.agentId).sort()).toEqual(fleet.personas.map((p) => p.agentId).sort());
  });

  it('retrains, and applies retention, in the elected process only', async () => {
    const second = new AnomalyPlugin({ ...options, trainOnStart: false, retentionDays: 2 });
    const other = await AuditLogger.open({ postgres: connection, plugins: [second] });
    try {
      const both = await Promise.all([plugin.runScheduled('retrain'), second.runScheduled('retrain')]);
      expect(both.filter((o) => o.led)).toHaveLength(1);
      const led = both.find((o) => o.led)!;
      expect(led.led && led.value.job === 'retrain' && led.value.trained.length).toBe(fleet.personas.length);
      // Alone, either leads. Retention keeps two days before the newest event.
      const retained = await second.runScheduled('retention');
      expect(retained.led).toBe(true);
      const newest = Math.max(...fleet.live.map((e) => Date.parse(e.event.timestamp)));
      const removed =
        fleet.history.length +
        fleet.live.filter((e) => Date.parse(e.event.timestamp) < newest - 2 * 86_400_000).length;
      expect(retained.led && retained.value.job === 'retention' && retained.value.outcome?.events).toBe(
        removed,
      );
      expect((await other.store.stats()).events).toBe(fleet.history.length + fleet.live.length - removed);
    } finally {
      await other.close();
    }
  });
});
