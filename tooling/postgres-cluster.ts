// A throwaway PostgreSQL cluster for tests: found among the machine's binaries (Debian puts them in
// /usr/lib/postgresql/<version>/bin), created with initdb in a temporary directory, listening on
// 127.0.0.1 only (and a socket in that directory), removed on stop. As root (CI), initdb refuses to
// run, so the cluster is created and run as the `postgres` user with runuser. Used by
// @harombe/store-postgres's vitest global setup; usable by any test harness (tsx).
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface PostgresBinaries {
  readonly initdb: string;
  readonly pgCtl: string;
}

/**
 * `initdb` and `pg_ctl` from `HAROMBE_PG_BIN` (a directory), else the newest
 * /usr/lib/postgresql/<version>/bin, else `PATH`; `undefined` when there are none.
 */
export function findPostgres(env: NodeJS.ProcessEnv = process.env): PostgresBinaries | undefined {
  const directories: string[] = [];
  if (env.HAROMBE_PG_BIN) directories.push(env.HAROMBE_PG_BIN);
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((name) => /^\d+(\.\d+)?$/.test(name))
      .sort((a, b) => Number(b) - Number(a));
    directories.push(...versions.map((version) => join(debian, version, 'bin')));
  }
  directories.push(...(env.PATH ?? '').split(delimiter).filter(Boolean));
  for (const directory of directories) {
    const initdb = join(directory, 'initdb');
    const pgCtl = join(directory, 'pg_ctl');
    if (existsSync(initdb) && existsSync(pgCtl)) return { initdb, pgCtl };
  }
  return undefined;
}

export interface ThrowawayPostgres {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication, loopback only). */
  readonly url: string;
  readonly port: number;
  /** The temporary directory: `data/` (the cluster), the socket, `server.log`. */
  readonly directory: string;
  /** Stops the server (fast shutdown) and removes the directory. Idempotent. */
  stop(): void;
}

export interface ThrowawayOptions {
  readonly binaries?: PostgresBinaries;
  /** Default: a free port chosen by the system. */
  readonly port?: number;
  /** Extra `postgresql.conf` settings, e.g. `{ fsync: 'off' }`. */
  readonly settings?: Readonly<Record<string, string>>;
}

/** A free TCP port on 127.0.0.1, as the system chose it. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Creates and starts a cluster; throws with the server log when it cannot. */
export async function startThrowawayPostgres(options: ThrowawayOptions = {}): Promise<ThrowawayPostgres> {
  const binaries = options.binaries ?? findPostgres();
  if (!binaries) throw new Error('PostgreSQL not found: no initdb/pg_ctl (apt-get install postgresql)');
  const port = options.port ?? (await freePort());
  const directory = mkdtempSync(join(tmpdir(), 'harombe-pg-'));
  const data = join(directory, 'data');
  const log = join(directory, 'server.log');
  const root = process.getuid?.() === 0;
  if (root) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(directory, uid, gid);
  }
  const run = (command: string, args: string[]): void => {
    const [file, argv] = root ? ['runuser', ['-u', 'postgres', '--', command, ...args]] : [command, args];
    const result = spawnSync(file, argv, { encoding: 'utf8', cwd: directory });
    if (result.status !== 0) {
      const serverLog = existsSync(log) ? execFileSync('tail', ['-n', '20', log], { encoding: 'utf8' }) : '';
      throw new Error(
        `${command} ${args.join(' ')} failed (${result.status ?? result.signal}): ${result.stderr}${result.stdout}${serverLog}`,
      );
    }
  };
  let started = false;
  const stop = (): void => {
    if (started) {
      started = false;
      try {
        run(binaries.pgCtl, ['-D', data, '-m', 'fast', '-w', 'stop']);
      } catch {
        // Already gone: nothing to stop.
      }
    }
    rmSync(directory, { recursive: true, force: true });
  };
  try {
    run(binaries.initdb, [
      '-D',
      data,
      '-U',
      'postgres',
      '--auth=trust',
      '-E',
      'UTF8',
      '--no-locale',
      '--no-sync',
    ]);
    const settings = {
      listen_addresses: "'127.0.0.1'",
      port: String(port),
      unix_socket_directories: `'${directory}'`,
      max_connections: '100',
      ...options.settings,
    };
    appendFileSync(
      join(data, 'postgresql.conf'),
      `\n${Object.entries(settings)
        .map(([name, value]) => `${name} = ${value}`)
        .join('\n')}\n`,
    );
    run(binaries.pgCtl, ['-D', data, '-l', log, '-w', '-t', '60', 'start']);
    started = true;
  } catch (error) {
    stop();
    throw error;
  }
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, port, directory, stop };
}

const inCi = (env: NodeJS.ProcessEnv): boolean => {
  const value = env.CI;
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
};

/**
 * For a vitest global setup: a PostgreSQL URL for `subject`'s tests (`HAROMBE_TEST_PG_URL` when set,
 * else a throwaway cluster, durability off for speed), with the function that stops it; `url: null`
 * (the tests skip, with a printed notice) when PostgreSQL cannot be found, except under CI, where
 * that throws.
 */
export async function postgresForTests(
  subject: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ url: string | null; stop: () => void }> {
  if (env.HAROMBE_TEST_PG_URL) return { url: env.HAROMBE_TEST_PG_URL, stop: () => {} };
  const binaries = findPostgres(env);
  if (!binaries) {
    const problem =
      'PostgreSQL not found (no HAROMBE_TEST_PG_URL, no initdb/pg_ctl in HAROMBE_PG_BIN, /usr/lib/postgresql/*/bin or PATH)';
    if (inCi(env)) throw new Error(`${subject}: ${problem}; CI requires it (apt-get install postgresql)`);
    console.warn(
      `\n${subject}: ${problem}.\n  The tests that need PostgreSQL are SKIPPED. Install it (apt-get install postgresql) or set HAROMBE_TEST_PG_URL to run them.\n`,
    );
    return { url: null, stop: () => {} };
  }
  const cluster = await startThrowawayPostgres({
    binaries,
    settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
  });
  return { url: cluster.url, stop: cluster.stop };
}
