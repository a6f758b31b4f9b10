import { ValidationError } from '@harombe/models';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { leadershipKey, tryLeadership, withLeadership } from '../src/index.js';
import { pgUrl } from './support.js';

describe.skipIf(!pgUrl)('advisory-lock leadership', () => {
  // Two "processes": separate pools, so separate sessions.
  const first = new pg.Pool({ connectionString: pgUrl ?? undefined, max: 3 });
  const second = new pg.Pool({ connectionString: pgUrl ?? undefined, max: 3 });
  afterAll(async () => {
    await first.end();
    await second.end();
  });

  it('elects one leader at a time and hands over on release', async () => {
    const leader = await tryLeadership(first, 'test:scheduler');
    expect(leader).not.toBeNull();
    expect(await tryLeadership(second, 'test:scheduler')).toBeNull();
    // Another name is another election.
    const other = await tryLeadership(second, 'test:retention');
    expect(other).not.toBeNull();
    await other!.release();
    await leader!.release();
    await leader!.release(); // idempotent
    expect(leader!.signal.aborted).toBe(true);
    const next = await tryLeadership(second, 'test:scheduler');
    expect(next).not.toBeNull();
    await next!.release();
  });

  it('frees leadership when the leader’s session dies, and tells the leader', async () => {
    const leader = (await tryLeadership(first, 'test:crash'))!;
    expect(await tryLeadership(second, 'test:crash')).toBeNull();
    await second.query(
      // A 64-bit advisory key is held as classid (high 32 bits) and objid (low 32 bits).
      `SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
         AND ((classid::bigint << 32) | objid::bigint) = $1::bigint`,
      [leadershipKey('test:crash')],
    );
    await expect.poll(() => leader.signal.aborted, { timeout: 5_000 }).toBe(true);
    const successor = await tryLeadership(second, 'test:crash');
    expect(successor).not.toBeNull();
    await successor!.release();
    await leader.release();
  });

  it('runs the work only as the leader, and releases even when it throws', async () => {
    const held = (await tryLeadership(first, 'test:job'))!;
    let ran = 0;
    expect(await withLeadership(second, 'test:job', async () => ++ran)).toEqual({ led: false });
    await held.release();
    expect(await withLeadership(second, 'test:job', async (signal) => (signal.aborted ? -1 : ++ran))).toEqual(
      {
        led: true,
        value: 1,
      },
    );
    await expect(
      withLeadership(second, 'test:job', async () => {
        throw new Error('job failed');
      }),
    ).rejects.toThrow('job failed');
    const after = await tryLeadership(first, 'test:job');
    expect(after).not.toBeNull();
    await after!.release();
  });

  it('derives a stable 64-bit key from the name and refuses bad names', () => {
    expect(leadershipKey('harombe:scheduler')).toBe(leadershipKey('harombe:scheduler'));
    expect(BigInt(leadershipKey('a'))).not.toBe(BigInt(leadershipKey('b')));
    expect(() => leadershipKey('')).toThrow(ValidationError);
  });
});
