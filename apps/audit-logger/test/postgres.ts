// The PostgreSQL of test/global-setup.ts: each test gets a schema of its own (dropped at the end of
// the file), so files and tests run in parallel against one server. `pgUrl` is null where there is
// no PostgreSQL (outside CI): the suites that need it are skipped, with the setup's notice.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, inject } from 'vitest';
import type { PostgresConnection } from '../src/index.js';

export const pgUrl = inject('pgUrl');

const schemas: string[] = [];
afterAll(async () => {
  if (!pgUrl || schemas.length === 0) return;
  const client = new pg.Client({ connectionString: pgUrl });
  await client.connect();
  for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  await client.end();
});

/** A connection to a fresh schema (created by the store when it migrates). */
export function freshConnection(): PostgresConnection {
  if (!pgUrl) throw new Error('no PostgreSQL for this test');
  const schema = `audit_${randomBytes(6).toString('hex')}`;
  schemas.push(schema);
  return { connectionString: pgUrl, schema };
}
