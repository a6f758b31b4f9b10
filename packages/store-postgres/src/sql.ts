// The little SQL plumbing both stores share: the pool they accept (structurally, so that the public
// types do not depend on @types/pg), identifiers checked before they are ever written into SQL,
// transactions, and bigint columns read back as safe integers.
import { createHash } from 'node:crypto';
import { parseOrThrow } from '@harombe/models';
import { StoreConfigError } from '@harombe/persistence';
import pg from 'pg';
import { z } from 'zod';

/** What a query resolves to: the rows (columns by name) and how many rows the command touched. */
export interface SqlResult {
  readonly rows: Record<string, unknown>[];
  readonly rowCount: number | null;
}

/** Something that runs parameterised SQL: a `pg.Pool` or a `pg.PoolClient`. */
export interface SqlQueryable {
  query(text: string, values?: unknown[]): Promise<SqlResult>;
}

/** A connection checked out of a pool (`pg.PoolClient`): one session, returned with `release`. */
export interface SqlSession extends SqlQueryable {
  /** Returns the connection to the pool; with an error (or `true`), closes it instead. */
  release(destroy?: boolean | Error): void;
  on(event: 'error', listener: (error: Error) => void): unknown;
  off(event: 'error', listener: (error: Error) => void): unknown;
}

/** A connection pool (`pg.Pool` satisfies it). */
export interface SqlPool extends SqlQueryable {
  connect(): Promise<SqlSession>;
  end(): Promise<void>;
}

/** Where a store's tables live, and how it reaches the database. */
export interface ConnectionOptions {
  /**
   * The pool to use (a `pg.Pool`, shared with the rest of the process). The store never ends it.
   * Give either `pool` or `connectionString`.
   */
  pool?: SqlPool;
  /**
   * A PostgreSQL URL (`postgres://user:password@host:port/database`). The store then opens its own
   * `pg.Pool` and ends it on `close()`.
   */
  connectionString?: string;
  /**
   * The schema of the tables. Default: none, so the connection's `search_path` decides (usually
   * `public`). `migrate()` creates it when missing. Checked like table names.
   */
  schema?: string;
}

/** Names that go into SQL unquoted-safe: lower-case letters, digits and `_`, at most 63 bytes. */
export const IdentifierSchema = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63)');

export const ConnectionOptionsShape = {
  pool: z
    .custom<SqlPool>(
      (value) =>
        typeof value === 'object' &&
        value !== null &&
        typeof (value as { query?: unknown }).query === 'function' &&
        typeof (value as { connect?: unknown }).connect === 'function',
      'expected a pg.Pool (an object with query and connect)',
    )
    .optional(),
  connectionString: z.string().min(1).optional(),
  schema: IdentifierSchema.optional(),
};

/** The pool of validated options, and whether the store owns it (opened it, so ends it). */
export function openPool(options: ConnectionOptions, subject: string): { pool: SqlPool; owned: boolean } {
  if ((options.pool === undefined) === (options.connectionString === undefined)) {
    throw new StoreConfigError(`${subject}: give exactly one of pool and connectionString`);
  }
  if (options.pool) return { pool: options.pool, owned: false };
  return { pool: new pg.Pool({ connectionString: options.connectionString }) as SqlPool, owned: true };
}

/** `"schema"."table"` or `"table"`, from names already checked by {@link IdentifierSchema}. */
export function qualifiedName(schema: string | undefined, table: string): string {
  const name = parseOrThrow(IdentifierSchema, table, 'table name');
  return schema === undefined
    ? `"${name}"`
    : `"${parseOrThrow(IdentifierSchema, schema, 'schema')}"."${name}"`;
}

/**
 * The 64-bit advisory-lock key of a name: the first 8 bytes of its SHA-256 as a signed integer
 * (decimal text). Stable across processes, versions and machines, unlike `hashtext`.
 */
export function advisoryKey(name: string): string {
  return createHash('sha256').update(name, 'utf8').digest().readBigInt64BE(0).toString();
}

/**
 * Runs a store's `CREATE ... IF NOT EXISTS` statements (after `CREATE SCHEMA IF NOT EXISTS` for a
 * configured schema) in one transaction, under a transaction-level advisory lock: replicas that
 * all migrate at start-up take turns instead of colliding in PostgreSQL's catalogue.
 */
export async function migrateTables(
  pool: SqlPool,
  schema: string | undefined,
  statements: string[],
): Promise<void> {
  await inTransaction(pool, async (session) => {
    await session.query('SELECT pg_advisory_xact_lock($1::bigint)', [
      advisoryKey('harombe:store-postgres:migrate'),
    ]);
    if (schema !== undefined) await session.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
    for (const statement of statements) await session.query(statement);
  });
}

/**
 * Runs `work` in one transaction on a session of its own: commits when it resolves, rolls back
 * (and rethrows) when it throws. A session whose rollback failed is closed, not reused. Takes any
 * pool whose sessions are {@link SqlSession}s (a `pg.Pool` gives `work` its `pg.PoolClient`).
 */
export async function inTransaction<T, S extends SqlSession = SqlSession>(
  pool: { connect(): Promise<S> },
  work: (session: S) => Promise<T>,
): Promise<T> {
  const session = await pool.connect();
  let broken: Error | undefined;
  try {
    await session.query('BEGIN');
    const result = await work(session);
    await session.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await session.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError as Error;
    }
    throw error;
  } finally {
    session.release(broken);
  }
}

/** A position or version column (`bigint`, which pg returns as text) as a number; safe integers only. */
export function toSafeInteger(value: unknown, column: string): number {
  const number = typeof value === 'number' ? value : Number(value);
  if (!Number.isSafeInteger(number)) {
    throw new RangeError(`column ${column} holds ${String(value)}, not a safe integer`);
  }
  return number;
}

/** Log positions, versions and watermarks: integers from 0 to 2^53 - 1. */
export const PositionSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
