import { parseSecurityEvent, ValidationError } from '@harombe/models';
import { describe, expect, it } from 'vitest';
import {
  BaselineLearner,
  binomialUpperTail,
  ModelArtifactError,
  surprise,
  upperNormalTail,
} from '../src/index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MONDAY = Date.UTC(2026, 1, 2);

/** A deterministic pseudo-random stream for test data. */
function stream(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

interface Persona {
  readonly hours: readonly [number, number];
  readonly weekdaysOnly: boolean;
}

/** Ordinary events of a persona for `days` days from `start`. */
function ordinary(persona: Persona, start: number, days: number, seed: number) {
  const random = stream(seed);
  const events = [];
  for (let d = 0; d < days; d++) {
    const weekday = (new Date(start + d * DAY).getUTCDay() + 6) % 7;
    if (persona.weekdaysOnly && weekday >= 5) continue;
    for (let h = persona.hours[0]; h < persona.hours[1]; h++) {
      const calls = 3 + Math.floor(random() * 5);
      for (let k = 0; k < calls; k++) {
        events.push({
          timestamp: start + d * DAY + h * HOUR + Math.floor(random() * HOUR),
          event_type: random() < 0.8 ? 'tool_call' : 'file_read',
          tool_name: random() < 0.7 ? 'web_fetch' : 'read_file',
          resource_count: 1 + Math.floor(random() * 5),
          duration_ms: Math.round(Math.exp(5 + 0.4 * (random() + random() + random() - 1.5) * 2)),
          success: random() > 0.02,
        });
      }
    }
  }
  return events.sort((a, b) => a.timestamp - b.timestamp);
}

const officeHours: Persona = { hours: [9, 17], weekdaysOnly: true };

/**
 * Events days after the history are placed at once (no ahead-event guard): for tests of other
 * things that record after a gap. The guard has tests of its own.
 */
const AT_ONCE = { corroboration: 1 };

function trained(persona = officeHours, options = {}) {
  const learner = new BaselineLearner({ windowDays: 30, minSamples: 100, ...options });
  for (const event of ordinary(persona, MONDAY, 28, 1)) learner.recordEvent('agent-1', event);
  return learner;
}

describe('computeBaseline', () => {
  it('is null below minSamples and a BehavioralBaseline from then on', () => {
    const learner = new BaselineLearner({ minSamples: 100 });
    const events = ordinary(officeHours, MONDAY, 5, 2);
    for (const e of events.slice(0, 99)) learner.recordEvent('a', e);
    expect(learner.computeBaseline('a')).toBeNull();
    expect(learner.detectAnomalies('a', events[0]!)).toBeNull();
    learner.recordEvent('a', events[99]!);
    const baseline = learner.computeBaseline('a')!;
    expect(baseline.eventCount).toBe(100);
    expect(baseline.agentId).toBe('a');
    expect(learner.getBaseline('a')).toBe(baseline);
    expect(learner.computeBaseline('unknown')).toBeNull();
  });

  it('learns uniform hourly and daily distributions', () => {
    const learner = new BaselineLearner({ minSamples: 10, windowDays: 7 });
    // One event every hour for exactly one week.
    for (let i = 0; i < 168; i++)
      learner.recordEvent('u', { timestamp: MONDAY + i * HOUR, event_type: 'tick' });
    const { pattern } = learner.computeBaseline('u')!;
    for (const share of pattern.hourlyDistribution) expect(share).toBeCloseTo(1 / 24, 10);
    for (const share of pattern.dailyDistribution) expect(share).toBeCloseTo(1 / 7, 10);
    expect(pattern.eventTypeFrequencies).toEqual({ tick: 1 });
    expect(pattern.eventsPerHour).toBe(1);
  });

  it('summarises resources, durations, types, tools and errors', () => {
    const learner = new BaselineLearner({ minSamples: 4 });
    const rows = [
      { resource_count: 2, duration_ms: 100, success: true, tool_name: 'a' },
      { resource_count: 4, duration_ms: 200, success: true, tool_name: 'a' },
      { resource_count: 6, duration_ms: 300, success: false, tool_name: 'b' },
      { resource_count: 8, duration_ms: 400, success: true },
    ];
    for (const [i, row] of rows.entries()) {
      learner.recordEvent('s', { timestamp: MONDAY + i * 60_000, event_type: 'x', ...row });
    }
    const { pattern, eventCount } = learner.computeBaseline('s')!;
    expect(eventCount).toBe(4);
    expect(pattern.resourceCount).toMatchObject({ count: 4, mean: 5, min: 2, max: 8 });
    expect(pattern.resourceCount.std).toBeCloseTo(Math.sqrt(5), 10);
    expect(pattern.durationMs.mean).toBe(250);
    expect(pattern.errorRate).toBe(0.25);
    expect(pattern.toolFrequencies).toEqual({ a: 0.5, b: 0.25, '(none)': 0.25 });
  });
});

describe('detectAnomalies: the spec scenarios', () => {
  const learner = trained();
  const tuesday = MONDAY + 29 * DAY; // a Tuesday after the 4 training weeks
  const typical = { event_type: 'tool_call', tool_name: 'web_fetch', resource_count: 3, duration_ms: 150 };

  it('scores a typical event low in every dimension', () => {
    const scores = learner.detectAnomalies('agent-1', { ...typical, timestamp: tuesday + 11 * HOUR })!;
    for (const value of Object.values(scores)) expect(value).toBeLessThan(0.5);
  });

  it('3 AM for an agent only ever active 9-17 is temporal >= 0.9', () => {
    expect(
      learner.detectAnomalies('agent-1', { ...typical, timestamp: tuesday + 3 * HOUR })!.temporal,
    ).toBeGreaterThanOrEqual(0.9);
  });

  it('weekend activity for a weekday-only agent is temporal >= 0.9', () => {
    const saturday = MONDAY + 33 * DAY + 11 * HOUR;
    expect(
      learner.detectAnomalies('agent-1', { ...typical, timestamp: saturday })!.temporal,
    ).toBeGreaterThanOrEqual(0.9);
  });

  it('resource_count 100 against a typical 1-5 is resource >= 0.9', () => {
    const scores = learner.detectAnomalies('agent-1', {
      ...typical,
      timestamp: tuesday + 11 * HOUR,
      resource_count: 100,
    })!;
    expect(scores.resource).toBeGreaterThanOrEqual(0.9);
    expect(scores.temporal).toBeLessThan(0.5);
  });

  it('an event type or tool never seen is eventType >= 0.9', () => {
    const at = tuesday + 11 * HOUR;
    expect(
      learner.detectAnomalies('agent-1', { ...typical, timestamp: at, event_type: 'rare_operation' })!
        .eventType,
    ).toBeGreaterThanOrEqual(0.9);
    expect(
      learner.detectAnomalies('agent-1', { ...typical, timestamp: at, tool_name: 'shell_execute' })!
        .eventType,
    ).toBeGreaterThanOrEqual(0.9);
  });

  it('a very slow operation is duration >= 0.9', () => {
    expect(
      learner.detectAnomalies('agent-1', { ...typical, timestamp: tuesday + 11 * HOUR, duration_ms: 5000 })!
        .duration,
    ).toBeGreaterThanOrEqual(0.9);
  });

  it('a burst of calls raises rate, a failure storm raises failure', () => {
    const burst = trained();
    const at = tuesday + 11 * HOUR;
    // Recorded as recent activity only, as ThreatDetector records events it judged threats.
    for (let i = 0; i < 200; i++) {
      burst.recordEvent(
        'agent-1',
        { ...typical, timestamp: at + i * 5000, success: i % 2 === 0 },
        { learn: false },
      );
    }
    const scores = burst.detectAnomalies('agent-1', {
      ...typical,
      timestamp: at + 200 * 5000,
      success: false,
    })!;
    expect(scores.rate).toBeGreaterThanOrEqual(0.9);
    expect(scores.failure).toBeGreaterThanOrEqual(0.9);
  });
});

describe('calibration', () => {
  it('for events drawn from the baseline itself, each dimension exceeds 0.5 for at most ~10%', () => {
    for (const persona of [
      officeHours,
      { hours: [0, 24], weekdaysOnly: false } as Persona,
      { hours: [6, 22], weekdaysOnly: false } as Persona,
    ]) {
      const learner = new BaselineLearner();
      for (const event of ordinary(persona, MONDAY, 30, 7)) learner.recordEvent('p', event);
      // Two more weeks of the same behaviour, scored as they arrive, then recorded.
      const fresh = ordinary(persona, MONDAY + 30 * DAY, 14, 8);
      const above = { temporal: 0, resource: 0, duration: 0, eventType: 0, rate: 0, failure: 0 };
      for (const event of fresh) {
        const scores = learner.detectAnomalies('p', event)!;
        for (const key of Object.keys(above) as (keyof typeof above)[]) if (scores[key] > 0.5) above[key]++;
        learner.recordEvent('p', event);
      }
      for (const [dimension, count] of Object.entries(above)) {
        expect(count / fresh.length, `${dimension} for hours ${persona.hours}`).toBeLessThanOrEqual(0.1);
      }
    }
  });
});

describe('event time', () => {
  it('replaying a year-old log keeps its history and gives the same answers as live', () => {
    const events = ordinary(officeHours, MONDAY, 28, 3);
    const probe = { timestamp: MONDAY + 29 * DAY + 3 * HOUR, event_type: 'tool_call', resource_count: 40 };
    const live = new BaselineLearner();
    for (const e of events) live.recordEvent('a', e);
    const yearLater = new BaselineLearner();
    const shift = 365 * DAY;
    for (const e of events) yearLater.recordEvent('a', { ...e, timestamp: e.timestamp - shift });
    expect(yearLater.computeBaseline('a')!.eventCount).toBe(live.computeBaseline('a')!.eventCount);
    const a = live.detectAnomalies('a', probe)!;
    const b = yearLater.detectAnomalies('a', { ...probe, timestamp: probe.timestamp - shift })!;
    expect(b.temporal).toBeCloseTo(a.temporal, 12);
    expect(b.resource).toBeCloseTo(a.resource, 12);
  });

  it('old events leave the window as newer events arrive', () => {
    const learner = new BaselineLearner({ windowDays: 7, minSamples: 10 });
    for (const e of ordinary(officeHours, MONDAY, 7, 4)) learner.recordEvent('a', e);
    const before = learner.computeBaseline('a')!.eventCount;
    // Two weeks later, at night: the old week is gone.
    for (let i = 0; i < 20; i++)
      learner.recordEvent('a', { timestamp: MONDAY + 21 * DAY + 2 * HOUR + i * 60_000, event_type: 'night' });
    const after = learner.computeBaseline('a')!;
    expect(before).toBeGreaterThan(100);
    expect(after.eventCount).toBe(20);
    expect(after.pattern.eventTypeFrequencies).toEqual({ night: 1 });
    expect(learner.footprint('a').days).toBe(1);
  });

  it('an injected clock expires history by its time instead', () => {
    let now = MONDAY + 10 * DAY;
    const learner = new BaselineLearner({ windowDays: 7, minSamples: 10, clock: () => now });
    for (const e of ordinary(officeHours, MONDAY + 5 * DAY, 3, 5)) learner.recordEvent('a', e);
    expect(learner.computeBaseline('a')).not.toBeNull();
    now += 30 * DAY;
    expect(learner.computeBaseline('a')).toBeNull();
  });
});

describe('bounded memory', () => {
  it('1,000,000 events for one agent: what is kept stops growing after the first window', () => {
    const learner = new BaselineLearner({ windowDays: 30 });
    const random = stream(9);
    const perDay = 10_000;
    const sizes: number[] = [];
    for (let i = 0; i < 1_000_000; i++) {
      learner.recordEvent('busy', {
        timestamp: MONDAY + Math.floor((i / perDay) * DAY),
        event_type: `type-${i % 7}`,
        tool_name: `tool-${i % 5}`,
        resource_count: Math.floor(random() * 20),
        duration_ms: Math.floor(random() * 2000),
        success: random() > 0.01,
      });
      if (i % 100_000 === 99_999) {
        const f = learner.footprint('busy');
        sizes.push(f.days * 1000 + f.histogramBins + f.vocabulary + f.remembered);
      }
    }
    // 100 days of events: after day 30 the footprint is flat.
    const f = learner.footprint('busy');
    expect(f.days).toBeLessThanOrEqual(31);
    expect(f.remembered).toBeLessThanOrEqual(1000);
    expect(Math.max(...sizes.slice(4))).toBeLessThanOrEqual(sizes[3]! * 1.05);
    expect(learner.computeBaseline('busy')!.eventCount).toBeLessThanOrEqual(31 * perDay);
  }, 60_000);
});

describe('feedback', () => {
  it('a confirmed-normal event is learned: the same kind of event scores lower afterwards', () => {
    const learner = trained(officeHours, AT_ONCE);
    const event = {
      timestamp: MONDAY + 29 * DAY + 11 * HOUR,
      event_type: 'report_export',
      tool_name: 'export_csv',
    };
    const before = learner.detectAnomalies('agent-1', event)!.eventType;
    learner.updateFromFeedback('agent-1', event, false);
    const after = learner.detectAnomalies('agent-1', {
      ...event,
      timestamp: event.timestamp + HOUR,
    })!.eventType;
    expect(before).toBeGreaterThanOrEqual(0.9);
    expect(after).toBeLessThan(0.5);
  });

  it('a confirmed anomaly is taken out of the baseline and kept out', () => {
    const learner = trained(officeHours, AT_ONCE);
    const attack = parseSecurityEvent({
      timestamp: MONDAY + 29 * DAY + 11 * HOUR,
      event_type: 'exfiltrate',
      tool_name: 'upload',
    });
    learner.recordEvent('agent-1', attack);
    const count = learner.computeBaseline('agent-1')!.eventCount;
    learner.updateFromFeedback('agent-1', attack, true);
    expect(learner.computeBaseline('agent-1')!.eventCount).toBe(count - 1);
    expect(learner.computeBaseline('agent-1')!.pattern.eventTypeFrequencies.exfiltrate).toBeUndefined();
    learner.recordEvent('agent-1', attack);
    expect(learner.computeBaseline('agent-1')!.eventCount).toBe(count - 1);
    expect(learner.detectAnomalies('agent-1', attack)!.eventType).toBeGreaterThanOrEqual(0.9);
  });
  it('an event confirmed normal and then an anomaly leaves no trace, however often it is judged', () => {
    const learner = trained(officeHours, AT_ONCE);
    // An ordinary event in the same hour, so that taking the judged one out twice would show.
    learner.recordEvent('agent-1', {
      timestamp: MONDAY + 29 * DAY + 11 * HOUR + 60_000,
      event_type: 'tool_call',
      tool_name: 'web_fetch',
    });
    const untouched = learner.computeBaseline('agent-1')!;
    const event = parseSecurityEvent({
      timestamp: MONDAY + 29 * DAY + 11 * HOUR,
      event_type: 'report_export',
      tool_name: 'export_csv',
      resource_count: 40,
    });
    learner.recordEvent('agent-1', event);
    learner.updateFromFeedback('agent-1', event, false); // now weighs feedbackWeight
    expect(learner.computeBaseline('agent-1')!.pattern.toolFrequencies.export_csv).toBeGreaterThan(0.01);
    learner.updateFromFeedback('agent-1', event, true);
    learner.updateFromFeedback('agent-1', event, true);
    const after = learner.computeBaseline('agent-1')!;
    expect(after.eventCount).toBe(untouched.eventCount);
    expect(after.pattern.toolFrequencies).toEqual(untouched.pattern.toolFrequencies);
    expect(after.pattern.eventTypeFrequencies).toEqual(untouched.pattern.eventTypeFrequencies);
    expect(after.pattern.resourceCount.count).toBe(untouched.pattern.resourceCount.count);
  });
});

describe('serialization and input', () => {
  it('round-trips through JSON with the same scores', () => {
    const learner = trained();
    const restored = BaselineLearner.fromJSON(JSON.parse(JSON.stringify(learner.toJSON())));
    const probe = {
      timestamp: MONDAY + 29 * DAY + 3 * HOUR,
      event_type: 'odd',
      resource_count: 30,
      duration_ms: 900,
    };
    expect(restored.detectAnomalies('agent-1', probe)).toEqual(learner.detectAnomalies('agent-1', probe));
    expect(restored.computeBaseline('agent-1')).toEqual(learner.computeBaseline('agent-1'));
    expect(restored.toJSON()).toEqual(learner.toJSON());
  });

  it('refuses foreign and broken JSON with a typed error', () => {
    expect(() => BaselineLearner.fromJSON({ format: 'x' })).toThrow(ModelArtifactError);
    expect(() => BaselineLearner.fromJSON({ ...trained().toJSON(), version: 3 })).toThrow('version 3');
    expect(() => BaselineLearner.fromJSON({ ...trained().toJSON(), agents: [{ agentId: '' }] })).toThrow(
      'agents',
    );
  });

  it('validates agent ids, events and options', () => {
    const learner = new BaselineLearner();
    expect(() => learner.recordEvent('', { timestamp: 0, event_type: 'x' })).toThrow(ValidationError);
    expect(() => learner.recordEvent('a', { timestamp: 0, event_type: 'x', duration_ms: -5 })).toThrow(
      'event.duration_ms: expected a finite number >= 0, received -5',
    );
    expect(() => new BaselineLearner({ windowDays: 0 })).toThrow('windowDays');
    expect(() => new BaselineLearner({ timeZone: 'Nowhere/City' })).toThrow('IANA');
    // Options that are not an object: one issue, not one per character of a string (the fuzzer's
    // 586,183-character string took over a second to be refused key by key).
    for (const options of ['x'.repeat(100_000), [1, 2], 5])
      expect(() => new BaselineLearner(options as never)).toThrow(
        /^BaselineLearner options: expected an object, received/,
      );
  });
});

describe('score helpers', () => {
  it('map tail probabilities to [0, 1]: 3% is 0.5, 0.1% is 1', () => {
    expect(surprise(1)).toBe(0);
    expect(surprise(10 ** -1.5)).toBeCloseTo(0.5, 12);
    expect(surprise(0.001)).toBeCloseTo(1, 12);
    expect(surprise(0)).toBe(1);
    expect(upperNormalTail(0)).toBeCloseTo(0.5, 6);
    expect(upperNormalTail(1.959964)).toBeCloseTo(0.025, 5);
    expect(upperNormalTail(-1.959964)).toBeCloseTo(0.975, 5);
    expect(binomialUpperTail(0, 10, 0.1)).toBe(1);
    expect(binomialUpperTail(1, 10, 0.1)).toBeCloseTo(1 - 0.9 ** 10, 12);
    expect(binomialUpperTail(10, 10, 0.5)).toBeCloseTo(0.5 ** 10, 12);
  });
});

describe('per-agent time zones and export', () => {
  it('reads hours in the agent’s own zone, and exports and imports one agent', () => {
    const learner = new BaselineLearner({ minSamples: 10 });
    learner.setTimeZone('tokyo', 'Asia/Tokyo');
    // 10:00-11:00 in Tokyo is 01:00-02:00 UTC.
    for (let d = 0; d < 20; d++) {
      for (let k = 0; k < 5; k++)
        learner.recordEvent('tokyo', { timestamp: MONDAY + d * DAY + HOUR + k * 600_000, event_type: 'x' });
    }
    const { pattern } = learner.computeBaseline('tokyo')!;
    expect(pattern.hourlyDistribution[10]).toBeCloseTo(1, 10);
    const copy = new BaselineLearner({ minSamples: 10 });
    copy.importAgent('tokyo', JSON.parse(JSON.stringify(learner.exportAgent('tokyo'))));
    const probe = { timestamp: MONDAY + 21 * DAY + 15 * HOUR, event_type: 'x' };
    expect(copy.tailProbabilities('tokyo', probe)).toEqual(learner.tailProbabilities('tokyo', probe));
    expect(learner.tailProbabilities('tokyo', probe)!.temporal).toBeLessThan(0.01);
    expect(() => copy.importAgent('other', learner.exportAgent('tokyo'))).toThrow(ModelArtifactError);
    expect(() => learner.setTimeZone('tokyo', 'Mars/Base')).toThrow('IANA');
  });
});

describe('the last hour', () => {
  it('counts calls in the trailing hour exactly as time passes in jumps, also after a round trip', () => {
    const learner = new BaselineLearner({ minSamples: 10, ...AT_ONCE });
    const start = MONDAY + 10 * HOUR;
    // Minutes with calls, with gaps of every size up to two hours.
    const minutes = [0, 1, 1, 2, 5, 30, 59, 60, 61, 90, 150, 151, 152, 300, 301, 359];
    for (const [i, m] of minutes.entries()) {
      learner.recordEvent('m', {
        timestamp: start + m * 60_000,
        event_type: 'x',
        event_id: `e${i}`,
        success: i % 3 !== 0,
      });
      const restored = BaselineLearner.fromJSON(JSON.parse(JSON.stringify(learner.toJSON())));
      for (const probe of [learner, restored]) {
        const history = probe.histories().get('m')!;
        const inHour = minutes.slice(0, i + 1).filter((x) => x > m - 60).length;
        const failures = minutes.slice(0, i + 1).filter((x, k) => x > m - 60 && k % 3 === 0).length;
        expect(history.recent(start + m * 60_000)).toMatchObject({ events: inHour, failures });
      }
    }
  });
});

describe('hasAgent', () => {
  it('says whether any history of an agent is held, before and after a baseline exists', () => {
    const learner = new BaselineLearner({ minSamples: 100 });
    expect(learner.hasAgent('a')).toBe(false);
    learner.recordEvent('a', { timestamp: MONDAY, event_type: 'tool_call' });
    expect(learner.hasAgent('a')).toBe(true);
    expect(learner.computeBaseline('a')).toBeNull();
    learner.deleteAgent('a');
    expect(learner.hasAgent('a')).toBe(false);
  });

  it('agentCount counts the agents agentIds lists', () => {
    const learner = new BaselineLearner();
    expect(learner.agentCount).toBe(0);
    for (const id of ['a', 'b', 'a', 'c'])
      learner.recordEvent(id, { timestamp: MONDAY, event_type: 'tool_call' });
    expect(learner.agentCount).toBe(3);
    expect(learner.agentIds.sort()).toEqual(['a', 'b', 'c']);
    learner.deleteAgent('b');
    expect(learner.agentCount).toBe(2);
  });

  it('lastEventAt gives the newest event time recorded, late events and judged ones included', () => {
    const learner = new BaselineLearner();
    expect(learner.lastEventAt('a')).toBeUndefined();
    learner.recordEvent('a', { timestamp: MONDAY + HOUR, event_type: 'tool_call' });
    learner.recordEvent('a', { timestamp: MONDAY, event_type: 'tool_call' });
    expect(learner.lastEventAt('a')).toBe(MONDAY + HOUR);
    learner.recordEvent('a', { timestamp: MONDAY + 2 * HOUR, event_type: 'x' }, { learn: false });
    expect(learner.lastEventAt('a')).toBe(MONDAY + 2 * HOUR);
  });
});

describe('running window totals', () => {
  it('score exactly as a fresh sum of the buckets, through expiry, feedback, late events and a small vocabulary', () => {
    const random = stream(42);
    const learner = new BaselineLearner({
      windowDays: 10,
      minSamples: 50,
      maxVocabulary: 4,
      feedbackWeight: 2.5,
    });
    const tools = ['web_fetch', 'read_file', 'write_note', 'shell', 'search', 'deploy'];
    const probes = [
      { timestamp: 0, event_type: 'tool_call', tool_name: 'web_fetch', resource_count: 3, duration_ms: 140 },
      {
        timestamp: 0,
        event_type: 'odd',
        tool_name: 'deploy',
        resource_count: 60,
        duration_ms: 9000,
        success: false,
      },
      { timestamp: 0, event_type: 'file_read', tool_name: 'read_file', resource_count: 1, duration_ms: 20 },
    ];
    let time = MONDAY;
    let compared = 0;
    for (let i = 1; i <= 6000; i++) {
      time += Math.floor(random() * 12 * 60_000);
      const late = random() < 0.05 ? Math.floor(random() * 3 * DAY) : 0;
      const event = {
        timestamp: time - late,
        event_type:
          random() < 0.7 ? 'tool_call' : random() < 0.5 ? 'file_read' : `type-${Math.floor(random() * 6)}`,
        tool_name: tools[Math.floor(random() * random() * tools.length)]!,
        resource_count: Math.floor(random() * 8),
        duration_ms: Math.round(Math.exp(3 + 3 * random())),
        success: random() > 0.05,
      };
      learner.recordEvent('agent-1', event, { learn: random() > 0.03 });
      if (i % 97 === 0) learner.updateFromFeedback('agent-1', event, random() < 0.4);
      if (i % 150 === 0) {
        // A refresh on the live learner uses its running totals; the restored one sums its buckets.
        const restored = BaselineLearner.fromJSON(JSON.parse(JSON.stringify(learner.toJSON())));
        const live = learner.computeBaseline('agent-1');
        expect(restored.computeBaseline('agent-1')).toEqual(live);
        if (live === null) continue;
        for (const probe of probes) {
          const at = { ...probe, timestamp: time + 60_000 };
          expect(learner.tailProbabilities('agent-1', at)).toEqual(restored.tailProbabilities('agent-1', at));
        }
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(30);
  });
});

describe('routine refreshes', () => {
  it('spread over a few scoring calls, the previous profile serving meanwhile; feedback applies at once', () => {
    const learner = new BaselineLearner({ windowDays: 30, minSamples: 50 });
    const event = (i: number, tool: string) => ({
      timestamp: MONDAY + i * 60_000,
      event_type: 'tool_call',
      tool_name: tool,
      duration_ms: 100,
    });
    for (let i = 0; i < 300; i++) learner.recordEvent('a', event(i, 'web_fetch'));
    const probe = event(400, 'deploy');
    const before = learner.tailProbabilities('a', probe)!.eventType;
    for (let i = 300; i < 360; i++) learner.recordEvent('a', event(i, 'deploy')); // 20% new: stale
    const during = [0, 1, 2, 3, 4].map(() => learner.tailProbabilities('a', probe)!.eventType);
    expect(during[0]).toBe(before); // the refresh has started; the old profile still answers
    expect(during[4]).toBeGreaterThan(before * 10); // done: deploy is now a known tool
    expect(during.filter((p) => p === before).length).toBeGreaterThan(1);
    // Feedback is not routine: it applies to the very next score.
    const odd = event(401, 'shell');
    const unseen = learner.tailProbabilities('a', odd)!.eventType;
    learner.updateFromFeedback('a', odd, false);
    expect(learner.tailProbabilities('a', odd)!.eventType).toBeGreaterThan(unseen);
  });
});
