// Overload: a burst the detection queue cannot hold is stored as skipped, and the plugin assesses it
// while it runs, in the order it was logged; retraining never learns an event before it is assessed.
import { join } from 'node:path';
import { SCENARIOS } from '@harombe/agent-sim';
import { describe, expect, it } from 'vitest';
import { AnomalyPlugin, AuditLogger } from '../src/index.js';
import { alertedByLabel, fleet, timeZones, withHistory } from './helpers.js';

/** >= 90% of each attack's events raised alerts and <= 2% of normal events did. */
function expectAttacksAlertedWithoutFlood(logger: AuditLogger): void {
  const byLabel = alertedByLabel(logger);
  for (const scenario of SCENARIOS) {
    const { alerted, events } = byLabel.get(scenario)!;
    expect(alerted / events, scenario).toBeGreaterThanOrEqual(0.9);
  }
  const normal = byLabel.get('normal')!;
  expect(normal.alerted / normal.events).toBeLessThanOrEqual(0.02);
}

const options = (dir: string) => ({
  modelDir: join(dir, 'models'),
  timeZones,
  seed: 7,
  queueCapacity: 250,
  feedbackPollMs: 0,
  retrainIntervalMs: 0,
});

describe('catching up on events skipped under overload', () => {
  it('assesses a burst skipped under overload while it runs, with events logged meanwhile behind it, and alerts on its attacks', async () => {
    const { dir, path } = await withHistory();
    const plugin = new AnomalyPlugin(options(dir));
    const logger = await AuditLogger.open({ path, plugins: [plugin] });
    // One synchronous burst of five live days: the queue takes 250 events, the rest are skipped.
    const fifthDay = fleet.liveStart + 5 * 86_400_000;
    const burst = fleet.live.filter((e) => Date.parse(e.event.timestamp) < fifthDay);
    const rest = fleet.live.slice(burst.length);
    for (const { event } of burst) logger.log(event);
    // Once the queue has drained, the plugin assesses the skipped events in batches, oldest first.
    while (plugin.stats().backfilled === 0) await new Promise((resolve) => setImmediate(resolve));
    expect(plugin.stats().catchingUp).toBe(true);
    // The last two days come while it catches up: they wait behind the skipped events, so that
    // each actor's events are assessed in the order they were logged.
    for (const { event } of rest) logger.log(event);
    await plugin.drain();
    const stats = plugin.stats();
    expect(stats).toMatchObject({
      assessed: fleet.live.length,
      skipped: fleet.live.length - 250,
      backfilled: fleet.live.length - 250,
      failed: 0,
      catchingUp: false,
    });
    expect(logger.store.stats().decisions).not.toHaveProperty('skipped');
    // No restart needed: the attacks in the burst raise their alerts.
    expectAttacksAlertedWithoutFlood(logger);
    // Caught up, the plugin queues new events again.
    logger.log({ ...fleet.live.at(-1)!.event, event_id: 'after-the-burst' });
    expect(plugin.stats()).toMatchObject({ queued: 1, catchingUp: false });
    await logger.close();
  });

  it('never trains on events whose assessment is pending: a retrain during the backlog brings no flood of alerts', async () => {
    const { dir, path } = await withHistory();
    const plugin = new AnomalyPlugin(options(dir));
    const logger = await AuditLogger.open({ path, plugins: [plugin] });
    for (const { event } of fleet.live) logger.log(event);
    // Not one event of the burst is assessed yet: none of them is training data.
    const burst = new Set(fleet.live.map((e) => e.event.event_id));
    for (const { agentId } of fleet.personas) {
      expect(logger.store.trainingEvents(agentId, 30).filter((e) => burst.has(e.event_id ?? ''))).toEqual([]);
    }
    // The daily retrain comes before the worker has assessed any of the burst, as it can when the
    // backlog is large.
    await plugin.retrain();
    await plugin.drain();
    // A backfill asked for after the retrain (as the next start does) has nothing left to assess.
    let late = 0;
    for (let n = await plugin.backfill(); n > 0; n = await plugin.backfill()) late += n;
    expect(late).toBe(0);
    expect(plugin.stats()).toMatchObject({ assessed: fleet.live.length, failed: 0 });
    expectAttacksAlertedWithoutFlood(logger);
    // Assessed now, the ordinary events of the burst are training data for the next retrain.
    const normal = fleet.live.filter((e) => e.label === 'normal' && !logger.store.alertOf(e.event.event_id));
    const training = new Set(
      fleet.personas.flatMap(({ agentId }) =>
        logger.store.trainingEvents(agentId, 30).map((e) => e.event_id),
      ),
    );
    expect(normal.filter((e) => training.has(e.event.event_id)).length / normal.length).toBeGreaterThan(0.9);
    await logger.close();
  });
});
