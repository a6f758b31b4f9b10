// Gives the tests a PostgreSQL URL (`inject('pgUrl')`): HAROMBE_TEST_PG_URL when set, otherwise a
// throwaway cluster started here from the machine's PostgreSQL binaries and removed afterwards.
// Without PostgreSQL the tests that need it are skipped with a printed notice, except under CI,
// where a missing PostgreSQL fails the run.
import type { TestProject } from 'vitest/node';
import { postgresForTests } from '../../../tooling/postgres-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string | null;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const { url, stop } = await postgresForTests('@harombe/store-postgres');
  project.provide('pgUrl', url);
  return stop;
}
