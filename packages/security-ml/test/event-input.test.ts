// What `SecurityEventInput | SecurityEvent` lets through the compiler (this file is type-checked with
// the package: an `@ts-expect-error` that no longer finds its error fails the check), and that the
// parser still decides at run time.
import { generateFleet, type SimEvent } from '@harombe/agent-sim';
import { describe, expect, it } from 'vitest';
import {
  parseSecurityEvent,
  type SecurityEventInput,
  ThreatDetector,
  ValidationError,
} from '../src/index.js';
import { specHistory } from './helpers.js';

const fleetEvent: SimEvent = generateFleet({ seed: 3, agents: 1, historyDays: 1, liveDays: 1 }).history[0]!
  .event;

/** Assessed without being recorded, so that each assessment sees the same history. */
const once = { record: false };

describe('event parameters', () => {
  it('take object literals, interfaces such as SimEvent, JSON records and parsed events', () => {
    const threats = new ThreatDetector({ seed: 7 });
    threats.train('a', specHistory);
    const literal = threats.assess('a', { timestamp: Date.UTC(2026, 2, 4), event_type: 'tool_call' }, once);
    const simulated = threats.assess('a', fleetEvent, once);
    const record: Record<string, unknown> = JSON.parse(JSON.stringify(fleetEvent));
    const fromJson = threats.assess('a', record, once);
    const parsed = threats.assess('a', parseSecurityEvent(fleetEvent), once);
    for (const assessment of [literal, simulated, fromJson, parsed]) expect(assessment.agentId).toBe('a');
    expect(fromJson.threatScore).toBe(simulated.threatScore);
    expect(parsed.threatScore).toBe(simulated.threatScore);
  });

  it('flag a misspelled field in a literal at compile time; from JSON it is kept in metadata', () => {
    const threats = new ThreatDetector({ seed: 7 });
    // @ts-expect-error: 'duraton_ms' is not a field ("did you mean...").
    const misspelled: SecurityEventInput = { timestamp: 0, event_type: 'tool_call', duraton_ms: 5 };
    // @ts-expect-error: a known field of the wrong type.
    const mistyped: SecurityEventInput = { timestamp: 0, event_type: 'tool_call', duration_ms: '5' };
    expect(parseSecurityEvent(misspelled).metadata).toEqual({ duraton_ms: 5 });
    expect(() => threats.record('a', mistyped)).toThrow('event.duration_ms: expected');
  });

  it('still refuse what is not an event at run time, with a ValidationError', () => {
    const threats = new ThreatDetector({ seed: 7 });
    for (const hostile of [null, 42, 'event', [], {}]) {
      expect(() => threats.assess('a', hostile as never)).toThrow(ValidationError);
    }
  });
});
