// Two processes race on the same agents through their own connections. Nothing may be lost: every
// successful save is in the final artifact, in version order, and the loser of each round gets the
// conflict error; the log's positions are dense, without duplicates or gaps.
import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PostgresAgentLog, PostgresModelStore } from '../src/index.js';
import { pgUrl, useDatabase } from './support.js';

interface Outcome<S> {
  successes: S[];
  conflicts: number;
}

async function race<S>(args: string[]): Promise<Outcome<S>[]> {
  const children: ChildProcess[] = ['w1', 'w2'].map((writer) =>
    fork(
      join(import.meta.dirname, 'race-worker.ts'),
      [pgUrl!, ...args.slice(0, 2), writer, ...args.slice(2)],
      {
        execArgv: ['--import', 'tsx'],
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      },
    ),
  );
  const ready = children.map(
    (child) => new Promise<void>((resolve) => child.once('message', () => resolve())),
  );
  const done = children.map(
    (child) =>
      new Promise<Outcome<S>>((resolve, reject) => {
        let outcome: Outcome<S> | undefined;
        child.on('message', (message) => {
          if (typeof message === 'object') outcome = message as Outcome<S>;
        });
        child.once('exit', (code) =>
          code === 0 && outcome ? resolve(outcome) : reject(new Error(`worker exited ${code}`)),
        );
      }),
  );
  await Promise.all(ready);
  for (const child of children) child.send('go'); // both start together
  return Promise.all(done);
}

describe.skipIf(!pgUrl)('two processes racing', () => {
  const { pool, schema } = useDatabase();
  const store = new PostgresModelStore({ pool, schema, key: null });
  const log = new PostgresAgentLog({ pool, schema });

  beforeAll(async () => {
    await store.migrate();
    await log.migrate();
  });

  it('lose no model update: each round has one winner, the loser gets VersionConflictError', async () => {
    const agents = ['race-a', 'race-b'];
    const rounds = 45;
    const outcomes = await race<{ agentId: string; version: number; token: string }>([
      schema,
      'model',
      String(rounds),
      ...agents,
    ]);
    for (const outcome of outcomes) expect(outcome.successes).toHaveLength(rounds);
    expect(outcomes[0]!.conflicts + outcomes[1]!.conflicts).toBeGreaterThan(0);
    const successes = outcomes.flatMap((outcome) => outcome.successes);
    for (const agentId of agents) {
      const won = successes.filter((s) => s.agentId === agentId).sort((a, b) => a.version - b.version);
      expect(won.map((s) => s.version)).toEqual(won.map((_, index) => index + 1));
      const final = await store.loadVersioned(agentId, 'threat-model');
      expect(final.version).toBe(won.length);
      expect((final.body as { history: string[] }).history).toEqual(won.map((s) => s.token));
    }
  });

  it('keep the log dense: two writers on one agent, no duplicate, no gap', async () => {
    const rounds = 60;
    const outcomes = await race<{ key: string; seq: number }>([schema, 'log', String(rounds), 'log-agent']);
    expect(outcomes[0]!.conflicts + outcomes[1]!.conflicts).toBeGreaterThan(0);
    const entries = await log.read('log-agent', { limit: 10_000 });
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 2 * rounds }, (_, index) => index + 1));
    expect(new Set(entries.map((e) => e.key)).size).toBe(2 * rounds);
    expect(await log.head('log-agent')).toBe(2 * rounds);
    const bySeq = new Map(entries.map((e) => [e.seq, e.key]));
    for (const outcome of outcomes) {
      for (const success of outcome.successes) expect(bySeq.get(success.seq)).toBe(success.key);
      // Each writer's own entries keep its order.
      const seqs = outcome.successes.map((s) => s.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
  });
});
