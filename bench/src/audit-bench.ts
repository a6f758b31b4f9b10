// The audit logger's cost with and without the anomaly plugin: events logged per second by one
// thread that yields to the event loop every 64 events (as a server logging requests would), and how
// long after `log()` each alert is stored. A logger runs for days, so the figure that counts is the
// steady state: each logger first logs one live week untimed (in which a fresh detection worker
// compiles its code: V8 does that on helper threads, which on two cores take CPU from the logger),
// then five timed weeks. That first week is reported too, as the cost right after start.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateFleet } from '@harombe/agent-sim';
import { AnomalyPlugin, AuditLogger } from '@harombe/audit-logger';
import type { SecurityEventInput } from '@harombe/security-ml';
import { percentile } from './stats.js';

export interface AuditBenchResults {
  /** Events logged in the timed (steady-state) weeks of one run. */
  readonly events: number;
  readonly withoutPlugin: number;
  readonly withPlugin: number;
  /** 1 - withPlugin / withoutPlugin. */
  readonly pluginCost: number;
  /** The same for the first, untimed-for-the-target week after the logger starts. */
  readonly warmUp: {
    readonly events: number;
    readonly withoutPlugin: number;
    readonly withPlugin: number;
    readonly pluginCost: number;
  };
  readonly alerts: number;
  readonly alertLatencyP50Ms: number;
  readonly alertLatencyP99Ms: number;
  readonly target: string;
}

const fleet = generateFleet({ seed: 7, agents: 12 });
const timeZones = Object.fromEntries(fleet.personas.map((p) => [p.agentId, p.timeZone]));
/** Timed weeks per run, and runs per logger kind (the median counts: this machine's speed varies). */
const TIMED_WEEKS = 5;
const RUNS = 5;
/** The live week, repeated (shifted by a week each time, with fresh ids): one to warm up, then the timed ones. */
const live = Array.from({ length: 1 + TIMED_WEEKS }, (_, round) =>
  fleet.live.map(({ event }) => ({
    ...event,
    event_id: `${event.event_id}-r${round}`,
    timestamp: new Date(Date.parse(event.timestamp) + round * 7 * 86_400_000).toISOString(),
  })),
);
const warmUpWeek = live[0]!;
const timedWeeks = live.slice(1).flat();

async function withHistory(): Promise<{ dir: string; path: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'harombe-audit-bench-'));
  const path = join(dir, 'audit.db');
  const logger = await AuditLogger.open({ path });
  for (const { event } of fleet.history) logger.log(event);
  await logger.close();
  return { dir, path };
}

/** Logs the events, yielding every 64; returns events per second of the logging itself. */
async function logAll(
  logger: AuditLogger,
  events: readonly SecurityEventInput[],
  loggedAt: Map<string, number>,
): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    loggedAt.set(event.event_id!, performance.now());
    logger.log(event);
    if (i % 64 === 63) await new Promise((resolve) => setImmediate(resolve));
  }
  return events.length / ((performance.now() - started) / 1000);
}

export async function benchAuditLogger(): Promise<AuditBenchResults> {
  const rates = { without: [] as number[], with: [] as number[] };
  const warmRates = { without: [] as number[], with: [] as number[] };
  const latencies: number[] = [];
  let alerts = 0;
  for (let run = 0; run < RUNS; run++) {
    {
      const { dir, path } = await withHistory();
      const logger = await AuditLogger.open({ path });
      warmRates.without.push(await logAll(logger, warmUpWeek, new Map()));
      rates.without.push(await logAll(logger, timedWeeks, new Map()));
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
          const at = loggedAt.get(alert.eventId);
          if (run === RUNS - 1 && at !== undefined) latencies.push(performance.now() - at);
        },
      });
      const logger = await AuditLogger.open({ path, plugins: [plugin] });
      warmRates.with.push(await logAll(logger, warmUpWeek, new Map()));
      await plugin.drain();
      const alertsBefore = plugin.stats().alerts;
      rates.with.push(await logAll(logger, timedWeeks, loggedAt));
      await plugin.drain();
      if (run === RUNS - 1) alerts = plugin.stats().alerts - alertsBefore;
      await logger.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const median = (xs: number[]) => percentile(xs, 0.5);
  const withoutPlugin = median(rates.without);
  const withPlugin = median(rates.with);
  const warmWithout = median(warmRates.without);
  const warmWith = median(warmRates.with);
  return {
    events: timedWeeks.length,
    withoutPlugin,
    withPlugin,
    pluginCost: 1 - withPlugin / withoutPlugin,
    warmUp: {
      events: warmUpWeek.length,
      withoutPlugin: warmWithout,
      withPlugin: warmWith,
      pluginCost: 1 - warmWith / warmWithout,
    },
    alerts,
    alertLatencyP50Ms: latencies.length ? percentile(latencies, 0.5) : Number.NaN,
    alertLatencyP99Ms: latencies.length ? percentile(latencies, 0.99) : Number.NaN,
    target: 'plugin costs the logger < 10%',
  };
}
