import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CompactEvents,
  ensureSecurityEvent,
  parseSecurityEvent,
  trainingCopy,
  ValidationError,
} from '../src/index.js';
import { specFullEvent } from './spec-examples.js';

/** Well-formed events with every field learning reads present or absent. */
const event = fc.record(
  {
    timestamp: fc.date({ min: new Date(0), max: new Date('2200-01-01'), noInvalidDate: true }),
    event_type: fc.constantFrom('tool_call', 'file_operation', 'auth'),
    event_id: fc.uuid(),
    status: fc.constantFrom('success', 'error', 'timeout'),
    tool_name: fc.constantFrom('read_file', 'web_fetch', 'shell_execute'),
    duration_ms: fc.double({ min: 0, max: 1e9, noNaN: true }),
    resource_count: fc.nat(),
    resource_usage: fc.dictionary(
      fc.constantFrom('cpu', 'memory_mb'),
      fc.double({ min: 0, max: 1e6, noNaN: true }),
    ),
    destination_ip: fc.constantFrom('10.0.0.1', '::1'),
    destination_domain: fc.constantFrom('api.example.com', 'drop.example.net'),
    file_path: fc.string({ minLength: 1, maxLength: 30 }),
    session_id: fc.string({ minLength: 1, maxLength: 10 }),
    metadata: fc.dictionary(fc.string({ maxLength: 5 }), fc.integer()),
  },
  { requiredKeys: ['timestamp', 'event_type'] },
);

describe('CompactEvents', () => {
  it('gives back, in order, exactly the training copies of what was pushed, trusted', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 40 }), (raws) => {
        const events = raws.map((raw) => parseSecurityEvent(raw));
        const compact = CompactEvents.from(events);
        expect(compact.length).toBe(events.length);
        const back = compact.toArray();
        expect(back).toEqual(events.map((e) => trainingCopy(e)));
        for (const e of back) expect(ensureSecurityEvent(e)).toBe(e);
      }),
      { numRuns: 300 },
    );
  });

  it('reads each event into one reused, untrusted object holding what at() gives; timeAt gives its time', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 40 }), (raws) => {
        const compact = CompactEvents.from(raws.map((raw) => parseSecurityEvent(raw)));
        const read = compact.reader();
        const first = read(0);
        for (let i = 0; i < compact.length; i++) {
          const view = read(i);
          expect(view).toBe(first);
          expect(view).toEqual(compact.at(i));
          expect(compact.timeAt(i)).toBe(compact.at(i).timestamp.getTime());
          expect(ensureSecurityEvent(view)).not.toBe(view);
        }
        expect(() => read(compact.length)).toThrow(RangeError);
        expect(() => compact.timeAt(-1)).toThrow(RangeError);
      }),
      { numRuns: 100 },
    );
  });

  it('filters, parses raw input, and refuses invalid events and positions', () => {
    const full = parseSecurityEvent(specFullEvent);
    const compact = CompactEvents.from([full, { timestamp: 0, event_type: 'x', duration_ms: 3 }, full]);
    expect(compact.at(1)).toMatchObject({ eventType: 'x', durationMs: 3 });
    expect(compact.filter((e) => e.eventType !== 'x').toArray()).toEqual([
      trainingCopy(full),
      trainingCopy(full),
    ]);
    expect(() => compact.push({ timestamp: 0, event_type: 'x', duration_ms: -1 })).toThrow(ValidationError);
    expect(compact.length).toBe(3);
    expect(() => compact.at(3)).toThrow(RangeError);
  });
});
