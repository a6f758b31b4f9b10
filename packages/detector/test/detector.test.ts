import { generateFleet } from '@harombe/agent-sim';
import { type AnomalyResult, atLeast, type SecurityEventInput, ValidationError } from '@harombe/models';
import { describe, expect, it } from 'vitest';
import {
  AnomalyDetector,
  calibratedScore,
  calibrationRowsFor,
  DetectorError,
  tailOfScore,
} from '../src/index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MONDAY = Date.UTC(2026, 1, 2);

/** The spec's typical training events: 9-17 weekdays, tool calls, 1-5 resources, 100-300 ms. */
function specHistory(days = 28) {
  const events = [];
  let i = 0;
  for (let d = 0; d < days; d++) {
    if (d % 7 >= 5) continue;
    for (let h = 9; h < 17; h++) {
      for (let k = 0; k < 6; k++) {
        i++;
        events.push({
          timestamp: new Date(MONDAY + d * DAY + h * HOUR + k * 9 * 60_000 + (i % 7) * 60_000),
          event_type: 'tool_call',
          resource_count: 1 + (i % 5),
          duration_ms: 100 + ((i * 37) % 200),
          success: true,
        });
      }
    }
  }
  return events;
}

function trained(options = {}) {
  const detector = new AnomalyDetector({ contamination: 0.05, ...options });
  const result = detector.train('agent-123', specHistory());
  expect(result.trained).toBe(true);
  return detector;
}

const tuesday = MONDAY + 29 * DAY;
const typical = { event_type: 'tool_call', resource_count: 3, duration_ms: 200, success: true };
const suspicious = {
  timestamp: new Date(tuesday + 3 * HOUR),
  event_type: 'file_operation',
  resource_count: 50,
  duration_ms: 5000,
  success: false,
};

describe('the spec scenarios', () => {
  it('flags the spec anomalous example (3 AM, 50 resources, 5 s, failed, rare type) as HIGH or above', () => {
    const result = trained().detect('agent-123', suspicious);
    expect(result.isAnomaly).toBe(true);
    expect(atLeast(result.threatLevel, 'high')).toBe(true);
    expect(result.anomalyScore).toBeGreaterThanOrEqual(0.85);
    expect(result.source).toBe('agent');
  });

  it('scores the spec typical event NONE or LOW', () => {
    const detector = trained();
    // A typical morning so far, then the typical event.
    for (let m = 0; m < 120; m += 10) {
      detector.detect('agent-123', {
        ...typical,
        timestamp: new Date(tuesday + 9 * HOUR + m * 60_000),
        duration_ms: 150 + m,
      });
    }
    const result = detector.detect('agent-123', { ...typical, timestamp: new Date(tuesday + 11 * HOUR) });
    expect(result.isAnomaly).toBe(false);
    expect(['none', 'low']).toContain(result.threatLevel);
  });

  it('explains with the model: top factors with the agent’s typical range, shares summing to 1', () => {
    const result = trained().detect('agent-123', suspicious);
    const shares = Object.values(result.contributingFactors);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    expect(result.explanation).toMatch(
      /duration_ms 5000 \(typical \d+-\d+\)|resource_count 50 \(typical \d+-\d+\)|at 03:00/,
    );
    expect(result.explanation).toMatch(/never seen for this agent|rarely fails|at 03:00/);
  });

  it('explains only when asked (resultOf explain: false), with the same score either way', () => {
    const detector = trained();
    const verdict = detector.scoreEvent('agent-123', suspicious, { record: false });
    const skipped = {
      result: detector.resultOf(verdict, { explain: false }),
      tailProbability: verdict.tailProbability,
    };
    const explained = trained().detectDetailed('agent-123', suspicious, { record: false });
    expect([verdict.tailProbability]).toEqual([explained.tailProbability]);
    expect(skipped.result.anomalyScore).toBe(explained.result.anomalyScore);
    expect(skipped.result.contributingFactors).toEqual({});
    expect(skipped.result.explanation).toMatch(/^not explained: forest score [01]\.\d\d/);
    expect(Object.keys(explained.result.contributingFactors).length).toBeGreaterThan(0);
    expect(explained.result.explanation).toBe(trained().detect('agent-123', suspicious).explanation);
    expect(() => detector.resultOf({ ...verdict })).toThrow(/verdict made by scoreEvent/);
  });

  it('does not train below minEvents and says why', () => {
    const detector = new AnomalyDetector();
    const result = detector.train('tiny', specHistory().slice(0, 5));
    expect(result).toMatchObject({ trained: false, events: 5 });
    expect(result.reason).toContain('at least 10 events');
  });

  it('names the bad training event', () => {
    const events: SecurityEventInput[] = specHistory();
    events[7] = { timestamp: 0, event_type: 'x', duration_ms: -1 };
    expect(() => new AnomalyDetector().train('a', events)).toThrow(
      'events[7].duration_ms: expected a finite number >= 0',
    );
    expect(() => new AnomalyDetector().detect('', typical)).toThrow(ValidationError);
  });
});

describe('calibration', () => {
  it('flags about `contamination` of fresh normal events, and every band is reachable', () => {
    for (const contamination of [0.01, 0.05]) {
      const detector = trained({ contamination });
      const fresh = specHistory(56).filter((e) => e.timestamp.getTime() >= MONDAY + 28 * DAY);
      // Scored as a live stream: each event then enters the activity window.
      const flagged = fresh.filter((e) => detector.detect('agent-123', e).isAnomaly).length;
      expect(flagged / fresh.length).toBeLessThanOrEqual(contamination * 2.5);
    }
    const levels = new Set<string>();
    const detector = trained();
    for (const event of specHistory(35).filter((e) => e.timestamp.getTime() >= MONDAY + 28 * DAY)) {
      levels.add(detector.detect('agent-123', event).threatLevel);
    }
    for (const [resources, duration] of [
      [8, 400],
      [12, 900],
      [20, 2000],
      [50, 5000],
    ] as const) {
      const probe = {
        ...typical,
        resource_count: resources,
        duration_ms: duration,
        timestamp: tuesday + 7 * DAY + 14 * HOUR,
      };
      levels.add(detector.detect('agent-123', probe, { record: false }).threatLevel);
    }
    expect(levels.has('none')).toBe(true);
    expect(levels.has('critical')).toBe(true);
  });

  it('calibrates on about 20 rows past the threshold by default (2048 rows and up), or as many as asked', () => {
    expect([0.1, 0.05, 0.01, 0.005, 0.002, 0.001].map(calibrationRowsFor)).toEqual([
      2048, 2048, 2048, 4096, 8192, 8192,
    ]);
    const history = specHistory(150); // ~5,100 events
    const rowsUsed = (options: object) => {
      const detector = new AnomalyDetector({ ...options });
      detector.train('agent-123', history);
      return detector.exportModel('agent-123').calibration.count;
    };
    expect(rowsUsed({ contamination: 0.01 })).toBe(2048);
    expect(rowsUsed({ contamination: 0.005 })).toBe(4096);
    expect(rowsUsed({ contamination: 0.01, calibrationRows: 3000 })).toBe(3000);
    expect(() => new AnomalyDetector({ calibrationRows: 10 })).toThrow(ValidationError);
  });

  it('maps tail probabilities: contamination → threshold, a decade → halfway, then towards 1 without saturating', () => {
    expect(calibratedScore(1, 0.05, 0.7)).toBe(0);
    expect(calibratedScore(0.05, 0.05, 0.7)).toBeCloseTo(0.7, 12);
    expect(calibratedScore(0.005, 0.05, 0.7)).toBeCloseTo(0.85, 12);
    expect(calibratedScore(0.05 / 10 ** 1.8, 0.05, 0.7)).toBeCloseTo(0.97, 12);
    // Stronger evidence still ranks higher: no two of these decades share a score, none reaches 1.
    const strong = [2, 3, 5, 10, 20, 40].map((d) => calibratedScore(0.05 / 10 ** d, 0.05, 0.7));
    for (let i = 1; i < strong.length; i++) expect(strong[i]!).toBeGreaterThan(strong[i - 1]!);
    expect(strong[strong.length - 1]!).toBeLessThan(1);
    expect(calibratedScore(0, 0.05, 0.7)).toBe(1);
    for (const q of [0.9, 0.2, 0.05, 0.01, 0.001, 1e-5, 1e-9, 1e-20])
      expect(Math.log10(tailOfScore(calibratedScore(q, 0.05, 0.7), 0.05, 0.7))).toBeCloseTo(Math.log10(q), 6);
  });
});

describe('what the forest cannot see', () => {
  it('registers a change in a feature constant in training (never at weekends, never failing)', () => {
    const detector = trained();
    const saturday = MONDAY + 33 * DAY + 11 * HOUR;
    const weekend = detector.detect('agent-123', { ...typical, timestamp: saturday }, { record: false });
    expect(weekend.isAnomaly).toBe(true);
    expect(weekend.explanation).toContain('Saturday');
    const failed = detector.detect(
      'agent-123',
      { ...typical, timestamp: tuesday + 11 * HOUR, success: false },
      { record: false },
    );
    expect(failed.isAnomaly).toBe(true);
    expect(failed.explanation).toContain('failed');
  });
});

describe('feedback', () => {
  it('false positive: the same and near-identical events stop being flagged, other anomalies stay flagged', () => {
    const detector = trained();
    const exportCall = {
      timestamp: tuesday + 11 * HOUR,
      event_type: 'report_export',
      resource_count: 3,
      duration_ms: 700,
    };
    expect(detector.detect('agent-123', exportCall).isAnomaly).toBe(true);
    detector.updateFromFeedback('agent-123', exportCall, false);
    expect(detector.detect('agent-123', { ...exportCall, timestamp: tuesday + 12 * HOUR }).isAnomaly).toBe(
      false,
    );
    expect(
      detector.detect('agent-123', { ...exportCall, timestamp: tuesday + 13 * HOUR, duration_ms: 820 })
        .isAnomaly,
    ).toBe(false);
    expect(detector.detect('agent-123', suspicious).isAnomaly).toBe(true);
    // And after export/import (the reservoir is gone; the confirmation is not). Saving to a store and
    // loading from it is the facade's (@harombe/security-ml), on top of these two.
    const reloaded = new AnomalyDetector({ contamination: 0.05 });
    reloaded.importModel('agent-123', JSON.parse(JSON.stringify(detector.exportModel('agent-123'))));
    expect(reloaded.detect('agent-123', { ...exportCall, timestamp: tuesday + 14 * HOUR }).isAnomaly).toBe(
      false,
    );
    expect(reloaded.detect('agent-123', suspicious).isAnomaly).toBe(true);
  });

  it('confirmed anomaly: near-identical events stay flagged', () => {
    const detector = trained();
    const odd = { ...typical, timestamp: tuesday + 11 * HOUR, resource_count: 7 };
    detector.updateFromFeedback('agent-123', odd, true);
    const again = detector.detect('agent-123', { ...odd, timestamp: tuesday + 12 * HOUR });
    expect(again.isAnomaly).toBe(true);
    expect(again.explanation).toContain('confirmed as an anomaly');
  });

  it('needs a model', () => {
    const event = { ...typical, timestamp: tuesday };
    expect(() => new AnomalyDetector().updateFromFeedback('x', event, false)).toThrow(DetectorError);
  });
});

describe('export, import and cache', () => {
  // Saving to a store and loading from it (the location, NotFoundError, reloading evicted models) are
  // tested with the facade's AnomalyDetector in @harombe/security-ml.
  it('an imported model gives bit-identical results', () => {
    const detector = trained();
    const reloaded = new AnomalyDetector({ contamination: 0.05 });
    reloaded.importModel('agent-123', JSON.parse(JSON.stringify(detector.exportModel('agent-123'))));
    const probes = [
      suspicious,
      { ...typical, timestamp: tuesday + 11 * HOUR },
      { ...typical, timestamp: tuesday + 20 * HOUR, duration_ms: 900 },
    ];
    for (const probe of probes) {
      const a: AnomalyResult = detector.detect('agent-123', probe);
      const b: AnomalyResult = reloaded.detect('agent-123', probe);
      expect(b).toEqual(a);
    }
  });

  it('evicts the least recently used model, not the oldest', () => {
    const detector = new AnomalyDetector({ maxModels: 2 });
    detector.train('a', specHistory());
    detector.train('b', specHistory());
    detector.detect('a', suspicious); // a is now used more recently than b
    detector.train('c', specHistory());
    expect([detector.hasModel('a'), detector.hasModel('b'), detector.hasModel('c')]).toEqual([
      true,
      false,
      true,
    ]);
  });
});

describe('resetWindow', () => {
  it('rebuilds the activity window from the events observed next (a replay of the history scores as the first pass)', () => {
    const history = specHistory();
    const replay = history.slice(0, 60);
    const pass = (detector: AnomalyDetector) =>
      replay.map((e) => detector.detect('agent-123', e).anomalyScore);
    // The same model stored without its window: what a replay should be judged by.
    const stored = trained().exportModel('agent-123');
    const clean = new AnomalyDetector({ contamination: 0.05 });
    const extractor = stored.extractor as Record<string, unknown>;
    clean.importModel('agent-123', { ...stored, extractor: { ...extractor, window: [], held: [] } });
    const expected = pass(clean);
    const carried = trained();
    const reset = trained();
    reset.resetWindow('agent-123');
    expect(pass(reset)).toEqual(expected);
    // Without a reset the window holds the end of the training history: the first replayed events
    // are judged against the wrong hour (or not at all), so the scores differ.
    expect(pass(carried)).not.toEqual(expected);
    expect(() => reset.resetWindow('')).toThrow(ValidationError);
  });
});

describe('cold start', () => {
  it('scores unknown agents against the fleet model and says so', () => {
    const detector = trained();
    detector.train('agent-456', specHistory());
    const result = detector.detect('newcomer', suspicious);
    expect(result.source).toBe('fleet');
    expect(result.explanation).toContain('fleet model');
    expect(result.isAnomaly).toBe(true);
  });

  it('exports the fleet model and another detector scores unknown agents with it exactly', () => {
    const detector = trained();
    const json = JSON.parse(JSON.stringify(detector.exportFleetModel()));
    const fresh = new AnomalyDetector({ contamination: 0.05 });
    expect(fresh.detect('newcomer', suspicious).source).toBe('none');
    fresh.importFleetModel(json);
    const restored = fresh.detect('newcomer', suspicious);
    expect(restored).toMatchObject({ source: 'fleet', isAnomaly: true });
    expect(restored.anomalyScore).toBe(detector.detect('newcomer', suspicious).anomalyScore);
    expect(new AnomalyDetector().exportFleetModel()).toBeUndefined();
    expect(() => fresh.importFleetModel(detector.exportModel('agent-123'))).toThrow(
      /belongs to another agent/,
    );
  });

  it('without any model says it did not score', () => {
    const result = new AnomalyDetector().detect('nobody', suspicious);
    expect(result).toMatchObject({ source: 'none', isAnomaly: false, threatLevel: 'none' });
    expect(result.explanation).toContain('not scored');
  });
});

describe('simulated fleet', () => {
  it('per-agent forests catch the attacks the forest can see, with few false positives', () => {
    const fleet = generateFleet({ seed: 5, agents: 10, historyDays: 21, liveDays: 7 });
    const detector = new AnomalyDetector({ contamination: 0.01 });
    for (const persona of fleet.personas) {
      const events = fleet.history.filter((e) => e.agentId === persona.agentId).map((e) => e.event);
      detector.train(persona.agentId, events, { timeZone: persona.timeZone });
    }
    const counts = new Map<string, { n: number; flagged: number }>();
    for (const { agentId, event, label } of fleet.live) {
      const c = counts.get(label) ?? { n: 0, flagged: 0 };
      c.n++;
      if (detector.detect(agentId, event).isAnomaly) c.flagged++;
      counts.set(label, c);
    }
    const rate = (label: string) => counts.get(label)!.flagged / counts.get(label)!.n;
    expect(rate('normal')).toBeLessThanOrEqual(0.02);
    for (const scenario of [
      'off-hours-exfiltration',
      'new-tool-shell',
      'failure-storm',
      'weekend-activity',
      'mass-file-reads',
    ]) {
      expect(rate(scenario), scenario).toBeGreaterThanOrEqual(0.9);
    }
  });
});
