import { describe, expect, it } from 'vitest';
import { buildParser } from '../src/event/parser.js';
import {
  createSecurityEventParser,
  parseSecurityEvent,
  SecurityEventSchema,
  safeParseSecurityEvent,
  ValidationError,
} from '../src/index.js';
import {
  specBaselineEvents,
  specFullEvent,
  specNewEvent,
  specSuspiciousEvent,
  specTrainingEvent,
} from './spec-examples.js';

function errorOf(input: unknown): ValidationError {
  const result = safeParseSecurityEvent(input);
  if (result.success) throw new Error('expected the event to be rejected');
  return result.error;
}

describe('parseSecurityEvent: the spec examples', () => {
  it('parses every example event of the spec as written', () => {
    for (const raw of [specTrainingEvent, specSuspiciousEvent, specNewEvent, ...specBaselineEvents]) {
      const event = parseSecurityEvent(raw);
      expect(event.timestamp).toBeInstanceOf(Date);
      expect(event.eventType).toBe(raw.event_type);
      expect(event.resourceCount).toBe(raw.resource_count);
      expect(event.durationMs).toBe(raw.duration_ms);
    }
  });

  it('parses the full audit form and normalises it to camelCase', () => {
    const event = parseSecurityEvent(specFullEvent);
    expect(event).toMatchObject({
      eventId: 'evt-0001',
      correlationId: 'req-42',
      eventType: 'tool_call',
      actor: 'agent-123',
      agentId: 'agent-123',
      toolName: 'web_fetch',
      action: 'GET',
      status: 'success',
      success: true,
      durationMs: 184.5,
      destinationIp: '93.184.216.34',
      destinationDomain: 'example.com',
      filePath: '/srv/data/report.csv',
      resourceUsage: { cpu: 0.25, memory_mb: 120, network_bytes: 5120 },
      metadata: { session_id: 's-1', model: 'claude' },
    });
    // Offset-less text is UTC, with microseconds truncated to milliseconds.
    expect(event.timestamp.toISOString()).toBe('2026-03-04T14:25:00.123Z');
  });

  it('lower-cases a destination domain and drops one trailing dot', () => {
    const domain = (d: string) =>
      parseSecurityEvent({ timestamp: 0, event_type: 'x', destination_domain: d }).destinationDomain;
    expect(domain('API.Example.COM.')).toBe('api.example.com');
    expect(domain('example.com')).toBe('example.com');
    expect(domain('a..')).toBe('a.');
  });

  it('accepts camelCase input and gives the same event as snake_case', () => {
    const snake = parseSecurityEvent(specFullEvent);
    const camel = parseSecurityEvent({
      eventId: 'evt-0001',
      correlationId: 'req-42',
      timestamp: '2026-03-04T14:25:00.123Z',
      eventType: 'tool_call',
      actor: 'agent-123',
      toolName: 'web_fetch',
      action: 'GET',
      status: 'success',
      durationMs: 184.5,
      destinationIp: '93.184.216.34',
      destinationDomain: 'example.com',
      filePath: '/srv/data/report.csv',
      fileHash: specFullEvent.file_hash,
      resourceUsage: specFullEvent.resource_usage,
      metadata: specFullEvent.metadata,
    });
    expect(camel).toEqual(snake);
  });

  it('prefers the camelCase spelling when both are given', () => {
    expect(parseSecurityEvent({ timestamp: 0, event_type: 'a', eventType: 'b' }).eventType).toBe('b');
  });
});

describe('parseSecurityEvent: defaults and derivations', () => {
  it('fills documented defaults when only timestamp and event_type are given', () => {
    const event = parseSecurityEvent({ timestamp: 0, event_type: 'tool_call' });
    expect(event).toEqual({
      timestamp: new Date(0),
      eventType: 'tool_call',
      success: true,
      status: 'success',
      resourceUsage: {},
      metadata: {},
    });
  });

  it('derives success from status', () => {
    expect(parseSecurityEvent({ timestamp: 0, event_type: 'x', status: 'FAILED' }).success).toBe(false);
    expect(parseSecurityEvent({ timestamp: 0, event_type: 'x', status: 'denied' }).success).toBe(false);
    expect(parseSecurityEvent({ timestamp: 0, event_type: 'x', status: 'completed' }).success).toBe(true);
  });

  it('derives status from success', () => {
    expect(parseSecurityEvent({ timestamp: 0, event_type: 'x', success: false }).status).toBe('failure');
    expect(parseSecurityEvent({ timestamp: 0, event_type: 'x', success: true }).status).toBe('success');
  });

  it('uses agent_id and actor for each other when only one is given', () => {
    const fromAgent = parseSecurityEvent({ timestamp: 0, event_type: 'x', agent_id: 'a-1' });
    expect(fromAgent.actor).toBe('a-1');
    const fromActor = parseSecurityEvent({ timestamp: 0, event_type: 'x', actor: 'a-2' });
    expect(fromActor.agentId).toBe('a-2');
  });

  it('treats null optional fields (Python None) as absent', () => {
    const event = parseSecurityEvent({ timestamp: 0, event_type: 'x', tool_name: null, duration_ms: null });
    expect(event.toolName).toBeUndefined();
    expect(event.durationMs).toBeUndefined();
  });

  it('keeps unknown top-level fields in metadata without overriding metadata keys', () => {
    const event = parseSecurityEvent({
      timestamp: 0,
      event_type: 'x',
      error_message: 'boom',
      model: 'outer',
      metadata: { model: 'inner' },
    });
    expect(event.metadata).toEqual({ error_message: 'boom', model: 'inner' });
  });

  it('is idempotent: a parsed event parses to itself, also through JSON', () => {
    const event = parseSecurityEvent(specFullEvent);
    expect(parseSecurityEvent(event)).toEqual(event);
    expect(parseSecurityEvent(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });
});

describe('parseSecurityEvent: bad input', () => {
  it('names the field and the problem for a negative duration', () => {
    const error = errorOf({ timestamp: 0, event_type: 'x', duration_ms: -5 });
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.code).toBe('VALIDATION_FAILED');
    expect(error.message).toBe('event.duration_ms: expected a finite number >= 0, received -5');
    expect(error.issues[0]?.path).toBe('duration_ms');
  });

  it('reports the spelling the caller used', () => {
    expect(errorOf({ timestamp: 0, eventType: 'x', durationMs: -1 }).issues[0]?.path).toBe('durationMs');
  });

  it.each([
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
  ])('rejects %s as a number', (_, value) => {
    const error = errorOf({ timestamp: 0, event_type: 'x', duration_ms: value });
    expect(error.message).toContain('event.duration_ms: expected a finite number');
  });

  it('rejects negative and fractional counts', () => {
    expect(errorOf({ timestamp: 0, event_type: 'x', resource_count: -1 }).issues[0]?.path).toBe(
      'resource_count',
    );
    expect(errorOf({ timestamp: 0, event_type: 'x', resource_count: 1.5 }).message).toContain('integer');
  });

  it('requires timestamp and event_type', () => {
    const error = errorOf({});
    expect(error.issues.map((i) => i.path).sort()).toEqual(['event_type', 'timestamp']);
  });

  it('rejects non-objects', () => {
    for (const value of [null, undefined, 42, 'event', [1, 2]]) {
      expect(errorOf(value).message).toMatch(/^event: expected an object/);
    }
  });

  it('rejects a bad resource counter and names its key', () => {
    const error = errorOf({ timestamp: 0, event_type: 'x', resource_usage: { cpu: -3 } });
    expect(error.issues[0]?.path).toBe('resource_usage.cpu');
  });

  it('rejects malformed IP addresses and domains', () => {
    expect(errorOf({ timestamp: 0, event_type: 'x', destination_ip: '999.1.1.1' }).issues[0]?.path).toBe(
      'destination_ip',
    );
    expect(errorOf({ timestamp: 0, event_type: 'x', destination_domain: 'a b.com' }).issues[0]?.path).toBe(
      'destination_domain',
    );
  });

  it('bounds string lengths, configurably', () => {
    const long = 'a'.repeat(300);
    expect(errorOf({ timestamp: 0, event_type: 'x', tool_name: long }).message).toContain(
      'at most 256 characters',
    );
    const lenient = createSecurityEventParser({ maxNameLength: 1000 });
    expect(lenient.parse({ timestamp: 0, event_type: 'x', tool_name: long }).toolName).toBe(long);
    const strict = createSecurityEventParser({ maxPathLength: 8 });
    expect(strict.safeParse({ timestamp: 0, event_type: 'x', file_path: '/a/very/long/path' }).success).toBe(
      false,
    );
  });

  it('bounds the number of metadata keys, unknown fields included', () => {
    const parser = createSecurityEventParser({ maxMetadataKeys: 2 });
    expect(parser.safeParse({ timestamp: 0, event_type: 'x', a: 1, b: 2 }).success).toBe(true);
    expect(parser.safeParse({ timestamp: 0, event_type: 'x', a: 1, b: 2, c: 3 }).success).toBe(false);
  });

  it('works as a zod schema inside other schemas', () => {
    expect(SecurityEventSchema.safeParse({ timestamp: 0, event_type: 'x' }).success).toBe(true);
    const result = SecurityEventSchema.safeParse({ timestamp: 0, event_type: 'x', duration_ms: -5 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.message).toContain('duration_ms');
  });
});

describe('parseSecurityEvent: prototype pollution', () => {
  it('never lets __proto__ or constructor keys reach a prototype', () => {
    const raw = JSON.parse(
      '{"timestamp":0,"event_type":"x","__proto__":{"polluted":1},' +
        '"metadata":{"__proto__":{"polluted":2},"constructor":{"prototype":{"polluted":3}},"nested":{"__proto__":{"polluted":4}}},' +
        '"resource_usage":{"__proto__":5,"cpu":1}}',
    );
    const event = parseSecurityEvent(raw);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(event.metadata)).toBe(Object.prototype);
    expect(Object.keys(event.metadata)).toEqual(['nested']);
    expect(Object.keys(event.metadata.nested as object)).toEqual([]);
    expect(event.resourceUsage).toEqual({ cpu: 1 });
    const merged = Object.assign({}, event.metadata, event.resourceUsage) as Record<string, unknown>;
    expect(merged.polluted).toBeUndefined();
  });
});

describe('ensureSecurityEvent', () => {
  it('returns parsed events as they are and parses anything else', async () => {
    const { ensureSecurityEvent } = await import('../src/index.js');
    const parsed = parseSecurityEvent({ timestamp: 0, event_type: 'x' });
    expect(Object.isFrozen(parsed)).toBe(true);
    expect(ensureSecurityEvent(parsed)).toBe(parsed);
    const copy = { ...parsed };
    expect(ensureSecurityEvent(copy)).not.toBe(copy);
    expect(ensureSecurityEvent(copy)).toEqual(parsed);
    expect(() => ensureSecurityEvent({ ...parsed, durationMs: -1 })).toThrow(ValidationError);
  });

  it('reads a parsed event given as metadata as the plain record of its fields (both parser paths)', async () => {
    const { createSecurityEventParser } = await import('../src/index.js');
    const inner = parseSecurityEvent({ timestamp: 0, event_type: 'inner', tool_name: 'grep' });
    for (const parser of [createSecurityEventParser(), buildParser({}, false)]) {
      const outer = parser.parse({ timestamp: 0, event_type: 'outer', metadata: inner });
      expect(Object.getPrototypeOf(outer.metadata)).toBe(Object.prototype);
      expect(outer.metadata).toEqual({ ...inner });
    }
  });
});

describe('trainingCopy', () => {
  it('keeps what learning reads and the id, drops the rest, and stays trusted', async () => {
    const { ensureSecurityEvent, trainingCopy } = await import('../src/index.js');
    const full = parseSecurityEvent(specFullEvent);
    const copy = trainingCopy(full);
    for (const field of [
      'timestamp',
      'eventType',
      'success',
      'status',
      'resourceUsage',
      'eventId',
      'toolName',
      'durationMs',
      'resourceCount',
      'destinationIp',
      'destinationDomain',
      'filePath',
    ] as const) {
      expect(copy[field], field).toEqual(full[field]);
    }
    for (const field of ['agentId', 'actor', 'sessionId', 'correlationId', 'action', 'fileHash'] as const) {
      expect(copy[field], field).toBeUndefined();
    }
    expect(copy.metadata).toEqual({});
    expect(Object.isFrozen(copy)).toBe(true);
    expect(ensureSecurityEvent(copy)).toBe(copy);
    // Raw input is parsed first; invalid input is refused.
    expect(trainingCopy({ timestamp: 0, event_type: 'x', duration_ms: 5 })).toMatchObject({ durationMs: 5 });
    expect(() => trainingCopy({ timestamp: 0, event_type: 'x', duration_ms: -1 })).toThrow(ValidationError);
  });
});

describe('hostile input', () => {
  it('safeParseSecurityEvent returns an error for an object posing as a Date, never throws', () => {
    const fake = Object.create(Date.prototype) as Date;
    const result = safeParseSecurityEvent({ timestamp: fake, event_type: 'x' });
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(result.error).toBeInstanceOf(ValidationError);
      expect(result.error.issues[0]!.path).toBe('timestamp');
      expect(result.error.message).toMatch(/posing as a Date/);
    }
    // In metadata it is kept as a marker, not as something that throws when written out.
    const parsed = parseSecurityEvent({ timestamp: 0, event_type: 'x', metadata: { when: fake } });
    expect(JSON.stringify(parsed.metadata)).toBe('{"when":"[not a date]"}');
  });

  it('refuses metadata whose shared references would expand without end, naming the field', () => {
    let node: unknown = 'leaf';
    for (let level = 0; level < 7; level++) node = Array.from({ length: 50 }, () => node);
    const result = safeParseSecurityEvent({ timestamp: 0, event_type: 'x', metadata: { tree: node } });
    expect(result.success).toBe(false);
    if (!result.success) {
      expect(result.error.issues[0]).toMatchObject({ path: 'metadata', code: 'too_big' });
    }
    // Unknown fields share the same budget.
    const extra = safeParseSecurityEvent({ timestamp: 0, event_type: 'x', blob: node });
    expect(extra.success).toBe(false);
    // Shared references within the budget are copied as before.
    const small = { a: 1 };
    const ok = parseSecurityEvent({ timestamp: 0, event_type: 'x', metadata: { p: small, q: small } });
    expect(ok.metadata).toEqual({ p: { a: 1 }, q: { a: 1 } });
  });

  it('turns input that throws when read (a getter, a proxy) into a validation error', () => {
    const getter = Object.defineProperty({ event_type: 'x', timestamp: 0 }, 'duration_ms', {
      enumerable: true,
      get() {
        throw new Error('boom');
      },
    });
    const proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new TypeError('no keys for you');
        },
      },
    );
    for (const input of [getter, proxy]) {
      const result = safeParseSecurityEvent(input);
      expect(result.success).toBe(false);
      if (!result.success) expect(result.error.message).toMatch(/could not be read/);
      expect(() => parseSecurityEvent(input)).toThrow(ValidationError);
    }
  });
});
