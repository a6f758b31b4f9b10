import { CompactEvents, parseSecurityEvent, type SecurityEvent, ValidationError } from '@harombe/models';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FeatureExtractor, FeatureExtractorError, ModelArtifactError, Rarity } from '../src/index.js';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 2, 2, 9, 0, 0); // Monday 09:00 UTC

/** Feature value by name. */
function featureValue(extractor: FeatureExtractor, vector: Float64Array, name: string): number {
  const index = extractor.featureNames.indexOf(name);
  if (index < 0) throw new Error(`no feature ${name}`);
  return vector[index]!;
}

function event(overrides: Record<string, unknown> = {}): SecurityEvent {
  return parseSecurityEvent({ timestamp: T0, event_type: 'tool_call', ...overrides });
}

/** 40 training events: tool_call x30 (web_fetch), file_read x10 (read_file), hourly on Monday. */
function training(): SecurityEvent[] {
  return Array.from({ length: 40 }, (_, i) =>
    event({
      timestamp: T0 + i * 60_000,
      event_type: i < 30 ? 'tool_call' : 'file_read',
      tool_name: i < 30 ? 'web_fetch' : 'read_file',
      resource_count: 2 + (i % 3),
      duration_ms: 100 + i,
      destination_domain: i < 30 ? 'api.example.com' : undefined,
      file_path: i >= 30 ? `/srv/data/f${i}.csv` : undefined,
      resource_usage: { cpu: 0.5, memory_mb: 100 },
    }),
  );
}

function fitted(options = {}): FeatureExtractor {
  const extractor = new FeatureExtractor(options);
  extractor.fit(training());
  return extractor;
}

describe('layout', () => {
  it('has stable, exported names: event features, resource counters, window features', () => {
    const extractor = fitted();
    expect(extractor.featureNames).toEqual([
      'resource_count',
      'duration_log',
      'hour_sin',
      'hour_cos',
      'weekday_sin',
      'weekday_cos',
      'weekend',
      'event_type_rarity',
      'tool_rarity',
      'failure',
      'new_destination',
      'new_file_location',
      'resource_usage.cpu',
      'resource_usage.memory_mb',
      'calls_per_hour',
      'tool_calls_per_hour',
      'errors_per_hour',
      'window_avg_duration_log',
      'window_max_duration_log',
      'window_unique_tools',
      'window_unique_destinations',
      'window_file_operations',
    ]);
    expect(extractor.dimension).toBe(22);
    expect(fitted({ windowFeatures: false }).dimension).toBe(14);
  });
});

describe('per-event features, hand-computed', () => {
  const extractor = fitted();
  const v = (overrides: Record<string, unknown>) => extractor.transform(event(overrides));

  it('resource_count is the raw count; resource counters are log1p', () => {
    const vector = v({ resource_count: 50, resource_usage: { cpu: 3, memory_mb: 0 } });
    expect(featureValue(extractor, vector, 'resource_count')).toBe(50);
    expect(featureValue(extractor, vector, 'resource_usage.cpu')).toBeCloseTo(Math.log(4), 12);
    expect(featureValue(extractor, vector, 'resource_usage.memory_mb')).toBe(0);
  });

  it('duration is log-scaled: log(1 + ms)', () => {
    expect(featureValue(extractor, v({ duration_ms: 5000 }), 'duration_log')).toBeCloseTo(Math.log(5001), 12);
    expect(featureValue(extractor, v({ duration_ms: 0 }), 'duration_log')).toBe(0);
  });

  it('hour of day is cyclic: 23:00 and 00:00 are neighbours, 12:00 is opposite', () => {
    const at = (h: number) => {
      const vector = v({ timestamp: Date.UTC(2026, 2, 2, h, 0) });
      return [
        featureValue(extractor, vector, 'hour_sin'),
        featureValue(extractor, vector, 'hour_cos'),
      ] as const;
    };
    const [s0, c0] = at(0);
    const [s23, c23] = at(23);
    const [s12, c12] = at(12);
    expect(s0).toBeCloseTo(0, 12);
    expect(c0).toBeCloseTo(1, 12);
    expect(s12).toBeCloseTo(0, 12);
    expect(c12).toBeCloseTo(-1, 12);
    const distance = (a: number, b: number, c: number, d: number) => Math.hypot(a - c, b - d);
    expect(distance(s0, c0, s23, c23)).toBeCloseTo(2 * Math.sin(Math.PI / 24), 12);
    expect(distance(s0, c0, s12, c12)).toBeCloseTo(2, 12);
  });

  it('day of week is cyclic with Monday = 0, and weekend flags Saturday and Sunday', () => {
    const monday = v({ timestamp: Date.UTC(2026, 2, 2, 12) });
    expect(featureValue(extractor, monday, 'weekday_sin')).toBeCloseTo(0, 12);
    expect(featureValue(extractor, monday, 'weekday_cos')).toBeCloseTo(1, 12);
    expect(featureValue(extractor, monday, 'weekend')).toBe(0);
    const saturday = v({ timestamp: Date.UTC(2026, 2, 7, 12) });
    expect(featureValue(extractor, saturday, 'weekday_sin')).toBeCloseTo(Math.sin((2 * Math.PI * 5) / 7), 12);
    expect(featureValue(extractor, saturday, 'weekend')).toBe(1);
    expect(featureValue(extractor, v({ timestamp: Date.UTC(2026, 2, 8, 12) }), 'weekend')).toBe(1);
  });

  it('uses the configured IANA time zone, including daylight saving time', () => {
    const berlin = fitted({ timeZone: 'Europe/Berlin' });
    // 2026-03-29 01:30 UTC is 03:30 CEST (after the switch); 2026-03-28 23:30 UTC is 00:30 CET Sunday.
    const summer = berlin.localTime(Date.UTC(2026, 2, 29, 1, 30));
    expect(summer.hour).toBeCloseTo(3.5, 12);
    const winter = berlin.localTime(Date.UTC(2026, 2, 28, 23, 30));
    expect(winter.hour).toBeCloseTo(0.5, 12);
    expect(winter.weekday).toBe(6);
    const friday = berlin.transform(event({ timestamp: Date.UTC(2026, 2, 6, 23, 30) }));
    expect(featureValue(berlin, friday, 'weekend')).toBe(1); // Saturday 00:30 in Berlin
    expect(() => new FeatureExtractor({ timeZone: 'Mars/Olympus' })).toThrow(ValidationError);
  });

  it('event-type rarity is the smoothed -log frequency; unseen types get the maximum', () => {
    // 30 tool_call, 10 file_read; Laplace: -ln((n + 1) / (40 + 1 * 3)).
    expect(featureValue(extractor, v({ event_type: 'tool_call' }), 'event_type_rarity')).toBeCloseTo(
      -Math.log(31 / 43),
      12,
    );
    expect(featureValue(extractor, v({ event_type: 'file_read' }), 'event_type_rarity')).toBeCloseTo(
      -Math.log(11 / 43),
      12,
    );
    const unseen = featureValue(extractor, v({ event_type: 'shell_exec' }), 'event_type_rarity');
    expect(unseen).toBeCloseTo(-Math.log(1 / 43), 12);
    expect(featureValue(extractor, v({ event_type: 'another_new_one' }), 'event_type_rarity')).toBe(unseen);
  });

  it('tool rarity counts events without a tool as their own category', () => {
    expect(featureValue(extractor, v({ tool_name: 'web_fetch' }), 'tool_rarity')).toBeCloseTo(
      -Math.log(31 / 43),
      12,
    );
    expect(featureValue(extractor, v({ tool_name: 'shell_execute' }), 'tool_rarity')).toBeCloseTo(
      -Math.log(1 / 43),
      12,
    );
    expect(featureValue(extractor, v({}), 'tool_rarity')).toBeCloseTo(-Math.log(1 / 43), 12);
  });

  it('failure is 1 for a failed event', () => {
    expect(featureValue(extractor, v({ success: false }), 'failure')).toBe(1);
    expect(featureValue(extractor, v({ status: 'error' }), 'failure')).toBe(1);
    expect(featureValue(extractor, v({ success: true }), 'failure')).toBe(0);
  });

  it('flags destinations and file locations never seen for this agent', () => {
    expect(featureValue(extractor, v({ destination_domain: 'api.example.com' }), 'new_destination')).toBe(0);
    expect(featureValue(extractor, v({ destination_domain: 'exfil.example.net' }), 'new_destination')).toBe(
      1,
    );
    expect(featureValue(extractor, v({ destination_ip: '203.0.113.9' }), 'new_destination')).toBe(1);
    expect(featureValue(extractor, v({}), 'new_destination')).toBe(0);
    expect(featureValue(extractor, v({ file_path: '/srv/data/other.csv' }), 'new_file_location')).toBe(0);
    expect(featureValue(extractor, v({ file_path: '/etc/shadow' }), 'new_file_location')).toBe(1);
  });

  it('maps missing optional fields to the training medians', () => {
    const vector = v({});
    // resource_count 2,3,4 repeating over 40 events: median 3.
    expect(featureValue(extractor, vector, 'resource_count')).toBe(3);
    // durations 100..139 ms: the median of 40 log1p values averages the 20th and 21st.
    expect(featureValue(extractor, vector, 'duration_log')).toBeCloseTo(
      (Math.log1p(119) + Math.log1p(120)) / 2,
      12,
    );
    expect(featureValue(extractor, vector, 'resource_usage.cpu')).toBeCloseTo(Math.log(1.5), 12);
  });
});

describe('window features', () => {
  it('count calls, tools, errors, durations, distinct tools and destinations and file operations', () => {
    const extractor = fitted({ windowMs: HOUR });
    // Training left the window holding its last hour (40 events, all within 40 minutes).
    const later = T0 + 10 * HOUR;
    const calls = [
      { tool_name: 'a', duration_ms: 100, destination_domain: 'x.com' },
      { tool_name: 'b', duration_ms: 300, success: false },
      { duration_ms: 200, file_path: '/tmp/z' },
    ];
    calls.forEach((c, i) => {
      extractor.observe(event({ timestamp: later + i * 60_000, ...c }));
    });
    const vector = extractor.transform(
      event({
        timestamp: later + 5 * 60_000,
        tool_name: 'a',
        duration_ms: 1000,
        destination_domain: 'y.com',
      }),
    );
    expect(featureValue(extractor, vector, 'calls_per_hour')).toBe(4);
    expect(featureValue(extractor, vector, 'tool_calls_per_hour')).toBe(3);
    expect(featureValue(extractor, vector, 'errors_per_hour')).toBe(1);
    expect(featureValue(extractor, vector, 'window_avg_duration_log')).toBeCloseTo(Math.log1p(400), 12);
    expect(featureValue(extractor, vector, 'window_max_duration_log')).toBeCloseTo(Math.log1p(1000), 12);
    expect(featureValue(extractor, vector, 'window_unique_tools')).toBe(2);
    expect(featureValue(extractor, vector, 'window_unique_destinations')).toBe(2);
    expect(featureValue(extractor, vector, 'window_file_operations')).toBe(1);
  });

  it('expires events older than the window, in event time', () => {
    const extractor = fitted({ windowMs: HOUR });
    const base = T0 + 100 * HOUR;
    extractor.observe(event({ timestamp: base, duration_ms: 5000 }));
    extractor.observe(event({ timestamp: base + 30 * 60_000, duration_ms: 10 }));
    const inside = extractor.transform(event({ timestamp: base + 59 * 60_000, duration_ms: 10 }));
    expect(featureValue(extractor, inside, 'calls_per_hour')).toBe(3);
    expect(featureValue(extractor, inside, 'window_max_duration_log')).toBeCloseTo(Math.log1p(5000), 12);
    const after = extractor.transform(event({ timestamp: base + 61 * 60_000, duration_ms: 10 }));
    expect(featureValue(extractor, after, 'calls_per_hour')).toBe(2);
    expect(featureValue(extractor, after, 'window_max_duration_log')).toBeCloseTo(Math.log1p(10), 12);
  });

  it('scales counts to per hour for other window lengths', () => {
    const extractor = fitted({ windowMs: 10 * 60_000 });
    const base = T0 + 100 * HOUR;
    extractor.observe(event({ timestamp: base }));
    const vector = extractor.transform(event({ timestamp: base + 60_000 }));
    expect(featureValue(extractor, vector, 'calls_per_hour')).toBe(12);
  });

  it('judges a late event at its own time and keeps it out of the newest hour once it left the window', () => {
    // corroboration 1: events after the gap since training are placed at once (the hold is tested apart).
    const extractor = fitted({ windowMs: HOUR, corroboration: 1 });
    const base = T0 + 100 * HOUR;
    extractor.observe(event({ timestamp: base }));
    // Five hours late: the window no longer knows its hour, so its window features are the training
    // medians (neither quiet nor busy), and it is not counted in the newest hour.
    const late = event({ timestamp: base - 5 * HOUR, duration_ms: 999 });
    const calls = extractor.featureNames.indexOf('calls_per_hour');
    expect(extractor.transform(late)[calls]).toBe(extractor.learned.ranges[calls]!.p50);
    extractor.observe(late);
    expect(extractor.activity(base + 30 * 60_000)).toMatchObject({ callsPerHour: 1, maxDurationMs: 0 });
    // Ten minutes late: still inside the window, placed at the newest time.
    extractor.observe(event({ timestamp: base - 10 * 60_000, duration_ms: 777 }));
    expect(extractor.activity(base + 30 * 60_000)).toMatchObject({ callsPerHour: 2, maxDurationMs: 777 });
    expect(extractor.activity(base + 61 * 60_000).callsPerHour).toBe(0);
  });

  it('keeps at most windowCapacity events', () => {
    const extractor = fitted({ windowCapacity: 5 });
    const base = T0 + 100 * HOUR;
    for (let i = 0; i < 50; i++) extractor.observe(event({ timestamp: base + i * 1000 }));
    expect(extractor.activity().callsPerHour).toBe(5);
  });

  it('replaceWindow carries one extractor’s window over to another (as refits do)', () => {
    const source = fitted();
    const base = T0 + 100 * HOUR;
    for (let i = 0; i < 5; i++)
      source.observe(event({ timestamp: base + i * 60_000, tool_name: `t${i % 2}`, duration_ms: 100 * i }));
    const target = fitted();
    expect(target.activity(base + 10 * 60_000)).not.toEqual(source.activity(base + 10 * 60_000));
    target.replaceWindow(source.windowEntries());
    expect(target.activity(base + 10 * 60_000)).toEqual(source.activity(base + 10 * 60_000));
    expect(target.activity(base + 10 * 60_000).callsPerHour).toBe(5);
  });

  it('transform does not record; observe does', () => {
    const extractor = fitted();
    const base = T0 + 100 * HOUR;
    extractor.transform(event({ timestamp: base }));
    expect(extractor.activity(base).callsPerHour).toBe(0);
    extractor.observe(event({ timestamp: base }));
    expect(extractor.activity(base).callsPerHour).toBe(1);
  });
});

describe('fitting', () => {
  it('returns training vectors in time order whatever the input order', () => {
    const events = training();
    const a = new FeatureExtractor().fitTransform(events);
    const b = new FeatureExtractor().fitTransform([...events].reverse());
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
    expect(a.rows).toBe(40);
  });

  it('accepts the spec example events as written (snake_case, Date timestamps)', () => {
    const now = new Date('2026-03-04T14:25:00Z');
    const events = Array.from({ length: 100 }, (_, i) => ({
      timestamp: new Date(now.getTime() - i * HOUR),
      event_type: 'tool_call',
      resource_count: 2 + (i % 3),
      duration_ms: 150 + (i % 100),
    }));
    const extractor = new FeatureExtractor();
    const matrix = extractor.fitTransform(events);
    expect(matrix.rows).toBe(100);
    const suspicious = parseSecurityEvent({
      timestamp: new Date('2026-03-04T03:00:00Z'),
      event_type: 'file_operation',
      resource_count: 50,
      duration_ms: 5000,
      success: true,
    });
    const vector = extractor.transform(suspicious);
    expect(featureValue(extractor, vector, 'resource_count')).toBe(50);
    expect(featureValue(extractor, vector, 'event_type_rarity')).toBeGreaterThan(
      featureValue(extractor, matrix.data, 'event_type_rarity'),
    );
  });

  it('learns typical ranges (5th/50th/95th percentile of training)', () => {
    const extractor = fitted();
    const range = extractor.range('resource_count')!;
    expect(range).toEqual({ p05: 2, p50: 3, p95: 4 });
    expect(extractor.range('nope')).toBeUndefined();
  });

  it('names the bad event when training input is invalid', () => {
    const events = [...training(), { timestamp: T0, event_type: 'x', duration_ms: -1 }];
    expect(() => new FeatureExtractor().fit(events)).toThrow(
      'events[40].duration_ms: expected a finite number >= 0',
    );
  });

  it('refuses use before fit and fitting on nothing', () => {
    expect(() => new FeatureExtractor().transform(event())).toThrow(FeatureExtractorError);
    expect(() => new FeatureExtractor().fit([])).toThrow('at least one event');
  });

  it('learn() makes a confirmed-normal event stop being rare and new', () => {
    const extractor = fitted();
    const shell = event({
      event_type: 'shell',
      tool_name: 'shell_execute',
      destination_domain: 'new.example.org',
    });
    const before = extractor.transform(shell);
    for (let i = 0; i < 20; i++) extractor.learn(shell);
    const after = extractor.transform(shell);
    expect(featureValue(extractor, after, 'event_type_rarity')).toBeLessThan(
      featureValue(extractor, before, 'event_type_rarity'),
    );
    expect(featureValue(extractor, after, 'tool_rarity')).toBeLessThan(
      featureValue(extractor, before, 'tool_rarity'),
    );
    expect(featureValue(extractor, after, 'new_destination')).toBe(0);
  });
});

describe('serialization', () => {
  it('a reloaded extractor produces identical vectors, windows included', () => {
    const extractor = fitted({ timeZone: 'America/New_York', windowMs: 2 * HOUR });
    const probes = [
      event({ timestamp: T0 + 41 * 60_000, tool_name: 'web_fetch', duration_ms: 77 }),
      event({
        timestamp: T0 + 50 * 60_000,
        event_type: 'new',
        destination_ip: '198.51.100.7',
        success: false,
      }),
    ];
    const restored = FeatureExtractor.fromJSON(JSON.parse(JSON.stringify(extractor.toJSON())));
    expect(restored.featureNames).toEqual(extractor.featureNames);
    for (const probe of probes) {
      expect(Array.from(restored.transform(probe))).toEqual(Array.from(extractor.transform(probe)));
      restored.observe(probe);
      extractor.observe(probe);
    }
    expect(restored.toJSON()).toEqual(extractor.toJSON());
  });

  it('refuses foreign, wrong-version and malformed JSON with a typed error', () => {
    const json = fitted().toJSON();
    expect(() => FeatureExtractor.fromJSON({ format: 'other' })).toThrow(ModelArtifactError);
    expect(() => FeatureExtractor.fromJSON({ ...json, version: 9 })).toThrow('format version 9');
    expect(() => FeatureExtractor.fromJSON({ ...json, hourCounts: [1] })).toThrow('hourCounts');
    expect(() => FeatureExtractor.fromJSON({ ...json, neutral: [1] })).toThrow('neutral values');
    expect(() => FeatureExtractor.fromJSON('{"format":')).toThrow('not valid JSON');
  });
});

describe('properties', () => {
  const extractor = fitted({ timeZone: 'Asia/Kolkata' });
  const arbitraryEvent = fc.record(
    {
      timestamp: fc.integer({ min: 0, max: Date.UTC(2200, 0, 1) }),
      event_type: fc.string({ minLength: 1, maxLength: 20 }),
      tool_name: fc.string({ minLength: 1, maxLength: 20 }),
      success: fc.boolean(),
      duration_ms: fc.double({ min: 0, max: 1e12, noNaN: true }),
      resource_count: fc.nat(),
      destination_domain: fc.domain(),
      file_path: fc.string({ minLength: 1, maxLength: 60 }),
      resource_usage: fc.dictionary(
        fc.constantFrom('cpu', 'memory_mb', 'disk'),
        fc.double({ min: 0, max: 1e15, noNaN: true }),
      ),
    },
    { requiredKeys: ['timestamp', 'event_type'] },
  );

  it('any valid event gives a finite vector of the right length', () => {
    fc.assert(
      fc.property(arbitraryEvent, (raw) => {
        const parsed = parseSecurityEvent(raw);
        const vector = extractor.transform(parsed);
        expect(vector.length).toBe(extractor.dimension);
        for (const value of vector) expect(Number.isFinite(value)).toBe(true);
        extractor.observe(parsed);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('fitting from CompactEvents', () => {
  it('learns and transforms exactly as from the events themselves, in time order either way', () => {
    const events = training();
    // Out of order, with two events at the same instant (their input order is kept).
    const shuffled = [
      ...events.slice(20),
      ...events.slice(0, 20),
      event({ timestamp: T0 + 5 * 60_000, event_type: 'late' }),
    ];
    for (const input of [events, shuffled]) {
      const fromEvents = new FeatureExtractor();
      const fromColumns = new FeatureExtractor();
      const a = fromEvents.fitTransform(input);
      const b = fromColumns.fitTransform(CompactEvents.from(input));
      expect(b.data).toEqual(a.data);
      expect(fromColumns.toJSON()).toEqual(fromEvents.toJSON());
    }
    // Anything else is refused with a clear error.
    expect(() => new FeatureExtractor().fit(new Set(events) as never)).toThrow(
      'an array of events or a CompactEvents',
    );
  });
});

describe('fitTransform column hook', () => {
  it('hands over every training column with the extra ranks placed as in a sorted copy', () => {
    const events = training().reverse(); // out of order: fitting sorts them
    const extractor = new FeatureExtractor();
    const ranks = [0, 3, 20, 39];
    const handed: Float64Array[] = [];
    const matrix = extractor.fitTransform(events, {
      ranks,
      onColumn: (column, feature) => {
        handed[feature] = Float64Array.from(column); // the array is reused for the next column
      },
    });
    expect(handed.length).toBe(extractor.dimension);
    handed.forEach((column, feature) => {
      const sorted = Float64Array.from(
        { length: matrix.rows },
        (_, r) => matrix.data[r * matrix.columns + feature]!,
      );
      sorted.sort();
      for (const k of ranks) {
        expect(column[k]).toBe(sorted[k]);
        expect(column.subarray(0, k).every((v) => v <= sorted[k]!)).toBe(true);
        expect(column.subarray(k + 1).every((v) => v >= sorted[k]!)).toBe(true);
      }
      expect(Float64Array.from(column).sort()).toEqual(sorted);
    });
    // The same vectors and ranges as without the hook.
    const plain = new FeatureExtractor();
    expect(plain.fitTransform(events).data).toEqual(matrix.data);
    expect(plain.learned.ranges).toEqual(extractor.learned.ranges);
  });
});

describe('Rarity', () => {
  it('is -ln((count + alpha) / (total + alpha * (distinct + 1))), kept current as values are added', () => {
    const rarity = new Rarity([
      ['read', 6],
      ['write', 2],
    ]);
    const formula = (count: number, total: number, distinct: number) =>
      -Math.log((count + 1) / (total + distinct + 1));
    expect(rarity.rarity('read')).toBe(formula(6, 8, 2));
    expect(rarity.rarity('never')).toBe(formula(0, 8, 2));
    rarity.add('shell');
    rarity.add('read', 3);
    expect(rarity.rarity('read')).toBe(formula(9, 12, 3));
    expect(rarity.rarity('shell')).toBe(formula(1, 12, 3));
    expect(rarity.rarity('never')).toBe(formula(0, 12, 3));
  });
});
