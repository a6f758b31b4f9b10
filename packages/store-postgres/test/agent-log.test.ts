import { ValidationError } from '@harombe/models';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HeadConflictError, type LogEntryInput, PostgresAgentLog } from '../src/index.js';
import { pgUrl, useDatabase } from './support.js';

const entry = (key: string, at = 1_700_000_000_000): LogEntryInput => ({
  key,
  at,
  payload: { event: { tool: 'read_file', path: `/tmp/${key}` }, decision: { threat: 0.1 }, learned: true },
});

describe.skipIf(!pgUrl)('PostgresAgentLog', () => {
  const { pool, schema } = useDatabase();
  const log = new PostgresAgentLog({ pool, schema, writer: 'replica-1' });

  beforeAll(async () => {
    await log.migrate();
    await log.migrate(); // idempotent
  });

  it('appends at dense positions from 1 and reads them back in order', async () => {
    expect(await log.head('dense')).toBe(0);
    const first = await log.append('dense', [entry('e1'), entry('e2')], { expectedHead: 0 });
    expect(first.head).toBe(2);
    expect(first.entries.map((e) => [e.seq, e.key, e.duplicate])).toEqual([
      [1, 'e1', false],
      [2, 'e2', false],
    ]);
    await log.append('dense', [entry('e3', 1_700_000_000_500)], { expectedHead: 2 });
    expect(await log.head('dense')).toBe(3);
    const all = await log.read('dense');
    expect(all.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(all[2]).toEqual({
      agentId: 'dense',
      seq: 3,
      key: 'e3',
      at: 1_700_000_000_500,
      payload: entry('e3').payload,
      writer: 'replica-1',
    });
    expect((await log.read('dense', { after: 1, limit: 1 })).map((e) => e.key)).toEqual(['e2']);
    expect(await log.read('dense', { after: 3 })).toEqual([]);
    expect(await log.find('dense', 'e2')).toMatchObject({ seq: 2 });
    expect(await log.find('dense', 'missing')).toBeUndefined();
  });

  it('refuses an append at a stale head with the current head, and writes nothing', async () => {
    await log.append('cas', [entry('a'), entry('b')], { expectedHead: 0 });
    const stale = log.append('cas', [entry('c')], { expectedHead: 1 });
    await expect(stale).rejects.toBeInstanceOf(HeadConflictError);
    await expect(stale).rejects.toMatchObject({
      code: 'LOG_HEAD_CONFLICT',
      agentId: 'cas',
      expectedHead: 1,
      head: 2,
    });
    expect(await log.find('cas', 'c')).toBeUndefined();
    // Catch up and retry.
    const caughtUp = await log.read('cas', { after: 1 });
    const retried = await log.append('cas', [entry('c')], { expectedHead: caughtUp.at(-1)!.seq });
    expect(retried.entries[0]!.seq).toBe(3);
  });

  it('is idempotent by key: a retried append returns the stored entries and writes nothing', async () => {
    const original = await log.append('idem', [entry('k1'), entry('k2')], { expectedHead: 0 });
    // The retry does not know its first attempt committed: it still expects head 0.
    const retry = await log.append('idem', [entry('k1'), { ...entry('k2'), payload: 'changed' }], {
      expectedHead: 0,
    });
    expect(retry.head).toBe(2);
    expect(retry.entries).toEqual(original.entries.map((e) => ({ ...e, duplicate: true })));
    // Stored keys plus new ones: the new ones need the head to match.
    const mixed = await log.append('idem', [entry('k2'), entry('k3')], { expectedHead: 2 });
    expect(mixed.entries.map((e) => [e.key, e.seq, e.duplicate])).toEqual([
      ['k2', 2, true],
      ['k3', 3, false],
    ]);
    expect((await log.read('idem')).map((e) => e.key)).toEqual(['k1', 'k2', 'k3']);
  });

  it('appends several agents in one transaction, each with its own compare-and-set', async () => {
    await log.append('batch-b', [entry('b1')], { expectedHead: 0 });
    const results = await log.appendBatch([
      { agentId: 'batch-c', entries: [entry('c1'), entry('c2')], expectedHead: 0 },
      { agentId: 'batch-b', entries: [entry('b2')], expectedHead: 0 }, // stale
      { agentId: 'batch-a', entries: [entry('a1')], expectedHead: 0 },
    ]);
    expect(results.map((r) => [r.agentId, r.status, r.head])).toEqual([
      ['batch-c', 'appended', 2],
      ['batch-b', 'conflict', 1],
      ['batch-a', 'appended', 1],
    ]);
    expect(await log.find('batch-b', 'b2')).toBeUndefined();
    expect(await log.head('batch-a')).toBe(1);
    expect(await log.appendBatch([])).toEqual([]);
  });

  it('lets two concurrent retries of one key store it once', async () => {
    const other = new pg.Pool({ connectionString: pgUrl ?? undefined, max: 2 });
    afterAll(() => other.end());
    const second = new PostgresAgentLog({ pool: other, schema, writer: 'replica-2' });
    const outcomes = await Promise.allSettled([
      log.append('twice', [entry('same')], { expectedHead: 0 }),
      second.append('twice', [entry('same')], { expectedHead: 0 }),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
    const stored = await log.read('twice');
    expect(stored.map((e) => [e.seq, e.key])).toEqual([[1, 'same']]);
    const duplicates = outcomes.map((o) => (o.status === 'fulfilled' ? o.value.entries[0]!.duplicate : null));
    expect(duplicates.sort()).toEqual([false, true]);
  });

  it('answers bad input with typed errors naming the field, and writes nothing', async () => {
    const cases: [unknown, RegExp][] = [
      [[{ key: '', at: 1, payload: {} }], /append\.entries\[0\]\.key/],
      [[{ key: 'k', at: -1, payload: {} }], /entries\[0\]\.at/],
      [[{ key: 'k', at: 1.5, payload: {} }], /entries\[0\]\.at/],
      [[{ key: 'k', at: 1 }], /entries\[0\]\.payload/],
      [[{ key: 'k', at: 1, payload: () => 1 }], /entries\[0\]\.payload: expected a JSON-serializable value/],
      [[{ key: 'k', at: 1, payload: { n: 1n } }], /entries\[0\]\.payload/],
      [[entry('k'), entry('k')], /append\.entries\[1\]\.key: key "k" appears twice/],
      [[{ key: 'k', at: 1, payload: {}, extra: true }], /extra/],
    ];
    for (const [entries, message] of cases) {
      const attempt = log.append('bad', entries as LogEntryInput[], { expectedHead: 0 });
      await expect(attempt).rejects.toBeInstanceOf(ValidationError);
      await expect(attempt).rejects.toThrow(message);
    }
    await expect(log.append('bad', [entry('k')], { expectedHead: -1 })).rejects.toThrow(/expectedHead/);
    await expect(log.append('', [entry('k')], { expectedHead: 0 })).rejects.toThrow(/agentId/);
    await expect(
      log.appendBatch([
        { agentId: 'bad', entries: [entry('k')], expectedHead: 0 },
        { agentId: 'bad', entries: [entry('l')], expectedHead: 0 },
      ]),
    ).rejects.toThrow(/\[1\]\.agentId: agent "bad" appears twice/);
    await expect(log.read('bad', { limit: 0 })).rejects.toBeInstanceOf(ValidationError);
    expect(() => new PostgresAgentLog({ pool, tables: { log: 'agent log' } })).toThrow(ValidationError);
    expect(await log.head('bad')).toBe(0);
    expect(await log.read('bad')).toEqual([]);
  });
});
