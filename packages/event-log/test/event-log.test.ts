import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  EventLogError,
  groupByAgent,
  type LoggedEvent,
  readEvents,
  readInTimeOrder,
  readJsonl,
  reorderByTime,
  streamEvents,
} from '../src/index.js';

function file(lines: string[]): string {
  const path = join(mkdtempSync(join(tmpdir(), 'event-log-')), 'events.jsonl');
  writeFileSync(path, lines.join('\n'));
  return path;
}

const good = (agent: string, minute: number) =>
  JSON.stringify({ agent_id: agent, timestamp: minute * 60_000, event_type: 'tool_call', label: 'normal' });

describe('readEvents', () => {
  it('reads valid events with their agent, label and line; skips the rest and says why', async () => {
    const path = file([
      good('a', 1),
      'not json',
      '',
      '{"timestamp":0}',
      '{"timestamp":0,"event_type":"x"}',
      good('b', 2),
    ]);
    const skipped: Array<[number, string]> = [];
    const events = await readEvents(path, {
      strict: false,
      onSkip: (line, reason) => skipped.push([line, reason]),
    });
    expect(events.map((e) => [e.agentId, e.line, e.label])).toEqual([
      ['a', 1, 'normal'],
      ['b', 6, 'normal'],
    ]);
    expect(skipped.map(([line]) => line)).toEqual([2, 4, 5]);
    expect(skipped[0]![1]).toBe('not valid JSON');
    expect(skipped[1]![1]).toMatch(/event_type/);
    expect(skipped[2]![1]).toBe('no agent_id (or actor)');
    expect([...groupByAgent(events).keys()]).toEqual(['a', 'b']);
  });

  it('in strict mode, ends at the first bad line with an error naming it', async () => {
    const path = file([good('a', 1), '{"agent_id":"a","timestamp":"yesterday","event_type":"x"}']);
    const error = await readEvents(path, { strict: true }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventLogError);
    expect(error).toMatchObject({ code: 'EVENT_LOG_BAD_LINE', path, line: 2 });
    expect((error as Error).message).toContain(`${path}:2: `);
  });

  it('a missing file is an EventLogError naming it', async () => {
    const error = await readEvents('/no/such/events.jsonl', { strict: false }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EVENT_LOG_UNREADABLE', path: '/no/such/events.jsonl' });
  });
});

describe('readJsonl', () => {
  it('yields the JSON value of each non-empty line with its line number', async () => {
    const seen: Array<{ line: number; value: unknown }> = [];
    for await (const record of readJsonl(file(['1', '', '{"a":2}', '[3]']))) seen.push(record);
    expect(seen).toEqual([
      { line: 1, value: 1 },
      { line: 3, value: { a: 2 } },
      { line: 4, value: [3] },
    ]);
  });
});

/** A deterministic shuffle. */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed;
  for (let i = out.length - 1; i > 0; i--) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

const minutes = (events: readonly LoggedEvent[]) => events.map((e) => e.event.timestamp.getTime() / 60_000);

async function collect(source: AsyncIterable<LoggedEvent>): Promise<LoggedEvent[]> {
  const out: LoggedEvent[] = [];
  for await (const event of source) out.push(event);
  return out;
}

describe('readInTimeOrder', () => {
  const sorted = Array.from({ length: 50 }, (_, i) => good(i % 3 === 0 ? 'a' : 'b', i));

  it('sorts a shuffled file by event time in runs on disk, removing them afterwards, and counts the events first', async () => {
    const tempDir = mkdtempSync(join(tmpdir(), 'event-log-runs-'));
    const lines = [...shuffled(sorted, 7).slice(0, 25), 'not json', ...shuffled(sorted, 7).slice(25)];
    const path = file(lines);
    const totals: number[] = [];
    const skipped: number[] = [];
    const events = await collect(
      readInTimeOrder(path, {
        strict: false,
        chunkSize: 7,
        tempDir,
        onTotal: (n) => totals.push(n),
        onSkip: (line) => skipped.push(line),
      }),
    );
    expect(minutes(events)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(events.map((e) => e.agentId)).toEqual(sorted.map((l) => JSON.parse(l).agent_id));
    // Line numbers are the file's own.
    for (const event of events)
      expect(JSON.parse(lines[event.line - 1]!).timestamp).toBe(event.event.timestamp.getTime());
    expect(totals).toEqual([50]);
    expect(skipped).toEqual([26]);
    expect(readdirSync(tempDir)).toEqual([]);
  });

  it('gives the same events as a small file sorted in memory, ties in file order', async () => {
    const tie = [good('a', 5), good('b', 5), good('a', 1)];
    const events = await collect(readInTimeOrder(file(tie), { strict: false }));
    expect(events.map((e) => [e.agentId, e.line])).toEqual([
      ['a', 3],
      ['a', 1],
      ['b', 2],
    ]);
    expect(await collect(streamEvents(file(tie), { strict: false }))).toHaveLength(3);
  });

  it('in strict mode, fails at the first bad line before yielding anything', async () => {
    const path = file([good('a', 2), '{oops', good('a', 1)]);
    await expect(collect(readInTimeOrder(path, { strict: true }))).rejects.toMatchObject({
      code: 'EVENT_LOG_BAD_LINE',
      line: 2,
    });
  });
});

describe('reorderByTime', () => {
  async function* from(lines: string[]): AsyncGenerator<LoggedEvent> {
    yield* streamEvents(file(lines), { strict: false });
  }

  it('puts events that arrive up to the window late in their place, and passes later ones on, counted', async () => {
    // b's minute 3 arrives after minute 12: within a 10-minute window. a's minute 1 arrives after
    // a's minute 14 went on (the stream reached minute 25): too late to place.
    const lines = [
      good('a', 0),
      good('b', 5),
      good('a', 12),
      good('b', 3),
      good('a', 14),
      good('b', 25),
      good('a', 1),
      good('a', 26),
    ];
    const late: LoggedEvent[] = [];
    const events = await collect(
      reorderByTime(from(lines), { windowMs: 10 * 60_000, onLate: (e) => late.push(e) }),
    );
    expect(minutes(events)).toEqual([0, 3, 5, 12, 14, 1, 25, 26]);
    expect(minutes(late)).toEqual([1]);
  });

  it('passes each event on as soon as the stream is a window past it (bounded wait, not the end of input)', async () => {
    const seen: number[] = [];
    const lines = Array.from({ length: 20 }, (_, i) => good('a', i));
    let read = 0;
    async function* counted() {
      for await (const event of from(lines)) {
        read++;
        yield event;
      }
    }
    for await (const event of reorderByTime(counted(), { windowMs: 2 * 60_000 })) {
      // An event goes on once the stream's newest is 2 minutes past it: two more read, not all 20.
      if (seen.length === 0) expect(read).toBe(3);
      seen.push(minutes([event])[0]!);
    }
    expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const buffered = await collect(
      reorderByTime(from([good('a', 9), good('a', 5), good('a', 1)]), {
        windowMs: 3_600_000,
        maxBuffered: 1,
      }),
    );
    // At most one waits: 5 goes on when 9 waits, so 1 (after 5 of its agent) is late and goes on at once.
    expect(minutes(buffered)).toEqual([5, 1, 9]);
  });
});
