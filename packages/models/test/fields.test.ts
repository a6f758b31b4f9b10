import { describe, expect, it } from 'vitest';
import { FIELD_LIST, type FieldKind, snakeCase } from '../src/event/fields.js';
import { buildParser } from '../src/event/parser.js';
import { CompactEvents, parseSecurityEvent, trainingCopy } from '../src/index.js';

/** A valid value of each kind, given as input, and what the parsed event holds for it. */
const SAMPLES: Record<FieldKind, { input: unknown; parsed: unknown }> = {
  timestamp: { input: '2026-03-01T09:30:00Z', parsed: new Date('2026-03-01T09:30:00Z') },
  id: { input: 'id-1', parsed: 'id-1' },
  name: { input: 'read_file', parsed: 'read_file' },
  path: { input: '/srv/data/report.csv', parsed: '/srv/data/report.csv' },
  ip: { input: '10.0.0.1', parsed: '10.0.0.1' },
  domain: { input: 'API.Example.com.', parsed: 'api.example.com' },
  duration: { input: 12.5, parsed: 12.5 },
  count: { input: 3, parsed: 3 },
  boolean: { input: false, parsed: false },
  resources: { input: { cpu: 0.5 }, parsed: { cpu: 0.5 } },
  metadata: { input: { source: 'test' }, parsed: { source: 'test' } },
};

/** An input with every field of the table, spelled as `spell` says, and the event it parses to. */
function everyField(spell: (field: string) => string): { input: Record<string, unknown>; expected: object } {
  const input: Record<string, unknown> = {};
  const expected: Record<string, unknown> = {};
  for (const { field, kind } of FIELD_LIST) {
    input[spell(field)] = SAMPLES[kind].input;
    expected[field] = SAMPLES[kind].parsed;
  }
  return { input, expected };
}

describe('the field table', () => {
  it('every field of the table reaches the parsed event, in either spelling and on either path', () => {
    for (const spell of [(field: string) => field, snakeCase]) {
      const { input, expected } = everyField(spell);
      for (const parser of [buildParser({}, true), buildParser({}, false)]) {
        const event = parser.parse(input);
        expect(Object.keys(event).sort()).toEqual(FIELD_LIST.map(({ field }) => field).sort());
        expect({ ...event }).toEqual(expected);
      }
    }
  });

  it('training copies and compact events keep exactly the fields the table marks for training', () => {
    const event = parseSecurityEvent(everyField((field) => field).input);
    const kept = FIELD_LIST.filter(({ training }) => training).map(({ field }) => field);
    const copy = trainingCopy(event);
    // Metadata is in every event, empty in a training copy.
    expect(Object.keys(copy).sort()).toEqual([...kept, 'metadata'].sort());
    for (const field of kept)
      expect(copy[field as keyof typeof copy]).toEqual(event[field as keyof typeof event]);
    expect(copy.metadata).toEqual({});
    const compact = CompactEvents.from([event]);
    expect(compact.at(0)).toEqual(copy);
    expect({ ...compact.reader()(0) }).toEqual({ ...copy });
  });
});
