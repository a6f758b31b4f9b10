// The audit logger's cost with and without the anomaly plugin: events logged per second by one
// thread that yields to the event loop every 64 events (as a server logging requests would), and how
// long after `log()` each alert is stored.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateFleet } from '@harombe/agent-sim';
import { AnomalyPlugin, AuditLogger } from '@harombe/audit-logger';
import { percentile } from './stats.js';

export interface AuditBenchResults {
  readonly events: number;
  readonly withoutPlugin: number;
  readonly withPlugin: number;
  /** 1 - withPlugin / withoutPlugin. */
  readonly pluginCost: number;
  readonly alerts: number;
  readonly alertLatencyP50Ms: number;
  readonly alertLatencyP99Ms: number;
  readonly target: string;
}

const fleet = generateFleet({ seed: 7, agents: 12 });
const timeZones = Object.fromEntries(fleet.personas.map((p) => [p.agentId, p.timeZone]));
const ROUNDS = 3;
/** The live week, three times (shifted by a week each time, with fresh ids). */
const live = Array.from({ length: ROUNDS }, (_, round) =>
  fleet.live.map(({ event }) => ({
    ...event,
    event_id: `${event.event_id}-r${round}`,
    timestamp: new Date(Date.parse(event.timestamp) + round * 7 * 86_400_000).toISOString(),
  })),
).flat();

async function withHistory(): Promise<{ dir: string; path: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'harombe-audit-bench-'));
  const path = join(dir, 'audit.db');
  const logger = await AuditLogger.open({ path });
  for (const { event } of fleet.history) logger.log(event);
  await logger.close();
  return { dir, path };
}

/** Logs every live event, yielding every 64; returns events per second of the logging itself. */
async function logAll(logger: AuditLogger, loggedAt: Map<string, number>): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < live.length; i++) {
    const event = live[i]!;
    loggedAt.set(event.event_id, performance.now());
    logger.log(event);
    if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve));
  }
  return live.length / ((performance.now() - started) / 1000);
}

export async function benchAuditLogger(): Promise<AuditBenchResults> {
  const rates = { without: [] as number[], with: [] as number[] };
  const latencies: number[] = [];
  let alerts = 0;
  for (let round = 0; round < 3; round++) {
    {
      const { dir, path } = await withHistory();
      const logger = await AuditLogger.open({ path });
      rates.without.push(await logAll(logger, new Map()));
      await logger.close();
      rmSync(dir, { recursive: true, force: true });
    }
    {
      const { dir, path } = await withHistory();
      const loggedAt = new Map<string, number>();
      const plugin = new AnomalyPlugin({
        modelDir: join(dir, 'models'),
        timeZones,
        backfillOnStart: false,
        feedbackPollMs: 0,
        retrainIntervalMs: 0,
        onAlert: (alert) => {
          if (round === 2) latencies.push(performance.now() - loggedAt.get(alert.eventId)!);
        },
      });
      const logger = await AuditLogger.open({ path, plugins: [plugin] });
      rates.with.push(await logAll(logger, loggedAt));
      await plugin.drain();
      if (round === 2) alerts = plugin.stats().alerts;
      await logger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const median = (xs: number[]) => percentile(xs, 0.5);
  const withoutPlugin = median(rates.without);
  const withPlugin = median(rates.with);
  return {
    events: live.length,
    withoutPlugin,
    withPlugin,
    pluginCost: 1 - withPlugin / withoutPlugin,
    alerts,
    alertLatencyP50Ms: latencies.length ? percentile(latencies, 0.5) : Number.NaN,
    alertLatencyP99Ms: latencies.length ? percentile(latencies, 0.99) : Number.NaN,
    target: 'plugin costs the logger < 10%',
  };
}
