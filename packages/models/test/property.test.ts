import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildParser } from '../src/event/parser.js';
import { parseSecurityEvent, safeParseSecurityEvent, ValidationError } from '../src/index.js';
import { parseIsoGeneral, parseIsoTimestamp } from '../src/timestamp.js';

const fieldNames = [
  'timestamp',
  'event_type',
  'eventType',
  'duration_ms',
  'resource_count',
  'success',
  'status',
  'tool_name',
  'destination_ip',
  'destination_domain',
  'resource_usage',
  'metadata',
  '__proto__',
  'constructor',
];

/** Objects whose keys are mostly real field names, with arbitrary JSON values. */
const eventLike = fc.dictionary(fc.constantFrom(...fieldNames), fc.jsonValue(), { maxKeys: 10 });

describe('parseSecurityEvent never throws anything but ValidationError', () => {
  it('on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          parseSecurityEvent(value);
        } catch (error) {
          expect(error).toBeInstanceOf(ValidationError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('on objects shaped like events with arbitrary values', () => {
    fc.assert(
      fc.property(eventLike, (value) => {
        const result = safeParseSecurityEvent(value);
        if (result.success) {
          expect(Number.isFinite(result.data.timestamp.getTime())).toBe(true);
          expect(typeof result.data.eventType).toBe('string');
          if (result.data.durationMs !== undefined) expect(result.data.durationMs).toBeGreaterThanOrEqual(0);
        } else {
          expect(result.error).toBeInstanceOf(ValidationError);
          expect(result.error.issues.length).toBeGreaterThan(0);
        }
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      { numRuns: 3000 },
    );
  });

  it('accepts every well-formed event and keeps its values', () => {
    const valid = fc.record(
      {
        timestamp: fc.date({ min: new Date(0), max: new Date('2200-01-01'), noInvalidDate: true }),
        event_type: fc.string({ minLength: 1, maxLength: 40 }),
        duration_ms: fc.double({ min: 0, max: 1e9, noNaN: true }),
        resource_count: fc.nat(),
        success: fc.boolean(),
      },
      { requiredKeys: ['timestamp', 'event_type'] },
    );
    fc.assert(
      fc.property(valid, (raw) => {
        const event = parseSecurityEvent(raw);
        expect(event.timestamp.getTime()).toBe(raw.timestamp.getTime());
        expect(event.eventType).toBe(raw.event_type);
        if (raw.success !== undefined) expect(event.success).toBe(raw.success);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('the fast validation path', () => {
  it('accepts exactly what the zod schema accepts, with the same result', async () => {
    const { createSecurityEventParser } = await import('../src/index.js');
    const fast = createSecurityEventParser({ maxNameLength: 12, maxResourceKeys: 3 });
    const slow = buildParser({ maxNameLength: 12, maxResourceKeys: 3 }, false);
    const value = fc.oneof(
      fc.jsonValue(),
      fc.double(),
      fc.integer({ min: -5, max: 2 ** 54 }),
      fc.string({ maxLength: 16 }),
      fc.constantFrom(
        '10.0.0.1',
        '::1',
        '999.0.0.1',
        'api.example.com',
        'a b',
        '2026-02-30',
        '2026-03-01T10:00:00Z',
      ),
      fc.dictionary(fc.string({ maxLength: 14 }), fc.oneof(fc.double(), fc.nat(), fc.string())),
    );
    const input = fc.dictionary(
      fc.constantFrom(...fieldNames, 'event_id', 'file_path', 'destination_ip', 'destinationIp'),
      value,
      {
        maxKeys: 10,
      },
    );
    fc.assert(
      fc.property(
        input,
        fc.constantFrom(0, Date.UTC(2026, 2, 1), '2026-03-01T10:00:00Z'),
        (raw, timestamp) => {
          for (const candidate of [raw, { ...raw, timestamp, event_type: 'tool_call' }]) {
            const a = fast.safeParse(candidate);
            const b = slow.safeParse(candidate);
            expect(a.success).toBe(b.success);
            if (a.success && b.success) expect(a.data).toEqual(b.data);
          }
        },
      ),
      { numRuns: 5000 },
    );
  });
});

describe('timestamps as ISO text', () => {
  const at = (timestamp: string) => safeParseSecurityEvent({ timestamp, event_type: 'x' });

  it('the canonical toISOString form reads back as the same instant', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date(0), max: new Date('9999-12-31'), noInvalidDate: true }), (date) => {
        const result = at(date.toISOString());
        expect(result.success && result.data.timestamp.getTime()).toBe(date.getTime());
      }),
    );
  });

  it('the fast reading of the canonical form agrees with the general grammar, also one character off', () => {
    const base = '2024-02-29T23:59:59.999Z';
    fc.assert(
      fc.property(fc.nat(base.length - 1), fc.constantFrom(...'0123456789-:.TZz+ x'), (i, c) => {
        const text = base.slice(0, i) + c + base.slice(i + 1);
        expect(parseIsoTimestamp(text)).toBe(parseIsoGeneral(text));
      }),
    );
    fc.assert(
      fc.property(fc.date({ min: new Date(0), max: new Date('9999-12-31'), noInvalidDate: true }), (date) => {
        const text = date.toISOString();
        expect(parseIsoTimestamp(text)).toBe(parseIsoGeneral(text));
      }),
    );
  });

  it('rejects impossible dates and years before 1970 with the reason', () => {
    for (const [text, reason] of [
      ['2026-02-29T00:00:00.000Z', 'day 29 does not exist'],
      ['2026-13-01T00:00:00.000Z', 'month 13 does not exist'],
      ['2026-01-01T24:00:00.000Z', 'does not exist'],
      ['0075-01-01T00:00:00.000Z', 'between 1970 and 9999'],
      ['1969-12-31T23:59:59.999Z', 'between 1970 and 9999'],
      ['2026-0a-01T00:00:00.000Z', 'ISO-8601'],
    ] as const) {
      const result = at(text);
      expect(result.success).toBe(false);
      if (!result.success) expect(result.error.message).toContain(reason);
    }
  });
});
