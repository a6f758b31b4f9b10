import { generateFleet, SCENARIOS } from '@harombe/agent-sim';
import { describe, expect, it } from 'vitest';
import { atLeast, MemoryModelStore, rocAuc, ThreatDetector } from '../src/index.js';

const HOUR = 3_600_000;
const now = Date.UTC(2026, 2, 4, 14, 0);

/** The spec's Example 2 history: an event every hour for 100 hours, 2-4 resources, 150-249 ms. */
const specHistory = Array.from({ length: 100 }, (_, i) => ({
  timestamp: new Date(now - i * HOUR),
  event_type: 'tool_call',
  resource_count: 2 + (i % 3),
  duration_ms: 150 + (i % 100),
  success: true,
}));

function trainedOnSpec() {
  const threats = new ThreatDetector({ store: new MemoryModelStore(), contamination: 0.01, seed: 7 });
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
