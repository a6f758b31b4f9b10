import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EventLogError, groupByAgent, readEvents, readJsonl } from '../src/index.js';

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
