// A vitest global setup that gives a package's tests a PostgreSQL URL (`inject('pgUrl')`):
// HAROMBE_TEST_PG_URL when set, otherwise a throwaway cluster started from the machine's PostgreSQL
// binaries (`postgres-cluster.ts`) and removed afterwards. Without PostgreSQL the tests that need it
// are skipped with a printed notice, except under CI, where a missing PostgreSQL fails the run.
// A package's `test/global-setup.ts` is `export default postgresGlobalSetup('<package name>')`.
import type { TestProject } from 'vitest/node';
import { findPostgres, startThrowawayPostgres } from './postgres-cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string | null;
  }
}

const inCi = (): boolean => {
  const value = process.env.CI;
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
};

/** The global setup of the package `name` (named in the notices). */
export function postgresGlobalSetup(name: string) {
  return async function setup(project: TestProject): Promise<(() => void) | undefined> {
    // biome-ignore lint/suspicious/noUndeclaredEnvVars: each package's turbo.json declares it for its test task.
    const given = process.env.HAROMBE_TEST_PG_URL;
    if (given) {
      project.provide('pgUrl', given);
      return undefined;
    }
    const binaries = findPostgres();
    if (!binaries) {
      const problem =
        'PostgreSQL not found (no HAROMBE_TEST_PG_URL, no initdb/pg_ctl in HAROMBE_PG_BIN, /usr/lib/postgresql/*/bin or PATH)';
      if (inCi()) throw new Error(`${name}: ${problem}; CI requires it (apt-get install postgresql)`);
      console.warn(
        `\n${name}: ${problem}.\n  The tests that need PostgreSQL are SKIPPED. Install it (apt-get install postgresql) or set HAROMBE_TEST_PG_URL to run them.\n`,
      );
      project.provide('pgUrl', null);
      return undefined;
    }
    // A throwaway cluster: durability off for speed (nothing here outlives the run).
    const cluster = await startThrowawayPostgres({
      binaries,
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
    });
    project.provide('pgUrl', cluster.url);
    return () => cluster.stop();
  };
}
