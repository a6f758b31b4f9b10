import { generateFleet, SCENARIOS } from '@harombe/agent-sim';
import { judgedDimensions } from '@harombe/baseline';
import { parseSecurityEvent } from '@harombe/models';
import { describe, expect, it } from 'vitest';
import {
  atLeast,
  BaselineLearner,
  FLEET_MODEL_KIND,
  MemoryModelStore,
  rocAuc,
  ThreatDetector,
  type ThreatDetectorOptions,
  ValidationError,
} from '../src/index.js';
import { CountingStore, HOUR, now, specHistory } from './helpers.js';

function trainedOnSpec(options: ThreatDetectorOptions = {}) {
  const threats = new ThreatDetector({
    store: new MemoryModelStore(),
    contamination: 0.01,
    seed: 7,
    ...options,
  });
  const result = threats.train('agent-123', specHistory);
  expect(result.ml.trained).toBe(true);
  expect(result.baselineReady).toBe(true);
  return threats;
}

describe('ThreatDetector on the spec examples', () => {
  it('rates the spec anomalous example (3 AM, 50 resources, 5 s, failed, rare type) HIGH or above', () => {
    const assessment = trainedOnSpec().assess('agent-123', {
      timestamp: new Date(now + 13 * HOUR), // 03:00 UTC the next day
      event_type: 'file_operation',
      resource_count: 50,
      duration_ms: 5000,
      success: false,
    });
    expect(assessment.isThreat).toBe(true);
    expect(atLeast(assessment.threatLevel, 'high')).toBe(true);
    expect(assessment.coldStart).toBe(false);
    expect(assessment.baseline!.resource).toBeGreaterThanOrEqual(0.9);
    expect(assessment.explanation.length).toBeGreaterThan(20);
  });

  it('rates the spec typical event NONE or LOW', () => {
    const assessment = trainedOnSpec().assess('agent-123', {
      timestamp: new Date(now + HOUR),
      event_type: 'tool_call',
      resource_count: 3,
      duration_ms: 200,
      success: true,
    });
    expect(assessment.isThreat).toBe(false);
    expect(['none', 'low']).toContain(assessment.threatLevel);
  });

  it('scores an unknown agent with the fleet model and says so', () => {
    const assessment = trainedOnSpec().assess('stranger', {
      timestamp: now,
      event_type: 'shell_exec',
      duration_ms: 9000,
    });
    expect(assessment.coldStart).toBe(true);
    expect(assessment.ml.source).toBe('fleet');
    expect(assessment.baseline).toBeNull();
    expect(assessment.explanation).toContain('fleet model');
  });

  it('saves and loads forest and baseline with identical assessments', async () => {
    const store = new MemoryModelStore();
    const threats = new ThreatDetector({ store, contamination: 0.01, seed: 7 });
    threats.train('agent-123', specHistory);
    const location = await threats.save('agent-123');
    expect(location).toContain('threat-model');
    const restored = new ThreatDetector({ store, contamination: 0.01, seed: 7 });
    await restored.load('agent-123');
    const probe = {
      timestamp: now + 13 * HOUR,
      event_type: 'file_operation',
      resource_count: 50,
      duration_ms: 5000,
    };
    expect(restored.assess('agent-123', probe)).toEqual(threats.assess('agent-123', probe));
  });

  it('a model saved mid-stream and loaded assesses the rest of the stream exactly as the original', async () => {
    const fleet = generateFleet({ seed: 5, agents: 2, historyDays: 21, liveDays: 8, scenarios: [] });
    const store = new MemoryModelStore();
    const threats = new ThreatDetector({ store, contamination: 0.01, seed: 7 });
    for (const p of fleet.personas) {
      const history = fleet.history.filter((e) => e.agentId === p.agentId).map((e) => e.event);
      threats.train(p.agentId, history, { timeZone: p.timeZone });
    }
    const live = fleet.live;
    const cut = Math.floor(live.length * 0.4);
    for (const { agentId, event } of live.slice(0, cut)) threats.assess(agentId, event);
    const restored = new ThreatDetector({ store, contamination: 0.01, seed: 7 });
    for (const p of fleet.personas) {
      await threats.save(p.agentId);
      await restored.load(p.agentId);
    }
    const rest = live.slice(cut);
    for (const { agentId, event } of rest) {
      expect(restored.assess(agentId, event)).toEqual(threats.assess(agentId, event));
    }
    expect(rest.length).toBeGreaterThan(400); // enough for profile refreshes on both sides
  });

  it('explains the forest’s part exactly when the combined verdict is LOW or above', () => {
    const fleet = generateFleet({ seed: 9, agents: 4, historyDays: 21, liveDays: 7 });
    const threats = new ThreatDetector({ store: new MemoryModelStore(), contamination: 0.01, seed: 7 });
    for (const p of fleet.personas) {
      const history = fleet.history.filter((e) => e.agentId === p.agentId).map((e) => e.event);
      threats.train(p.agentId, history, { timeZone: p.timeZone });
    }
    const counts = { explained: 0, skipped: 0 };
    for (const { agentId, event } of fleet.live) {
      const a = threats.assess(agentId, event);
      if (a.ml.anomalyScore < 0.5) continue;
      if (a.threatScore >= 0.5) {
        counts.explained++;
        expect(Object.keys(a.ml.contributingFactors).length).toBeGreaterThan(0);
        expect(a.ml.explanation).not.toContain('not explained');
      } else {
        counts.skipped++;
        expect(a.ml.contributingFactors).toEqual({});
        expect(a.explanation).toContain('not explained');
      }
    }
    expect(counts.explained).toBeGreaterThan(10);
    expect(counts.skipped).toBeGreaterThan(0);
  });

  it('replaces an agent’s baseline when trained again', () => {
    const threats = trainedOnSpec();
    threats.train('agent-123', specHistory);
    expect(threats.learner.computeBaseline('agent-123')!.eventCount).toBe(100);
  });

  it('reports its mode', () => {
    const shadow = new ThreatDetector({ store: new MemoryModelStore(), mode: 'shadow' });
    expect(shadow.assess('x', { timestamp: now, event_type: 'a' }).mode).toBe('shadow');
    expect(() => new ThreatDetector({ contamination: 0.9 })).toThrow('contamination');
  });
});

describe('ThreatDetector combination rule', () => {
  it('rejects a forest share outside (0, 1), naming it', () => {
    for (const forestShare of [0, 1, -0.2, Number.NaN]) {
      expect(() => new ThreatDetector({ forestShare })).toThrow(ValidationError);
      expect(() => new ThreatDetector({ forestShare })).toThrow(/forestShare/);
    }
  });

  it("weighs the channels min(forest / s, baseline / (1 - s)), the baseline's dimensions by Simes; the forest alone while the baseline cannot judge", () => {
    const fleet = generateFleet({ seed: 11, agents: 6, historyDays: 14, liveDays: 7 });
    const threats = new ThreatDetector({ store: new MemoryModelStore(), seed: 11 });
    for (const persona of fleet.personas) {
      const events = fleet.history.filter((e) => e.agentId === persona.agentId).map((e) => e.event);
      threats.train(persona.agentId, events, { timeZone: persona.timeZone });
    }
    let forestLed = 0;
    let baselineLed = 0;
    let secondCounted = 0;
    for (const { agentId, event } of fleet.live) {
      // Each channel's tail as assess sees it (nothing is recorded, so every call sees the same state).
      const f = threats.detector.detectDetailed(agentId, event, { record: false }).tailProbability;
      const tails = threats.learner.tailProbabilities(agentId, event)!;
      const k = judgedDimensions(parseSecurityEvent(event));
      // Simes over the k dimensions that can judge the event: min over i of k p(i) / i, the tails in
      // ascending order (below Bonferroni's k p(1) when a second dimension is low too).
      const ascending = Object.values(tails).sort((x, y) => x - y);
      const b = Math.min(1, ...ascending.slice(0, k).map((t, i) => (k * t) / (i + 1)));
      if (b < Math.min(1, ascending[0]! * k) * 0.999) secondCounted++;
      const baselineLeads = b / 0.8 < f / 0.2;
      if (baselineLeads) baselineLed++;
      else forestLed++;
      // The default share 0.2, kept above 1e-300 (no underflow to 0); the tie-break by the channel
      // that did not lead.
      const expected =
        Math.max(1e-300, Math.min(1, f / 0.2, b / 0.8)) * (1 - 0.01 * (1 - (baselineLeads ? f : b)));
      const q = threats.assess(agentId, event, { record: false }).tailProbability;
      expect(Math.abs(q - expected) / expected, `${agentId} ${String(event.timestamp)}`).toBeLessThan(1e-12);
    }
    expect(forestLed).toBeGreaterThan(20);
    expect(baselineLed).toBeGreaterThan(10);
    expect(secondCounted).toBeGreaterThan(10);
    // A stranger has no baseline: its tail is the fleet forest's own.
    const probe = { timestamp: new Date(now), event_type: 'shell_exec', duration_ms: 9000 };
    const forest = threats.detector.detectDetailed('stranger', probe, { record: false }).tailProbability;
    const assessment = threats.assess('stranger', probe, { record: false });
    expect(assessment.baseline).toBeNull();
    expect(assessment.tailProbability).toBe(forest);
  });

  it('a confirmed normal stays below LOW for an agent whose baseline cannot judge yet', () => {
    const threats = new ThreatDetector({ store: new MemoryModelStore(), seed: 5 });
    // 80 events: a forest of its own, too few for a baseline (its feedback included).
    const history = Array.from({ length: 80 }, (_, i) => ({
      timestamp: now - (80 - i) * HOUR,
      event_type: 'tool_call',
      tool_name: 'read_file',
      resource_count: 2 + (i % 3),
      duration_ms: 100 + (i % 7) * 10,
    }));
    threats.train('young', history);
    const odd = {
      timestamp: now,
      event_type: 'tool_call',
      tool_name: 'read_file',
      resource_count: 40,
      duration_ms: 4000,
    };
    const before = threats.assess('young', odd, { record: false });
    expect(before.baseline).toBeNull();
    expect(before.threatLevel).not.toBe('none');
    threats.feedback('young', odd, false);
    const after = threats.assess('young', { ...odd, timestamp: now + 60_000 }, { record: false });
    expect(after.threatLevel).toBe('none');
  });
});

describe('ThreatDetector on simulated fleets', () => {
  for (const seed of [11, 12]) {
    it(`fleet ${seed}: >= 90% of every attack, <= 2% of normal events, ROC-AUC >= 0.98; feedback quiets the benign change`, () => {
      const fleet = generateFleet({ seed, agents: 10, historyDays: 21, liveDays: 7 });
      const threats = new ThreatDetector({ store: new MemoryModelStore(), contamination: 0.01, seed });
      for (const persona of fleet.personas) {
        const events = fleet.history.filter((e) => e.agentId === persona.agentId).map((e) => e.event);
        threats.train(persona.agentId, events, { timeZone: persona.timeZone });
      }
      const counts = new Map<string, { n: number; flagged: number }>();
      const scores: number[] = [];
      const labels: number[] = [];
      let feedbackGiven = false;
      let benignAfterFeedback = { n: 0, flagged: 0 };
      for (const { agentId, event, label } of fleet.live) {
        const assessment = threats.assess(agentId, event);
        if (label === 'benign-change') {
          if (feedbackGiven) {
            benignAfterFeedback = {
              n: benignAfterFeedback.n + 1,
              flagged: benignAfterFeedback.flagged + (assessment.isThreat ? 1 : 0),
            };
          } else if (assessment.isThreat) {
            // The analyst confirms the first alert on the new tool as normal.
            threats.feedback(agentId, event, false);
            feedbackGiven = true;
          }
          continue;
        }
        const c = counts.get(label) ?? { n: 0, flagged: 0 };
        c.n++;
        if (assessment.isThreat) c.flagged++;
        counts.set(label, c);
        scores.push(-Math.log(assessment.tailProbability));
        labels.push(label === 'normal' ? 0 : 1);
      }
      const rate = (label: string) => counts.get(label)!.flagged / counts.get(label)!.n;
      expect(rate('normal')).toBeLessThanOrEqual(0.02);
      for (const scenario of SCENARIOS) expect(rate(scenario), scenario).toBeGreaterThanOrEqual(0.9);
      expect(rocAuc(scores, labels)).toBeGreaterThanOrEqual(0.98);
      expect(feedbackGiven).toBe(true);
      expect(benignAfterFeedback.flagged / benignAfterFeedback.n).toBeLessThanOrEqual(0.2);
    }, 60_000);
  }
});

describe('ThreatDetector re-scanning the period it was trained on', () => {
  it('resetWindows: the training history, scanned again, flags about the contamination rate (<= 3%)', () => {
    const fleet = generateFleet({ seed: 4, agents: 8, historyDays: 14, liveDays: 1 });
    const scan = (reset: boolean) => {
      const threats = new ThreatDetector({ store: new MemoryModelStore(), contamination: 0.01, seed: 4 });
      for (const persona of fleet.personas) {
        const events = fleet.history.filter((e) => e.agentId === persona.agentId).map((e) => e.event);
        threats.train(persona.agentId, events, { timeZone: persona.timeZone });
        if (reset) threats.resetWindows(persona.agentId);
      }
      let flagged = 0;
      for (const { agentId, event } of fleet.history) if (threats.assess(agentId, event).isThreat) flagged++;
      return flagged / fleet.history.length;
    };
    expect(scan(true)).toBeLessThanOrEqual(0.03);
    // Carried over from training, the windows hold the hour that ended the history.
    expect(scan(false)).toBeGreaterThan(0.1);
  }, 60_000);
});

describe('ThreatDetector fleet model in the store', () => {
  it('saveFleetModel / loadFleetModel: another detector scores unknown agents with the stored fleet model', async () => {
    const store = new MemoryModelStore();
    const stranger = { timestamp: now, event_type: 'shell_exec', duration_ms: 9000 };
    const empty = new ThreatDetector({ store, contamination: 0.01, seed: 7 });
    expect(await empty.saveFleetModel()).toBeUndefined();
    expect(await empty.loadFleetModel()).toBe(false);
    const trained = trainedOnSpec({ store });
    expect(await trained.saveFleetModel()).toBeTypeOf('string');
    const fresh = new ThreatDetector({ store, contamination: 0.01, seed: 7 });
    expect(fresh.assess('stranger', stranger, { record: false }).ml.source).toBe('none');
    expect(await fresh.loadFleetModel()).toBe(true);
    const assessment = fresh.assess('stranger', stranger, { record: false });
    expect(assessment).toMatchObject({ coldStart: true, ml: { source: 'fleet' } });
    expect(assessment.threatScore).toBe(trained.assess('stranger', stranger, { record: false }).threatScore);
    // Stored under a kind of its own: no agent's threat model collides with it, whatever its id.
    expect((await store.list()).map((ref) => [ref.agentId, ref.kind])).toEqual([
      ['(fleet)', FLEET_MODEL_KIND],
    ]);
  });
});

const agent = 'support-05';

/** support-05 of the realistic fleet of seed 5 (a new-destination exfiltration among its live days), trained. */
function realisticAgent(liveDays: number) {
  const fleet = generateFleet({ regime: 'realistic', seed: 5, agents: 10, historyDays: 28, liveDays });
  const threats = new ThreatDetector({ store: new MemoryModelStore(), contamination: 0.01, seed: 5 });
  const history = fleet.history.filter((e) => e.agentId === agent).map((e) => e.event);
  threats.train(agent, history, { timeZone: fleet.personas.find((p) => p.agentId === agent)!.timeZone });
  const live = fleet.live.filter((e) => e.agentId === agent).map((e) => e.event);
  return { threats, history, live };
}

describe('ThreatDetector explanations', () => {
  it('describe the event as it was judged, not the state recording it left (a first contact is no "0 min ago")', () => {
    const { threats, history, live } = realisticAgent(7);
    const seen = new Set(history.map((e) => e.destination_domain));
    let firstContacts = 0;
    for (const event of live) {
      const assessment = threats.assess(agent, event);
      const destination = event.destination_domain;
      if (destination === undefined || seen.has(destination)) continue;
      seen.add(destination);
      const said = new RegExp(
        `sent ([0-9.]+ [KM]?B) to ${destination.replaceAll('.', '\\.')} within the hour, ([^;(]*)`,
      ).exec(assessment.explanation);
      if (!said) continue;
      // Not yet recorded when explained: never contacted before, and these bytes counted once.
      firstContacts++;
      expect(said[2]!.trim()).toBe('first contacted');
      const sent = event.resource_usage?.bytes_sent ?? 0;
      expect(said[1]).toBe(sent < 1000 ? `${sent} B` : `${(sent / 1000).toFixed(0)} KB`);
    }
    expect(firstContacts).toBeGreaterThan(0);
  });
});

describe('ThreatDetector on exfiltration spread over ordinary calls', () => {
  it('sees the hour crowd onto a destination the agent uses now and then, says so, and files it by that destination', () => {
    const fleet = generateFleet({ regime: 'realistic', seed: 1, agents: 10, historyDays: 28, liveDays: 7 });
    const attack = fleet.incidents!.find((i) => i.label === 'spread-exfil')!;
    const id = attack.agentId;
    const threats = new ThreatDetector({ store: new MemoryModelStore(), contamination: 0.01, seed: 1 });
    const timeZone = fleet.personas.find((p) => p.agentId === id)!.timeZone;
    threats.train(
      id,
      fleet.history.filter((e) => e.agentId === id).map((e) => e.event),
      { timeZone },
    );
    let calls = 0;
    let flagged = 0;
    const said: string[] = [];
    for (const { agentId, event, label } of fleet.live) {
      if (agentId !== id) continue;
      const assessment = threats.assess(id, event);
      if (label !== 'spread-exfil') continue;
      calls++;
      if (!assessment.isThreat) continue;
      flagged++;
      said.push(assessment.explanation);
    }
    expect(flagged).toBeGreaterThanOrEqual(0.85 * calls);
    const destination = attack.destination!.replaceAll('.', '\\.');
    const crowded = new RegExp(
      `\\d+ of ${attack.tool}'s \\d+ calls within the hour went to ${destination} \\(usually`,
    );
    expect(said.filter((text) => crowded.test(text)).length).toBeGreaterThan(flagged / 2);
    const [incident] = threats.incidents({ agentId: id }).filter((i) => i.alerts >= flagged);
    expect(incident?.reasons).toContain(`many calls to ${attack.destination}`);
  });
});

describe('ThreatDetector learning', () => {
  it('learns ordinary events, not those it found worth a look (LOW and above): an exfiltration does not teach itself', () => {
    const { threats, live } = realisticAgent(3);
    const learned = () => threats.learner.computeBaseline(agent)!.eventCount;
    const seen = { none: 0, noneLearned: 0, low: 0, lowLearned: 0 };
    for (const event of live) {
      const before = learned();
      const { threatLevel, eventTime } = threats.assess(agent, event);
      // An event ahead of the agent's clock is held, and confirming the time releases those held
      // before it: counted only at the agent's current time.
      if (eventTime !== 'current') continue;
      // One more when learned (a day leaving the window may take some away meanwhile).
      const grew = learned() > before;
      if (threatLevel === 'none') {
        seen.none++;
        if (grew) seen.noneLearned++;
      } else if (threatLevel === 'low') {
        seen.low++;
        if (grew) seen.lowLearned++;
      }
    }
    expect(seen.low).toBeGreaterThan(0);
    expect(seen.lowLearned).toBe(0);
    expect(seen.noneLearned).toBeGreaterThan(0.9 * seen.none);
  });
});

describe('ThreatDetector for integrations that assess before a call and record after it', () => {
  const call = (minutes: number, extra: Record<string, unknown> = {}) => ({
    timestamp: new Date(now + HOUR + minutes * 60_000),
    event_type: 'tool_call',
    ...extra,
  });

  it('leaves windows and baseline untouched when assessing with record: false', () => {
    const threats = trainedOnSpec();
    const before = threats.learner.computeBaseline('agent-123');
    const first = threats.assess('agent-123', call(0), { record: false });
    for (let i = 1; i <= 40; i++) threats.assess('agent-123', call(i / 10), { record: false });
    expect(threats.assess('agent-123', call(0), { record: false })).toEqual(first);
    expect(threats.learner.computeBaseline('agent-123')).toEqual(before);
  });

  it('learns outcomes from record(): a failure storm raises the next assessment', () => {
    const threats = trainedOnSpec();
    const calm = threats.assess('agent-123', call(30), { record: false });
    for (let i = 0; i < 30; i++) {
      threats.record('agent-123', call(i / 2, { duration_ms: 200, success: false }), { learn: false });
    }
    const stormy = threats.assess('agent-123', call(30), { record: false });
    expect(stormy.threatScore).toBeGreaterThan(calm.threatScore);
    expect(stormy.isThreat).toBe(true);
    expect(stormy.baseline!.failure).toBeGreaterThanOrEqual(0.9);
  });

  it('keeps unlearned outcomes out of the baseline profile', () => {
    // An hour after the history: placed at once (the hold of ahead events is tested apart).
    const threats = trainedOnSpec({ eventClock: { corroboration: 1 } });
    const before = threats.learner.computeBaseline('agent-123')!.eventCount;
    threats.record('agent-123', call(1, { duration_ms: 200 }), { learn: false });
    expect(threats.learner.computeBaseline('agent-123')!.eventCount).toBe(before);
    threats.record('agent-123', call(2, { duration_ms: 200 }));
    expect(threats.learner.computeBaseline('agent-123')!.eventCount).toBe(before + 1);
  });

  it('loads a stored model on demand with ensureLoaded, and says when there is none', async () => {
    const store = new MemoryModelStore();
    const trained = new ThreatDetector({ store, seed: 7 });
    trained.train('agent-123', specHistory);
    await trained.save('agent-123');
    const fresh = new ThreatDetector({ store, seed: 7 });
    expect(fresh.detector.hasModel('agent-123')).toBe(false);
    await expect(fresh.ensureLoaded('agent-123')).resolves.toBe(true);
    expect(fresh.detector.hasModel('agent-123')).toBe(true);
    await expect(fresh.ensureLoaded('nobody')).resolves.toBe(false);
  });

  it('evictIdle saves and drops all but the most recently active agents; reloaded, they go on exactly', async () => {
    const fleet = generateFleet({ seed: 5, agents: 3, historyDays: 21, liveDays: 4, scenarios: [] });
    const twin = new ThreatDetector({ store: new MemoryModelStore(), contamination: 0.01, seed: 7 });
    const threats = new ThreatDetector({ store: new MemoryModelStore(), contamination: 0.01, seed: 7 });
    for (const p of fleet.personas) {
      const history = fleet.history.filter((e) => e.agentId === p.agentId).map((e) => e.event);
      twin.train(p.agentId, history, { timeZone: p.timeZone });
      threats.train(p.agentId, history, { timeZone: p.timeZone });
    }
    const live = fleet.live;
    const cut = Math.floor(live.length / 2);
    for (const { agentId, event } of live.slice(0, cut)) {
      twin.assess(agentId, event);
      threats.assess(agentId, event);
    }
    const newest = live.slice(0, cut).at(-1)!.agentId;
    const dropped = await threats.evictIdle({ keep: 1 });
    expect(dropped).toHaveLength(2);
    expect(dropped).not.toContain(newest);
    for (const agentId of dropped) {
      expect(threats.detector.hasModel(agentId)).toBe(false);
      expect(threats.learner.hasAgent(agentId)).toBe(false);
    }
    expect(threats.learner.agentIds).toEqual([newest]);
    // Saving refreshes an agent's profile first; the twin saves the same agents at the same point.
    for (const agentId of dropped) await twin.save(agentId);
    for (const { agentId, event } of live.slice(cut)) {
      if (!threats.detector.hasModel(agentId)) await threats.ensureLoaded(agentId);
      expect(threats.assess(agentId, event)).toEqual(twin.assess(agentId, event));
    }
    await expect(threats.evictIdle({ keep: -1 })).rejects.toThrow(/keep/);
  });

  it('evictIdle keeps agents without a forest, asking the store about each of them once', async () => {
    const store = new CountingStore();
    const threats = new ThreatDetector({ store, seed: 7 });
    threats.train('agent-123', specHistory);
    for (let i = 1; i <= 5; i++) threats.assess('newcomer', call(i)); // scored by the fleet model
    expect(threats.learner.hasAgent('newcomer')).toBe(true);
    expect(await threats.evictIdle({ keep: 0 })).toEqual(['agent-123']);
    expect(await threats.evictIdle({ keep: 0 })).toEqual([]);
    expect(threats.learner.agentIds).toEqual(['newcomer']);
    expect(store.lookups.filter((agentId) => agentId === 'newcomer')).toHaveLength(1);
  });

  it('reloads an evicted forest with ensureLoaded and keeps the newer baseline in memory', async () => {
    const store = new MemoryModelStore();
    const threats = new ThreatDetector({ store, seed: 7 });
    threats.train('agent-123', specHistory);
    await threats.save('agent-123');
    for (let i = 1; i <= 30; i++)
      threats.record('agent-123', call(i, { duration_ms: 200, resource_count: 3 }));
    const learned = threats.learner.computeBaseline('agent-123')!.eventCount;
    expect(learned).toBe(specHistory.length + 30);
    threats.detector.evict('agent-123');
    expect(threats.detector.hasModel('agent-123')).toBe(false);
    await expect(threats.ensureLoaded('agent-123')).resolves.toBe(true);
    expect(threats.detector.hasModel('agent-123')).toBe(true);
    expect(threats.learner.computeBaseline('agent-123')!.eventCount).toBe(learned);
    expect(threats.assess('agent-123', call(40), { record: false }).coldStart).toBe(false);
  });

  it('does not ask the store on every event of an agent without a model (ensureLoaded is the way)', async () => {
    const store = new CountingStore();
    const threats = new ThreatDetector({ store, seed: 7 });
    threats.train('agent-123', specHistory);
    for (let i = 0; i < 20; i++) expect(threats.assess('stranger', call(i)).coldStart).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(store.lookups).toHaveLength(0);
    await threats.ensureLoaded('stranger');
    expect(store.lookups).toHaveLength(1);
  });

  it('replaces a model in memory with the stored one via prepare (a stored model wins)', async () => {
    const store = new MemoryModelStore();
    const threats = new ThreatDetector({ store, seed: 7 });
    threats.train('agent-123', specHistory);
    await threats.save('agent-123');
    const probe = { timestamp: now + 13 * HOUR, event_type: 'file_operation', resource_count: 50 };
    const stored = threats.assess('agent-123', probe, { record: false });
    threats.train('agent-123', specHistory.slice(0, 40));
    expect(threats.assess('agent-123', probe, { record: false })).not.toEqual(stored);
    const prepared = await threats.prepare([], { agents: ['agent-123', 'nobody'] });
    expect(prepared.loaded).toEqual(['agent-123']);
    // The same verdict; its incident is a new one (the stored model holds none, and the id of the
    // incident the first assessment opened is taken).
    const reloaded = threats.assess('agent-123', probe, { record: false });
    expect({ ...reloaded, incident: null }).toEqual({ ...stored, incident: null });
    expect(reloaded.incident).toMatchObject({ id: `${stored.incident!.id}#1`, opened: true });
    expect(prepared.coldStart).toEqual(['nobody']);
  });
});

describe('ThreatDetector on input that is not a list of events', () => {
  it('train(id, null) and friends are validation errors naming `events`, not TypeErrors', () => {
    const threats = new ThreatDetector({ store: new MemoryModelStore() });
    for (const events of [null, undefined, 42, 'events', { length: 3 }]) {
      expect(() => threats.train('a', events as never)).toThrow(ValidationError);
      expect(() => threats.train('a', events as never)).toThrow(/events: expected an array of events/);
      expect(() => threats.detector.train('a', events as never)).toThrow(ValidationError);
      // retrain's list is optional: undefined means none.
      if (events !== undefined)
        expect(() => threats.detector.retrain('a', events as never)).toThrow(ValidationError);
    }
    expect(threats.learner.hasAgent('a')).toBe(false);
  });
});

describe('ThreatDetector and BaselineLearner on hostile arguments', () => {
  const trapped = new Proxy(
    {},
    {
      getPrototypeOf() {
        throw new TypeError('prototype trap');
      },
    },
  );
  const event = { timestamp: now, event_type: 'tool_call' };

  it('an agent id that throws when read is a ValidationError in every method', async () => {
    const threats = trainedOnSpec();
    expect(() => threats.assess(trapped as never, event)).toThrow(ValidationError);
    expect(() => threats.record(trapped as never, event)).toThrow(ValidationError);
    expect(() => threats.feedback(trapped as never, event, false)).toThrow(ValidationError);
    expect(() => threats.learner.detectAnomalies(trapped as never, event)).toThrow(ValidationError);
    await expect(threats.load(trapped as never)).rejects.toThrow(ValidationError);
    await expect(threats.ensureLoaded(trapped as never)).rejects.toThrow(ValidationError);
  });

  it('absent options are defaults; a clock that is not one is refused by name', () => {
    const threats = trainedOnSpec();
    expect(threats.assess('agent-123', event, null as never).agentId).toBe('agent-123');
    expect(() => threats.assess('agent-123', event, { record: 'yes' } as never)).toThrow(
      /assess options\.record/,
    );
    expect(() => new BaselineLearner(null as never)).not.toThrow();
    expect(() => new BaselineLearner({ clock: {} as never })).toThrow(/clock: expected a function/);
    const learner = new BaselineLearner({ clock: () => Number.NaN, minSamples: 1 });
    expect(() => learner.recordEvent('a', event)).toThrow(/BaselineLearner clock/);
  });
});

describe('feedback scoped to what was cleared', () => {
  // Two weeks of an hourly API call of ~50 KB to one destination.
  const history = Array.from({ length: 336 }, (_, i) => ({
    timestamp: new Date(now - (336 - i) * HOUR),
    event_type: 'tool_call',
    tool_name: 'http_get',
    destination_domain: 'api.example.com',
    resource_count: 1,
    duration_ms: 150 + (i % 50),
    resource_usage: { network_bytes: 40_000 + (i % 20) * 1000 },
  }));
  const call = (hours: number, domain: string, bytes: number) => ({
    timestamp: new Date(now + hours * HOUR),
    event_type: 'tool_call',
    tool_name: 'http_get',
    destination_domain: domain,
    resource_count: 1,
    duration_ms: 170,
    resource_usage: { network_bytes: bytes },
  });

  it('clears that destination at that volume, not 30x the bytes to it', () => {
    const threats = new ThreatDetector({ store: new MemoryModelStore(), contamination: 0.01, seed: 7 });
    threats.train('agent-1', history);
    const first = threats.assess('agent-1', call(1, 'partner.example.org', 50_000));
    expect(first.isThreat).toBe(true);
    expect(first.baseline!.novelty).toBeGreaterThan(0.8);
    threats.feedback('agent-1', call(1, 'partner.example.org', 50_000), false);
    expect(threats.assess('agent-1', call(2, 'partner.example.org', 48_000)).isThreat).toBe(false);
    const bulk = threats.assess('agent-1', call(3, 'partner.example.org', 1_500_000));
    expect(bulk.isThreat).toBe(true);
    expect(bulk.baseline!.volume).toBeGreaterThanOrEqual(0.9);
    expect(bulk.explanation).toMatch(/sent 1\.5 MB in one call \(typical for http_get \d+ KB-\d+ KB\)/);
  });
});
