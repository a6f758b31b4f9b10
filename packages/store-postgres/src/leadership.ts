// Leader election on PostgreSQL session-level advisory locks: the process that holds the lock
// named `name` is the leader (for example the one that schedules retraining and retention). The
// lock lives as long as the database session that took it: it is released on `release()`, and by
// the server when the session ends, so a leader that dies (kill -9, lost network) frees it for the
// next one without any lease to expire. Nothing is written to any table.
import { parseOrThrow } from '@harombe/models';
import { z } from 'zod';
import { advisoryKey, type SqlPool, type SqlSession } from './sql.js';

/** Held leadership. Keep it while leading; `release()` when done. */
export interface Leadership {
  readonly name: string;
  /** The advisory lock's 64-bit key (decimal text), see {@link leadershipKey}. */
  readonly key: string;
  /**
   * Aborted when leadership ends: after `release()`, or when the session holding the lock fails
   * (the server then frees the lock and another process may lead). Long work should watch it.
   */
  readonly signal: AbortSignal;
  /** Unlocks and returns the session to the pool. Idempotent. */
  release(): Promise<void>;
}

const NameSchema = z.string().min(1).max(200);

/**
 * The advisory-lock key of a leadership name: the first 8 bytes of its SHA-256, as a signed 64-bit
 * integer (decimal text). Stable across processes, versions and machines, unlike `hashtext`.
 */
export function leadershipKey(name: string): string {
  return advisoryKey(parseOrThrow(NameSchema, name, 'leadership name'));
}

/**
 * Tries to become the leader for `name` without waiting (`pg_try_advisory_lock`). Resolves the
 * held {@link Leadership}, or `null` when another session leads. Holds one pool connection while
 * leading: size the pool for it. Do not use through a transaction-pooling PgBouncer (session
 * state does not survive it).
 * @throws {ValidationError} for an empty or overlong name; the pool's errors when it cannot connect.
 */
export async function tryLeadership(pool: SqlPool, name: string): Promise<Leadership | null> {
  const key = leadershipKey(name);
  const session = await pool.connect();
  let acquired = false;
  try {
    const { rows } = await session.query('SELECT pg_try_advisory_lock($1::bigint) AS acquired', [key]);
    acquired = rows[0]?.acquired === true;
  } finally {
    if (!acquired) session.release();
  }
  return acquired ? hold(session, name, key) : null;
}

function hold(session: SqlSession, name: string, key: string): Leadership {
  const controller = new AbortController();
  let released: Promise<void> | undefined;
  const onError = (error: Error): void => {
    controller.abort(error);
  };
  session.on('error', onError);
  const release = (): Promise<void> => {
    released ??= (async () => {
      session.off('error', onError);
      const lost = controller.signal.aborted;
      controller.abort(new Error(`leadership ${JSON.stringify(name)} released`));
      if (lost) {
        session.release(true);
        return;
      }
      try {
        await session.query('SELECT pg_advisory_unlock($1::bigint)', [key]);
        session.release();
      } catch (error) {
        // Closing the session frees the lock on the server anyway.
        session.release(error as Error);
      }
    })();
    return released;
  };
  return { name, key, signal: controller.signal, release };
}

/** What {@link withLeadership} did: ran `fn` as the leader, or found another leader. */
export type LeadershipOutcome<T> = { readonly led: true; readonly value: T } | { readonly led: false };

/**
 * Runs `fn` only if this process becomes the leader for `name` (see {@link tryLeadership}), then
 * releases leadership, whether `fn` resolves or throws. `fn` gets the leadership's `signal`.
 * @example
 * // Every replica calls this on a timer; one of them runs the job at a time.
 * const outcome = await withLeadership(pool, 'harombe:scheduler', async (signal) => scheduleRetraining(signal));
 * if (!outcome.led) log.debug('another replica schedules');
 */
export async function withLeadership<T>(
  pool: SqlPool,
  name: string,
  fn: (signal: AbortSignal) => Promise<T>,
): Promise<LeadershipOutcome<T>> {
  const leadership = await tryLeadership(pool, name);
  if (!leadership) return { led: false };
  try {
    return { led: true, value: await fn(leadership.signal) };
  } finally {
    await leadership.release();
  }
}
