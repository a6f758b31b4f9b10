// A vitest global setup that gives a package's tests a PostgreSQL URL (`inject('pgUrl')`):
// HAROMBE_TEST_PG_URL when set, otherwise a throwaway cluster started from the machine's PostgreSQL
// binaries and removed afterwards (`postgresForTests` in postgres-cluster.ts). Without PostgreSQL the
// tests that need it are skipped with a printed notice, except under CI, where a missing PostgreSQL
// fails the run. A package's `test/global-setup.ts` is `export default postgresGlobalSetup('<name>')`.
import type { TestProject } from 'vitest/node';
import { postgresForTests } from './postgres-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string | null;
  }
}

/** The global setup of the package (or test suite) `name`, named in the notices. */
export function postgresGlobalSetup(name: string) {
  return async function setup(project: TestProject): Promise<() => void> {
    const { url, stop } = await postgresForTests(name);
    project.provide('pgUrl', url);
    return stop;
  };
}
