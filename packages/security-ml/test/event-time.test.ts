import { generateFleet } from '@harombe/agent-sim';
import { describe, expect, it } from 'vitest';
import { MemoryModelStore, ThreatDetector } from '../src/index.js';

const FAR_FUTURE = '9999-06-01T12:00:00.000Z';

/**
 * Recall of the burst and failure scenarios on one fleet; with `poison`, every agent gets one event
 * stamped in year 9999, in its training history and again early in the live stream.
 */
function recall(poison: boolean) {
  const fleet = generateFleet({
    seed: 21,
    agents: 6,
    historyDays: 21,
    liveDays: 7,
    scenarios: ['call-burst', 'failure-storm'],
    benignChange: false,
  });
  const threats = new ThreatDetector({ store: new MemoryModelStore(), contamination: 0.01, seed: 7 });
  const forged = (agentId: string) => ({
    timestamp: FAR_FUTURE,
    event_type: 'tool_call',
    tool_name: 'web_fetch',
    event_id: `forged-${agentId}`,
  });
  const ready: boolean[] = [];
  for (const p of fleet.personas) {
    const history = fleet.history.filter((e) => e.agentId === p.agentId).map((e) => e.event);
    if (poison) history.splice(history.length >> 1, 0, forged(p.agentId) as never);
    ready.push(threats.train(p.agentId, history, { timeZone: p.timeZone }).baselineReady);
  }
  const forgedVerdicts = [];
  const counts = new Map<string, { n: number; flagged: number }>();
  const cut = Math.floor(fleet.live.length * 0.1);
  for (const [i, { agentId, event, label }] of fleet.live.entries()) {
    if (poison && i === cut) {
      for (const p of fleet.personas) forgedVerdicts.push(threats.assess(p.agentId, forged(p.agentId)));
    }
    const a = threats.assess(agentId, event);
    const c = counts.get(label) ?? { n: 0, flagged: 0 };
    c.n++;
    if (a.isThreat) c.flagged++;
    counts.set(label, c);
  }
  const rate = (label: string) => counts.get(label)!.flagged / counts.get(label)!.n;
  return {
    burst: rate('call-burst'),
    storm: rate('failure-storm'),
    normal: rate('normal'),
    ready,
    forgedVerdicts,
  };
}

describe('event time', () => {
  it('one far-future event neither blinds an agent nor is learned; the verdict says so', () => {
    const clean = recall(false);
    const poisoned = recall(true);
    expect(clean.burst).toBeGreaterThanOrEqual(0.9);
    expect(poisoned.ready.every(Boolean)).toBe(true);
    expect(poisoned.burst).toBeGreaterThanOrEqual(clean.burst - 0.1);
    expect(poisoned.storm).toBeGreaterThanOrEqual(clean.storm - 0.1);
    expect(poisoned.normal).toBeLessThanOrEqual(clean.normal + 0.01);
    for (const verdict of poisoned.forgedVerdicts) {
      expect(verdict.eventTime).toBe('ahead');
      expect(verdict.explanation).toMatch(/days after this agent's newest event \(held out of its windows/);
    }
  }, 60_000);

  it('keeps the agent clock where it was after a far-future event, and moves it when later events confirm', () => {
    const threats = new ThreatDetector({ store: new MemoryModelStore(), seed: 7 });
    const start = Date.UTC(2026, 2, 2, 9);
    const history = Array.from({ length: 200 }, (_, i) => ({
      timestamp: start + i * 10 * 60_000,
      event_type: 'tool_call',
      tool_name: 'read_file',
    }));
    threats.train('a', history);
    const newest = threats.learner.lastEventAt('a');
    threats.assess('a', { timestamp: FAR_FUTURE, event_type: 'tool_call' });
    expect(threats.learner.lastEventAt('a')).toBe(newest);
    // Back after three quiet days: the third event within a day confirms the new time.
    const back = newest! + 3 * 86_400_000;
    const verdicts = [0, 1, 2].map((k) =>
      threats.assess('a', { timestamp: back + k * 60_000, event_type: 'tool_call', tool_name: 'read_file' }),
    );
    expect(verdicts.map((v) => v.eventTime)).toEqual(['ahead', 'ahead', 'ahead']);
    expect(threats.learner.lastEventAt('a')).toBe(back + 2 * 60_000);
  });

  it('judges a late event against its own hour, not the newest one', () => {
    const threats = new ThreatDetector({ store: new MemoryModelStore(), seed: 7 });
    const start = Date.UTC(2026, 2, 2, 0);
    // Four calls an hour, around the clock, for a week.
    const history = Array.from({ length: 4 * 24 * 7 }, (_, i) => ({
      timestamp: start + i * 15 * 60_000,
      event_type: 'tool_call',
      tool_name: 'read_file',
      duration_ms: 100,
    }));
    threats.train('a', history);
    const now = start + 7 * 86_400_000;
    // A busy current hour: 40 calls in it.
    for (let k = 0; k < 40; k++) {
      threats.assess('a', {
        timestamp: now + k * 60_000,
        event_type: 'tool_call',
        tool_name: 'read_file',
        duration_ms: 100,
      });
    }
    const late = threats.assess('a', {
      timestamp: now - 5 * 3_600_000,
      event_type: 'tool_call',
      tool_name: 'read_file',
      duration_ms: 100,
    });
    expect(late.eventTime).toBe('late');
    expect(late.baseline!.rate).toBeLessThan(0.5);
    expect(late.isThreat).toBe(false);
  });

  it('a backfill of late events does not make the newest hour a burst', () => {
    const threats = new ThreatDetector({ store: new MemoryModelStore(), seed: 7 });
    const start = Date.UTC(2026, 2, 2, 0);
    const call = (timestamp: number) => ({
      timestamp,
      event_type: 'tool_call',
      tool_name: 'read_file',
      duration_ms: 100,
    });
    // Four calls an hour, around the clock, for a week; then a day whose events were not assessed.
    threats.train(
      'a',
      Array.from({ length: 4 * 24 * 7 }, (_, i) => call(start + i * 15 * 60_000)),
    );
    const skippedDay = start + 7 * 86_400_000;
    const now = skippedDay + 86_400_000 + 90 * 60_000;
    for (let k = 0; k < 3; k++) threats.assess('a', call(now + k * 60_000));
    // The skipped day assessed late (an audit backfill), four calls an hour as usual.
    let flagged = 0;
    for (let k = 0; k < 96; k++) {
      const a = threats.assess('a', call(skippedDay + k * 15 * 60_000));
      expect(a.eventTime).toBe('late');
      if (a.isThreat) flagged++;
    }
    expect(flagged).toBeLessThanOrEqual(2);
    const next = threats.assess('a', call(now + 10 * 60_000));
    expect(next.baseline!.rate).toBeLessThan(0.5);
    expect(next.isThreat).toBe(false);
  });

  it('held events survive save and load: the restored detector goes on exactly as the original', async () => {
    const store = new MemoryModelStore();
    const threats = new ThreatDetector({ store, seed: 7 });
    const start = Date.UTC(2026, 2, 2, 9);
    const call = (timestamp: number, extra: Record<string, unknown> = {}) => ({
      timestamp,
      event_type: 'tool_call',
      tool_name: 'read_file',
      duration_ms: 120,
      ...extra,
    });
    threats.train(
      'a',
      Array.from({ length: 300 }, (_, i) => call(start + i * 10 * 60_000)),
    );
    const back = threats.learner.lastEventAt('a')! + 2 * 86_400_000;
    // Two events after a quiet spell: both held, in the windows and the baseline.
    threats.assess('a', call(back, { success: false }));
    threats.assess('a', call(back + 60_000));
    await threats.save('a');
    const restored = new ThreatDetector({ store, seed: 7 });
    await restored.load('a');
    for (let k = 2; k < 40; k++) {
      const event = call(back + k * 60_000);
      const [x, y] = [threats.assess('a', event), restored.assess('a', event)];
      expect(y.threatScore).toBe(x.threatScore);
      expect(y.ml.contributingFactors).toEqual(x.ml.contributingFactors);
    }
    expect(restored.learner.exportAgent('a')).toEqual(threats.learner.exportAgent('a'));
    expect(restored.learner.lastEventAt('a')).toBe(back + 39 * 60_000);
  });
});
