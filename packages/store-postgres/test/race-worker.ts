// One of two competing processes of race.test.ts. argv: url schema mode writer rounds agents...
// Waits for "go", runs its rounds, sends { successes, conflicts } and exits.
//   model: load -> change -> saveIfVersion on the agents in turn; on a conflict, reload and retry.
//   log:   append one entry at a time to the first agent; on a conflict, read what it missed and retry.
import { setTimeout as sleep } from 'node:timers/promises';
import { NotFoundError } from '@harombe/persistence';
import pg from 'pg';
import {
  HeadConflictError,
  PostgresAgentLog,
  PostgresModelStore,
  VersionConflictError,
} from '../src/index.js';

const [url, schema, mode, writer, roundsText, ...agents] = process.argv.slice(2) as [
  string,
  string,
  'model' | 'log',
  string,
  string,
  ...string[],
];
const rounds = Number(roundsText);
const pool = new pg.Pool({ connectionString: url, max: 2 });
const pause = () => sleep(1 + Math.floor(Math.random() * 4));

async function modelRounds() {
  const store = new PostgresModelStore({ pool, schema, key: null, writer });
  const successes: { agentId: string; version: number; token: string }[] = [];
  let conflicts = 0;
  for (let round = 0; round < rounds; round++) {
    const agentId = agents[round % agents.length]!;
    const token = `${writer}:${round}`;
    for (;;) {
      let history: string[] = [];
      let expectedVersion: number | null = null;
      try {
        const loaded = await store.loadVersioned(agentId, 'threat-model');
        history = (loaded.body as { history: string[] }).history;
        expectedVersion = loaded.version;
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error;
      }
      await pause();
      try {
        const saved = await store.saveIfVersion(
          agentId,
          'threat-model',
          { history: [...history, token] },
          {
            expectedVersion,
            watermark: round,
          },
        );
        successes.push({ agentId, version: saved.version, token });
        break;
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
        conflicts++;
      }
    }
  }
  return { successes, conflicts };
}

async function logRounds() {
  const log = new PostgresAgentLog({ pool, schema, writer });
  const agentId = agents[0]!;
  const successes: { key: string; seq: number }[] = [];
  let conflicts = 0;
  let known = 0;
  for (let round = 0; round < rounds; round++) {
    const key = `${writer}-${round}`;
    for (;;) {
      try {
        const result = await log.append(agentId, [{ key, at: round, payload: { writer, round } }], {
          expectedHead: known,
        });
        known = result.head;
        successes.push({ key, seq: result.entries[0]!.seq });
        break;
      } catch (error) {
        if (!(error instanceof HeadConflictError)) throw error;
        conflicts++;
        const missed = await log.read(agentId, { after: known });
        known = missed.at(-1)?.seq ?? error.head;
        await pause();
      }
    }
  }
  return { successes, conflicts };
}

process.once('message', async () => {
  try {
    const result = mode === 'model' ? await modelRounds() : await logRounds();
    process.send!(result, () => process.exit(0));
  } catch (error) {
    console.error(error);
    process.exit(1);
  } finally {
    await pool.end();
  }
});
process.send!('ready');
