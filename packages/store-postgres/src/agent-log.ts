// PostgresAgentLog: a durable, per-agent, gap-free log. Every agent has a head row holding the last
// position written; an append locks that row, checks the writer's expected head (compare-and-set),
// writes the entries at the next positions and moves the head, all in one transaction. So two
// writers can never both append at one position, positions are dense (1, 2, 3, ...), and the loser
// learns the current head and can catch up. An entry's key (an event id, an idempotency key) is
// unique per agent: a retried append of a stored key returns the stored entry and writes nothing.
import { parseAgentId, parseOrThrow, ValidationError } from '@harombe/models';
import { z } from 'zod';
import { HeadConflictError } from './errors.js';
import {
  type ConnectionOptions,
  ConnectionOptionsShape,
  IdentifierSchema,
  inTransaction,
  migrateTables,
  openPool,
  PositionSchema,
  qualifiedName,
  type SqlPool,
  type SqlQueryable,
  toSafeInteger,
} from './sql.js';

/** The default tables of {@link PostgresAgentLog}. */
export const DEFAULT_LOG_TABLES = { heads: 'agent_heads', log: 'agent_log' } as const;

export interface PostgresAgentLogOptions extends ConnectionOptions {
  /** Table names. Defaults `agent_heads` and `agent_log`. */
  tables?: { heads?: string; log?: string };
  /** Who appends (a replica's name), stored with each entry and in the head row. Default `null`. */
  writer?: string | null;
}

const OptionsSchema = z
  .object({
    ...ConnectionOptionsShape,
    tables: z
      .object({ heads: IdentifierSchema.optional(), log: IdentifierSchema.optional() })
      .strict()
      .optional(),
    writer: z.string().max(200).nullable().optional(),
  })
  .strict();

/** The most characters of an entry key. */
export const MAX_ENTRY_KEY_LENGTH = 512;

/** One entry to append: the caller's payload, keyed and timed. */
export interface LogEntryInput {
  /** Unique per agent: an event id or idempotency key. Appending a stored key again writes nothing. */
  readonly key: string;
  /** Event time, epoch milliseconds (an integer). */
  readonly at: number;
  /** Any JSON value (the event, the decision, whether it was learned, ...). Stored as `json`, text as written. */
  readonly payload: unknown;
}

export const LogEntryInputSchema = z
  .object({
    key: z.string().min(1).max(MAX_ENTRY_KEY_LENGTH),
    at: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    payload: z.unknown(),
  })
  .strict();

/** A stored entry. */
export interface LogEntry {
  readonly agentId: string;
  /** Position in the agent's log: 1 for the first entry, dense and increasing. */
  readonly seq: number;
  readonly key: string;
  readonly at: number;
  readonly payload: unknown;
  /** The `writer` of the log that appended it. */
  readonly writer: string | null;
}

/** An entry of an append's result: `duplicate` when its key was already stored (nothing written). */
export interface AppendedEntry extends LogEntry {
  readonly duplicate: boolean;
}

export interface AppendOptions {
  /**
   * The last position the writer knows (0 for an empty log). The append succeeds only if the
   * agent's head is still there; otherwise `HeadConflictError` (or a `conflict` result in a batch).
   */
  expectedHead: number;
}

/** One agent's part of {@link PostgresAgentLog.appendBatch}. */
export interface AgentAppend extends AppendOptions {
  readonly agentId: string;
  readonly entries: readonly LogEntryInput[];
}

/** What an append did: the entries in the order given, with their positions, and the new head. */
export interface AppendResult {
  readonly status: 'appended';
  readonly agentId: string;
  /** The agent's head after the append. */
  readonly head: number;
  readonly entries: readonly AppendedEntry[];
}

/** An agent of a batch whose compare-and-set lost: nothing of it was written. */
export interface AppendConflict {
  readonly status: 'conflict';
  readonly agentId: string;
  readonly expectedHead: number;
  /** The agent's head now: read the entries after `expectedHead` up to it, then retry. */
  readonly head: number;
}

export interface ReadOptions {
  /** Entries after this position. Default 0 (from the start). */
  after?: number;
  /** At most this many entries (1 to 10,000). Default 1,000. */
  limit?: number;
}

const AppendOptionsSchema = z.object({ expectedHead: PositionSchema }).strict();
const AgentAppendSchema = z
  .object({
    agentId: z.string(),
    entries: z.array(LogEntryInputSchema).max(10_000),
    expectedHead: PositionSchema,
  })
  .strict();
const ReadOptionsSchema = z
  .object({ after: PositionSchema.optional(), limit: z.number().int().min(1).max(10_000).optional() })
  .strict();

/** A validated append: the entries' JSON text made once, checked before any SQL runs. */
interface PreparedAppend {
  agentId: string;
  expectedHead: number;
  entries: { key: string; at: number; json: string }[];
}

/**
 * A per-agent durable log on PostgreSQL (tables `agent_heads` and `agent_log` by default). Call
 * `migrate()` once before first use.
 */
export class PostgresAgentLog {
  /** The head table, quoted and schema-qualified as it appears in SQL. */
  readonly headsTable: string;
  /** The log table, quoted and schema-qualified as it appears in SQL. */
  readonly logTable: string;
  private readonly pool: SqlPool;
  private readonly ownsPool: boolean;
  private readonly schema: string | undefined;
  private readonly writer: string | null;

  constructor(input: PostgresAgentLogOptions) {
    const options = parseOrThrow(OptionsSchema, input, 'PostgresAgentLog options') as PostgresAgentLogOptions;
    ({ pool: this.pool, owned: this.ownsPool } = openPool(options, 'PostgresAgentLog'));
    this.schema = options.schema;
    this.headsTable = qualifiedName(this.schema, options.tables?.heads ?? DEFAULT_LOG_TABLES.heads);
    this.logTable = qualifiedName(this.schema, options.tables?.log ?? DEFAULT_LOG_TABLES.log);
    this.writer = options.writer ?? null;
  }

  /** Creates the schema (when configured) and both tables if missing. Idempotent; replicas may all run it at start-up. */
  async migrate(): Promise<void> {
    await migrateTables(this.pool, this.schema, [
      `CREATE TABLE IF NOT EXISTS ${this.headsTable} (
        agent_id text PRIMARY KEY,
        last_seq bigint NOT NULL CHECK (last_seq >= 0),
        writer text,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`,
      `CREATE TABLE IF NOT EXISTS ${this.logTable} (
        agent_id text NOT NULL,
        seq bigint NOT NULL CHECK (seq >= 1),
        key text NOT NULL,
        at_ms bigint NOT NULL,
        payload json NOT NULL,
        writer text,
        written_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (agent_id, seq),
        UNIQUE (agent_id, key)
      )`,
    ]);
  }

  /**
   * Appends `entries` to the agent's log in one transaction, at positions `expectedHead + 1, ...`,
   * if the agent's head is still `expectedHead`. Entries whose key is already stored are returned
   * as stored (`duplicate: true`) and not written again; when every key is stored, the append
   * succeeds whatever `expectedHead` says (a retry of an append that committed).
   * @throws {HeadConflictError} when another writer moved the head.
   * @throws {ValidationError} for a bad agent id, entry or option (before anything is written).
   */
  async append(
    agentId: string,
    entries: readonly LogEntryInput[],
    options: AppendOptions,
  ): Promise<AppendResult> {
    const { expectedHead } = parseOrThrow(AppendOptionsSchema, options, 'append options');
    const checked = parseOrThrow(AgentAppendSchema, { agentId, entries, expectedHead }, 'append');
    const [result] = await this.write([prepareAppend(checked, 'append', '')]);
    if (result!.status === 'conflict')
      throw new HeadConflictError(result!.agentId, expectedHead, result!.head);
    return result!;
  }

  /**
   * Appends for several agents in one transaction (one commit for all: group commit). Each agent
   * gets its own compare-and-set: the agents whose head moved get a `conflict` result and nothing
   * of theirs is written; the others are appended. Results are in the order given. Head rows are
   * locked in agent-id order, so concurrent batches cannot deadlock.
   * @throws {ValidationError} for bad input, or an agent named twice (before anything is written).
   */
  async appendBatch(appends: readonly AgentAppend[]): Promise<(AppendResult | AppendConflict)[]> {
    return this.write(prepareBatch(appends));
  }

  /** The transaction of an append or a batch, on validated input. */
  private async write(prepared: PreparedAppend[]): Promise<(AppendResult | AppendConflict)[]> {
    if (prepared.length === 0) return [];
    const ids = prepared.map((append) => append.agentId);
    return inTransaction(this.pool, async (session) => {
      // A head row for every new agent (at 0), then lock them all in a fixed order.
      await session.query(
        `INSERT INTO ${this.headsTable} (agent_id, last_seq) SELECT unnest($1::text[]), 0 ON CONFLICT (agent_id) DO NOTHING`,
        [ids],
      );
      const heads = new Map<string, number>();
      const locked = await session.query(
        `SELECT agent_id, last_seq FROM ${this.headsTable} WHERE agent_id = ANY($1::text[]) ORDER BY agent_id FOR UPDATE`,
        [ids],
      );
      for (const row of locked.rows) heads.set(String(row.agent_id), toSafeInteger(row.last_seq, 'last_seq'));
      // Keys already stored, read under the locks: no writer can add one of these agents' keys now.
      const stored = await this.storedByKey(session, prepared);

      const results: (AppendResult | AppendConflict)[] = [];
      const rows = {
        agentIds: [] as string[],
        seqs: [] as number[],
        keys: [] as string[],
        ats: [] as number[],
        payloads: [] as string[],
      };
      const moved = { agentIds: [] as string[], heads: [] as number[] };
      for (const append of prepared) {
        const head = heads.get(append.agentId) ?? 0;
        const fresh = append.entries.filter((entry) => !stored.has(storedKey(append.agentId, entry.key)));
        if (fresh.length > 0 && head !== append.expectedHead) {
          results.push({
            status: 'conflict',
            agentId: append.agentId,
            expectedHead: append.expectedHead,
            head,
          });
          continue;
        }
        let seq = head;
        const entries = append.entries.map((entry): AppendedEntry => {
          const existing = stored.get(storedKey(append.agentId, entry.key));
          if (existing) return { ...existing, duplicate: true };
          seq += 1;
          rows.agentIds.push(append.agentId);
          rows.seqs.push(seq);
          rows.keys.push(entry.key);
          rows.ats.push(entry.at);
          rows.payloads.push(entry.json);
          return {
            agentId: append.agentId,
            seq,
            key: entry.key,
            at: entry.at,
            payload: JSON.parse(entry.json) as unknown,
            writer: this.writer,
            duplicate: false,
          };
        });
        if (seq !== head) {
          moved.agentIds.push(append.agentId);
          moved.heads.push(seq);
        }
        results.push({ status: 'appended', agentId: append.agentId, head: seq, entries });
      }
      if (rows.seqs.length > 0) {
        await session.query(
          `INSERT INTO ${this.logTable} (agent_id, seq, key, at_ms, payload, writer)
           SELECT agent_id, seq, key, at_ms, payload::json, $6
             FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[])
               AS entry(agent_id, seq, key, at_ms, payload)`,
          [rows.agentIds, rows.seqs, rows.keys, rows.ats, rows.payloads, this.writer],
        );
        await session.query(
          `UPDATE ${this.headsTable} AS head SET last_seq = moved.last_seq, writer = $3, updated_at = now()
             FROM unnest($1::text[], $2::bigint[]) AS moved(agent_id, last_seq)
            WHERE head.agent_id = moved.agent_id`,
          [moved.agentIds, moved.heads, this.writer],
        );
      }
      return results;
    });
  }

  /**
   * The agent's entries after position `after`, in order, at most `limit` of them: replay from a
   * checkpoint's watermark by reading until an empty page.
   */
  async read(agentId: string, options: ReadOptions = {}): Promise<LogEntry[]> {
    const id = parseAgentId(agentId);
    const { after = 0, limit = 1_000 } = parseOrThrow(ReadOptionsSchema, options, 'read options');
    const { rows } = await this.pool.query(
      `SELECT agent_id, seq, key, at_ms, payload, writer FROM ${this.logTable}
        WHERE agent_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
      [id, after, limit],
    );
    return rows.map(toEntry);
  }

  /** The last position written for the agent; 0 when it has no entries. */
  async head(agentId: string): Promise<number> {
    const id = parseAgentId(agentId);
    const { rows } = await this.pool.query(`SELECT last_seq FROM ${this.headsTable} WHERE agent_id = $1`, [
      id,
    ]);
    return rows[0] ? toSafeInteger(rows[0].last_seq, 'last_seq') : 0;
  }

  /** The stored entry with this key, or `undefined`. */
  async find(agentId: string, key: string): Promise<LogEntry | undefined> {
    const id = parseAgentId(agentId);
    const k = parseOrThrow(LogEntryInputSchema.shape.key, key, 'key');
    const { rows } = await this.pool.query(
      `SELECT agent_id, seq, key, at_ms, payload, writer FROM ${this.logTable} WHERE agent_id = $1 AND key = $2`,
      [id, k],
    );
    return rows[0] ? toEntry(rows[0]) : undefined;
  }

  /** Ends the pool if the log opened it (from `connectionString`); a given pool is left open. */
  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }

  private async storedByKey(
    session: SqlQueryable,
    prepared: PreparedAppend[],
  ): Promise<Map<string, LogEntry>> {
    const agentIds: string[] = [];
    const keys: string[] = [];
    for (const append of prepared) {
      for (const entry of append.entries) {
        agentIds.push(append.agentId);
        keys.push(entry.key);
      }
    }
    const stored = new Map<string, LogEntry>();
    if (keys.length === 0) return stored;
    const { rows } = await session.query(
      `SELECT log.agent_id, log.seq, log.key, log.at_ms, log.payload, log.writer
         FROM unnest($1::text[], $2::text[]) AS wanted(agent_id, key)
         JOIN ${this.logTable} AS log ON log.agent_id = wanted.agent_id AND log.key = wanted.key`,
      [agentIds, keys],
    );
    for (const row of rows) {
      const entry = toEntry(row);
      stored.set(storedKey(entry.agentId, entry.key), entry);
    }
    return stored;
  }
}

function storedKey(agentId: string, key: string): string {
  return `${agentId}\u0000${key}`;
}

function toEntry(row: Record<string, unknown>): LogEntry {
  return {
    agentId: String(row.agent_id),
    seq: toSafeInteger(row.seq, 'seq'),
    key: String(row.key),
    at: toSafeInteger(row.at_ms, 'at_ms'),
    payload: row.payload,
    writer: row.writer === null ? null : String(row.writer),
  };
}

/** Validates a batch before any SQL: agents, entries, duplicates and JSON text. */
function prepareBatch(appends: readonly AgentAppend[]): PreparedAppend[] {
  const checked = parseOrThrow(z.array(AgentAppendSchema).max(10_000), appends, 'appendBatch');
  const agents = new Set<string>();
  return checked.map((append, index) => {
    const prepared = prepareAppend(append, 'appendBatch', `[${index}].`);
    if (agents.has(prepared.agentId)) {
      invalid(
        'appendBatch',
        `[${index}].agentId`,
        'duplicate',
        `agent ${JSON.stringify(prepared.agentId)} appears twice`,
      );
    }
    agents.add(prepared.agentId);
    return prepared;
  });
}

/** Checks one agent's append (already shaped by {@link AgentAppendSchema}): ids, duplicate keys, JSON text. */
function prepareAppend(
  append: z.output<typeof AgentAppendSchema>,
  subject: string,
  prefix: string,
): PreparedAppend {
  const agentId = parseAgentId(append.agentId);
  const keys = new Set<string>();
  const entries = append.entries.map((entry, position) => {
    const path = `${prefix}entries[${position}]`;
    if (keys.has(entry.key))
      invalid(subject, `${path}.key`, 'duplicate', `key ${JSON.stringify(entry.key)} appears twice`);
    keys.add(entry.key);
    let json: string | undefined;
    try {
      json = JSON.stringify(entry.payload);
    } catch {
      json = undefined;
    }
    if (json === undefined)
      invalid(subject, `${path}.payload`, 'invalid_type', 'expected a JSON-serializable value');
    return { key: entry.key, at: entry.at, json };
  });
  return { agentId, expectedHead: append.expectedHead, entries };
}

function invalid(subject: string, path: string, code: string, message: string): never {
  throw new ValidationError(subject, [{ path, code, message }]);
}
