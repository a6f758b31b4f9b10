// Each test file works in a schema of its own on the PostgreSQL of test/global-setup.ts, dropped
// at the end, so files can run in parallel against one server.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';

/** The server's URL, or `null` when PostgreSQL is not available here (the suites are skipped). */
export const pgUrl = inject('pgUrl');

/** A pool and a fresh schema name, both cleaned up after the file's tests. */
export function useDatabase(): { pool: pg.Pool; schema: string } {
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const pool = new pg.Pool({ connectionString: pgUrl ?? undefined, max: 6 });
  afterAll(async () => {
    await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await pool.end();
  });
  return { pool, schema };
}
