// Retraining must not learn a drift toward the tail: an attacker who grows a call's volume 10% a day
// stays below the alert threshold for a day or two (LOW), and those steps are never learned.
import { join } from 'node:path';
import { generateFleet } from '@harombe/agent-sim';
import { describe, expect, it } from 'vitest';
import { AnomalyPlugin, AuditLogger } from '../src/index.js';
import { alertedByLabel, withHistory } from './helpers.js';

const DAY = 86_400_000;
const DRIFT_DAYS = 16;
const drift = generateFleet({
  seed: 11,
  agents: 4,
  historyDays: 21,
  liveDays: DRIFT_DAYS,
  scenarios: [],
  benignChange: false,
});
const attacked = drift.personas[0]!;
const tool = attacked.tools.find((t) => t.name === 'read_file')!;

/**
 * One of the attacker's calls: the agent's own tool in its working hours, reading `scale` times
 * the most files it ever reads (and taking as much longer).
 */
function driftCall(day: number, index: number, scale: number) {
  return {
    event_id: `drift-${day}-${index}`,
    agent_id: attacked.agentId,
    timestamp: new Date(drift.start + day * DAY + 10 * 3_600_000 + index * 50 * 60_000).toISOString(),
    event_type: tool.eventType,
    tool_name: tool.name,
    status: 'success',
    success: true,
    duration_ms: Math.round(tool.durationMedianMs * 1.5 * scale),
    resource_count: Math.round(tool.resourceCount[1] * scale),
  };
}

describe('retraining under a slow drift', () => {
  it('keeps alerting on calls that grow 10% a working day through 16 daily retrains', async () => {
    expect(attacked.weekdaysOnly).toBe(true);
    const { dir, path } = await withHistory(drift.history);
    const plugin = new AnomalyPlugin({
      modelDir: join(dir, 'models'),
      timeZones: Object.fromEntries(drift.personas.map((p) => [p.agentId, p.timeZone])),
      seed: 7,
      feedbackPollMs: 0,
      retrainIntervalMs: 0,
    });
    const logger = await AuditLogger.open({ path, plugins: [plugin] });
    // Per working day of the attacker: its scale and whether its four calls raised alerts.
    const days: Array<{ scale: number; alerted: number }> = [];
    let scale = 1;
    for (let d = 0; d < DRIFT_DAYS; d++) {
      const day = 21 + d;
      const from = drift.start + day * DAY;
      const events: Array<{ timestamp: string }> = drift.live
        .map((e) => e.event)
        .filter((e) => Date.parse(e.timestamp) >= from && Date.parse(e.timestamp) < from + DAY);
      const weekday = (new Date(from).getUTCDay() + 6) % 7 < 5;
      const calls = weekday ? [0, 1, 2, 3].map((i) => driftCall(day, i, scale)) : [];
      for (const event of [...events, ...calls].sort((a, b) => a.timestamp.localeCompare(b.timestamp))) {
        logger.log(event);
      }
      await plugin.drain();
      if (weekday) {
        const alerted = calls.filter((c) => logger.store.alertOf(c.event_id)).length;
        days.push({ scale, alerted });
        scale *= 1.1;
      }
      // The daily retrain, after every day's events are assessed.
      await plugin.retrain();
    }
    expect(days).toHaveLength(12);
    // The attack starts inside the agent's normal behaviour: nothing to alert on.
    expect(days.slice(0, 2).map((d) => d.alerted)).toEqual([0, 0]);
    // From 1.46 times the most the agent reads (the fifth working day) every call raises an alert,
    // up to 2.85 times after 16 retrains. Learning the LOW steps made every one of them LOW.
    for (const { scale: s, alerted } of days.slice(4)) expect(alerted, `scale ${s.toFixed(2)}`).toBe(4);
    // And the retrains learned the agents' ordinary days: <= 2% of their events raised alerts.
    const normal = alertedByLabel(logger, drift).get('normal')!;
    expect(normal.alerted / normal.events).toBeLessThanOrEqual(0.02);
    await logger.close();
  });
});
