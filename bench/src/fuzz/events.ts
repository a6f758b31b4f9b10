// Events and agent ids for the fuzzer: realistic ones from a simulated fleet, the same with one
// field pushed to an extreme that is still valid, with one field broken, or replaced altogether.
import { generateFleet, type SimEvent } from '@harombe/agent-sim';
import type { FuzzRandom } from './random.js';
import {
  HOSTILE_NUMBERS,
  highlight,
  hostileDate,
  hostileProxy,
  hostileString,
  hostileStructure,
  hostileValue,
  labelled,
  longString,
  randomRecord,
  randomText,
  withGetter,
} from './values.js';

export interface EventPool {
  /** Agents with a training history, in a fixed order. */
  readonly agents: readonly string[];
  readonly history: ReadonlyMap<string, readonly SimEvent[]>;
  /** Events after the history (attacks included): bases for valid and mutated events. */
  readonly live: readonly SimEvent[];
}

let pool: EventPool | undefined;

/** A small simulated fleet, generated once per thread; every generated event starts from it. */
export function eventPool(): EventPool {
  if (pool) return pool;
  const fleet = generateFleet({ seed: 11, agents: 3, historyDays: 14, liveDays: 2 });
  const history = new Map<string, SimEvent[]>();
  for (const { agentId, event } of fleet.history) {
    const events = history.get(agentId) ?? [];
    if (events.length === 0) history.set(agentId, events);
    events.push(event);
  }
  pool = { agents: [...history.keys()].sort(), history, live: fleet.live.map((e) => e.event) };
  return pool;
}

type EventRecord = Record<string, unknown>;

const CAMEL: Record<string, string> = {
  event_type: 'eventType',
  event_id: 'eventId',
  agent_id: 'agentId',
  tool_name: 'toolName',
  duration_ms: 'durationMs',
  resource_count: 'resourceCount',
  resource_usage: 'resourceUsage',
  destination_domain: 'destinationDomain',
  destination_ip: 'destinationIp',
  file_path: 'filePath',
  file_hash: 'fileHash',
  session_id: 'sessionId',
  correlation_id: 'correlationId',
};

const FIELDS = [
  'timestamp',
  'event_type',
  'success',
  'status',
  'event_id',
  'correlation_id',
  'session_id',
  'agent_id',
  'actor',
  'tool_name',
  'action',
  'duration_ms',
  'resource_count',
  'destination_ip',
  'destination_domain',
  'file_path',
  'file_hash',
  'resource_usage',
  'metadata',
] as const;

/** A copy of a fleet event, sometimes in camelCase, its timestamp as text, a Date or epoch ms. */
export function validEvent(r: FuzzRandom): EventRecord {
  const source = r.pick(eventPool().live);
  const event: EventRecord = structuredClone(source) as unknown as EventRecord;
  const ms = Date.parse(source.timestamp);
  event.timestamp = r.weighted<unknown>([
    [3, source.timestamp],
    [1, new Date(ms)],
    [1, ms],
  ]);
  if (r.chance(0.25)) {
    for (const [snake, camel] of Object.entries(CAMEL)) {
      if (snake in event) {
        event[camel] = event[snake];
        delete event[snake];
      }
    }
  }
  return event;
}

/** The key an event uses for a field (its camelCase spelling when it has that one). */
function keyOf(event: EventRecord, snake: string): string {
  const camel = CAMEL[snake];
  return camel !== undefined && camel in event ? camel : snake;
}

/** A valid event with one field at an extreme the schema still accepts. */
export function extremeEvent(r: FuzzRandom): EventRecord {
  const event = validEvent(r);
  const set = (snake: string, value: unknown) => {
    const key = keyOf(event, snake);
    event[key] = value;
    highlight(event, [key]);
  };
  switch (r.int(16)) {
    case 0:
      set('duration_ms', r.pick([0, Number.MIN_VALUE, 1e308, Number.MAX_VALUE, 2 ** 53, 86_400_000 * 365]));
      break;
    case 1:
      set('resource_count', r.pick([0, Number.MAX_SAFE_INTEGER, 2 ** 31, 1e15]));
      break;
    case 2: {
      const usage: Record<string, number> = {};
      const keys = r.pick([1, 8, 64]);
      for (let i = 0; i < keys; i++)
        usage[r.chance(0.2) ? randomText(r, 1 + r.int(256)) : `c${i}`] = r.pick(
          HOSTILE_NUMBERS.filter((n) => n >= 0 && n < Number.POSITIVE_INFINITY),
        );
      set('resource_usage', usage);
      break;
    }
    case 3:
      set(
        'timestamp',
        r.pick<unknown>([
          -8.64e15,
          8.64e15,
          0,
          '+275760-09-13T00:00:00.000Z',
          '-271821-04-20T00:00:00.000Z',
          '1970-01-01T00:00:00Z',
          new Date(8.64e15),
          Date.UTC(2026, 0, 5) + r.int(400) * 86_400_000,
        ]),
      );
      break;
    case 4:
      set(
        'tool_name',
        r.pick([
          randomText(r, 1 + r.int(20)),
          'x'.repeat(256),
          '💥'.repeat(64),
          '__proto__',
          'constructor',
          'toString',
          '(none)',
        ]),
      );
      break;
    case 5:
      set(
        'event_type',
        r.pick(['y'.repeat(256), randomText(r, 1 + r.int(10)), '__proto__', 'hasOwnProperty']),
      );
      break;
    case 6:
      set(
        'file_path',
        r.pick([
          '/',
          '../../../etc/passwd',
          'a/'.repeat(2048),
          `/${'p'.repeat(4095)}`,
          '\\\\server\\share\\x',
          'C:\\a\\b',
          '/a/./b/../c//d',
          '~/.ssh/id_rsa',
          '/tmp/2026-01-05/12345/report-0001.csv',
        ]),
      );
      break;
    case 7:
      set(
        'destination_domain',
        r.pick([
          `${'a.'.repeat(126)}a`,
          'EXAMPLE.COM.',
          `${'x'.repeat(63)}.example`,
          'a',
          '_',
          '-',
          '.',
          'a..b',
          '1.2.3.4',
        ]),
      );
      break;
    case 8:
      set(
        'destination_ip',
        r.pick(['::', '0.0.0.0', '255.255.255.255', '::ffff:1.2.3.4', 'fe80::1', '2001:db8::1']),
      );
      break;
    case 9: {
      const metadata: Record<string, unknown> = {};
      const keys = r.pick([1, 100, 256]);
      for (let i = 0; i < keys; i++) metadata[`m${i}`] = r.chance(0.5) ? i : randomText(r, 10);
      set('metadata', metadata);
      break;
    }
    case 10:
      set('metadata', { nested: hostileStructure(r), text: longString(r) });
      break;
    case 11:
      set('status', r.pick(['ERROR', 'Timed_Out', 'success', 's'.repeat(256), 'denied', 'ok']));
      set('success', r.chance(0.5));
      break;
    case 12:
      // Both spellings, disagreeing: camelCase wins.
      event.eventType = 'camel_type';
      event.event_type = 'snake_type';
      event.durationMs = 1;
      event.duration_ms = 1e9;
      break;
    case 13:
      set('agent_id', r.pick(['someone-else', 'a'.repeat(256), '__proto__']));
      set('actor', r.pick(['other', 'constructor']));
      break;
    case 14:
      // Fields nobody knows: kept as metadata.
      for (let i = 0; i < r.pick([1, 50, 300]); i++) event[`extra_${i}`] = i;
      break;
    default:
      set('tool_name', `novel_tool_${r.int(1_000_000)}`);
      set('event_type', `novel_type_${r.int(1000)}`);
  }
  return event;
}

/** A valid event with one field broken: replaced, removed, hidden behind a getter, or in a wrong place. */
export function mutatedEvent(r: FuzzRandom): EventRecord {
  const event = r.chance(0.5) ? validEvent(r) : extremeEvent(r);
  const field = keyOf(event, r.pick(FIELDS));
  highlight(event, [field]);
  switch (r.int(9)) {
    case 0:
    case 1:
    case 2:
      event[field] = field === 'timestamp' || r.chance(0.2) ? hostileDate(r) : hostileValue(r, 2);
      break;
    case 3:
      delete event[field];
      break;
    case 4:
      withGetter(r, event, field, event[field] ?? 1);
      break;
    case 5:
      // Own keys that reach prototypes when copied naively.
      Object.defineProperty(event, r.pick(['__proto__', 'constructor', 'prototype']), {
        value: r.chance(0.5) ? { polluted: true, event_type: 'polluted' } : hostileValue(r, 1),
        enumerable: true,
        configurable: true,
        writable: true,
      });
      break;
    case 6:
      event[field] = hostileStructure(r);
      break;
    case 7:
      event[field] = hostileString(r);
      break;
    default:
      event[field] = r.pick(HOSTILE_NUMBERS);
  }
  return event;
}

/** Copies own properties as they are (getters stay getters: generating an input never runs one). */
function copyInto<T extends object>(target: T, source: object): T {
  return Object.defineProperties(target, Object.getOwnPropertyDescriptors(source));
}

/** An event-shaped value wrapped, re-parented or replaced so that reading it is itself hostile. */
function wrappedEvent(r: FuzzRandom): unknown {
  const event = r.chance(0.7) ? validEvent(r) : mutatedEvent(r);
  switch (r.int(6)) {
    case 0:
      return hostileProxy(r, event);
    case 1:
      return copyInto(Object.create(null) as EventRecord, event);
    case 2:
      // Every field inherited: none is an own key.
      return labelled(
        Object.create(event) as object,
        'object whose fields are all inherited from its prototype',
      );
    case 3: {
      class EventLike {
        constructor(fields: EventRecord) {
          copyInto(this, fields);
        }
      }
      return new EventLike(event);
    }
    case 4:
      return Object.freeze(event);
    default:
      return copyInto([], event);
  }
}

/** Any event input: mostly near-valid (to reach deep code), some wholly hostile. */
export function hostileEvent(r: FuzzRandom): unknown {
  return r.weighted<() => unknown>([
    [15, () => validEvent(r)],
    [25, () => extremeEvent(r)],
    [40, () => mutatedEvent(r)],
    [8, () => wrappedEvent(r)],
    [6, () => hostileValue(r, 2)],
    [6, () => Object.assign(randomRecord(r, 2), { timestamp: hostileDate(r), event_type: hostileString(r) })],
  ])();
}

/** An agent id of any shape: trained, unknown, odd strings, or not a string at all. */
export function hostileAgentId(r: FuzzRandom, trained: readonly string[]): unknown {
  return r.weighted<() => unknown>([
    [8, () => r.pick(trained)],
    [2, () => `agent-${r.int(50)}`],
    [4, () => hostileString(r)],
    [1, () => 'a'.repeat(r.pick([4096, 4097, 100_000]))],
    [2, () => hostileValue(r, 1)],
  ])();
}

/** A training set: a slice of one agent's history with some broken events, or a hostile container. */
export function hostileEventList(r: FuzzRandom, history: readonly SimEvent[]): unknown {
  const length = r.size(0, Math.min(history.length, 3000));
  const start = r.int(Math.max(1, history.length - length));
  const events: unknown[] = history.slice(start, start + length).map((e) => structuredClone(e));
  const broken = r.chance(0.5) ? 0 : r.size(1, 5);
  for (let i = 0; i < broken && events.length > 0; i++) {
    const at = r.int(events.length);
    events[at] = hostileEvent(r);
    highlight(events, [at]);
  }
  return r.weighted<() => unknown>([
    [14, () => events],
    [1, () => hostileProxy(r, events)],
    [1, () => Object.freeze(events)],
    [1, () => ({ length: events.length, 0: events[0] })],
    [
      1,
      () => {
        const sparse = [...events];
        sparse.length = sparse.length + r.size(1, 100_000);
        return labelled(sparse, `${events.length} events then holes to length ${sparse.length}`);
      },
    ],
    [1, () => withGetter(r, events as unknown as Record<string, unknown>, '0', events[0]) as unknown],
    [1, () => hostileValue(r, 1)],
  ])();
}
