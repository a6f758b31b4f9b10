// The PostgreSQL audit store: the same tables, rows and rules as the SQLite store, on one database
// that several processes share (loggers, detection workers, the CLI). Its pool reads rows in the
// SQLite store's shapes (bigint as number, boolean as 0/1, JSON as its text), so both share the
// conversions of `store-rows.ts`. Writes are idempotent by event id (`ON CONFLICT DO NOTHING`);
// decisions and alerts by their event. Migrations run under an advisory lock. Values always go as
// parameters; the only names in SQL text are the fixed tables and the schema, checked.
import { hostname } from 'node:os';
import { parseOrThrow } from '@harombe/models';
import type { Incident, SecurityEventInput, ThreatLevel } from '@harombe/security-ml';
import { threatLevelRank } from '@harombe/security-ml';
import { inTransaction, leadershipKey, PostgresModelStore, withLeadership } from '@harombe/store-postgres';
import pg from 'pg';
import { z } from 'zod';
import type {
  Alert,
  AlertQuery,
  AlertStatus,
  AssessItem,
  AuditStore,
  DecisionRecord,
  EventRow,
  FeedbackItem,
  IncidentListQuery,
  IncidentRecord,
  IncidentVerdict,
  InsertedEvent,
  LeadOutcome,
  NewEventRow,
  PendingResolution,
  RecordedBatch,
  RetentionOutcome,
  StoreStats,
  ToolCallRecord,
} from './audit-store.js';
import { POSTGRES_TABLES } from './postgres-schema.js';
import {
  ALERT_ORDER,
  type AlertRow,
  alertConditions,
  alertLevel,
  announcedRank,
  announcedRefs,
  type FeedbackRow,
  INCIDENT_ORDER,
  type IncidentRow,
  incidentConditions,
  incidentParams,
  isAlert,
  jsonText,
  type ListCondition,
  planAnnouncements,
  rowToEvent,
  STATS_QUERIES,
  type StatsRows,
  splitByActor,
  TRAINING_EVENTS_SQL,
  toAlert,
  toFeedbackItems,
  toIncident,
  toNotices,
  toStats,
  trainingParameters,
} from './store-rows.js';

/** Where the PostgreSQL audit store is: plain data, so that the detection worker can open its own. */
export interface PostgresConnection {
  /** `postgres://user:password@host:port/database`. */
  readonly connectionString: string;
  /**
   * The schema of the tables, created when missing. Default: none (the connection's `search_path`,
   * usually `public`). Lower-case letters, digits and `_`.
   */
  readonly schema?: string;
  /** Connections of each process's pool at most. Default 4. */
  readonly poolSize?: number;
}

export const PostgresConnectionSchema = z
  .object({
    connectionString: z.string().min(1),
    schema: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'expected a lower-case SQL identifier ([a-z_][a-z0-9_]*, at most 63)')
      .optional(),
    poolSize: z.number().int().min(2).max(100).optional(),
  })
  .strict();

/** The table of the audit logger's models: a namespace of its own, apart from a gateway's `model_artifacts`. */
export const AUDIT_MODEL_TABLE = 'audit_model_artifacts';

const { builtins } = pg.types;
/** Rows in the SQLite store's shapes: bigint as a (safe) number, boolean as 0/1, JSON as its text. */
const ROW_TYPES = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === builtins.INT8) return (text: string) => safeInteger(text);
    if (oid === builtins.BOOL) return (text: string) => (text === 't' ? 1 : 0);
    if (oid === builtins.JSON || oid === builtins.JSONB) return (text: string) => text;
    return pg.types.getTypeParser(oid, format);
  },
} as pg.CustomTypesConfig;

function safeInteger(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value)) throw new RangeError(`bigint ${text} is beyond 2^53 - 1`);
  return value;
}

/** `?` placeholders (as the shared conditions write them) to PostgreSQL's `$1, $2, ...`. */
function numbered(sql: string, offset = 0): string {
  let n = offset;
  return sql.replace(/\?/g, () => `$${++n}`);
}

/** `@name` placeholders to `$n`, with the values in that order. */
function named(sql: string, params: Readonly<Record<string, unknown>>): [string, unknown[]] {
  const order: string[] = [];
  const text = sql.replace(/@([a-zA-Z]+)/g, (_, name: string) => {
    let index = order.indexOf(name);
    if (index < 0) index = order.push(name) - 1;
    return `$${index + 1}`;
  });
  return [text, order.map((name) => params[name])];
}

const INSERT_EVENT = `INSERT INTO audit_events (event_id, correlation_id, session_id, timestamp, event_type, actor,
    tool_name, action, status, success, duration_ms, resource_count, destination, file_path, metadata, logged_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::int::boolean, $11, $12, $13, $14, $15::json, $16)
  ON CONFLICT (event_id) DO NOTHING RETURNING id`;

/** Decisions of a batch in one statement; a decision replaces the event's earlier one (a backfill). */
const INSERT_DECISIONS = `INSERT INTO security_decisions (event_row, outcome, reason, threat_score, threat_level,
    level_rank, is_threat, cold_start, explanation, decided_at)
  SELECT d.event_row, d.outcome, d.reason, d.threat_score, d.threat_level, d.level_rank, d.is_threat, d.cold_start,
    d.explanation, $2
  FROM json_to_recordset($1::json) AS d(event_row bigint, outcome text, reason text, threat_score double precision,
    threat_level text, level_rank smallint, is_threat boolean, cold_start boolean, explanation text)
  ON CONFLICT (event_row) DO UPDATE SET outcome = excluded.outcome, reason = excluded.reason,
    threat_score = excluded.threat_score, threat_level = excluded.threat_level, level_rank = excluded.level_rank,
    is_threat = excluded.is_threat, cold_start = excluded.cold_start, explanation = excluded.explanation,
    decided_at = excluded.decided_at`;

/** The alerts of a batch, each with its event's context; an event that has one already gets no other. */
const INSERT_ALERTS = `INSERT INTO security_alerts (event_row, event_id, actor, event_timestamp, created_at,
    threat_level, level_rank, threat_score, tail_probability, explanation, incident_id, campaign_id, event_type,
    tool, destination, path, session_id)
  SELECT e.id, e.event_id, e.actor, e.timestamp, $2, a.level, a.rank, a.score, a.tail, a.explanation, a.incident,
    a.campaign, e.event_type, e.tool_name, e.destination, e.file_path, e.session_id
  FROM json_to_recordset($1::json) AS a(event_row bigint, level text, rank smallint, score double precision,
    tail double precision, explanation text, incident text, campaign text)
  JOIN audit_events e ON e.id = a.event_row
  ON CONFLICT (event_row) DO NOTHING RETURNING *`;

/** An incident as the detector reports it; a resolved one stays resolved; unchanged rows are not written. */
const UPSERT_INCIDENT = `INSERT INTO security_incidents AS i (id, campaign, agent_ids, first_seen, last_seen, alerts,
    peak_level, peak_rank, peak_score, tail_probability, reasons, subjects, linked, status, updated_at)
  VALUES (@id, @campaign::int::boolean, @agentIds::jsonb, @firstSeen, @lastSeen, @alerts, @peakLevel, @peakRank,
    @peakScore, @tail, @reasons::jsonb, @subjects::jsonb, @linked::jsonb, @status, @now)
  ON CONFLICT (id) DO UPDATE SET agent_ids = excluded.agent_ids, first_seen = excluded.first_seen,
    last_seen = excluded.last_seen, alerts = excluded.alerts, peak_level = excluded.peak_level,
    peak_rank = excluded.peak_rank, peak_score = excluded.peak_score, tail_probability = excluded.tail_probability,
    reasons = excluded.reasons, subjects = excluded.subjects, linked = excluded.linked,
    updated_at = excluded.updated_at,
    status = CASE WHEN i.status = 'resolved' THEN 'resolved' ELSE excluded.status END
  WHERE i.alerts <> excluded.alerts OR i.last_seen <> excluded.last_seen OR i.first_seen <> excluded.first_seen
    OR i.status <> excluded.status OR i.agent_ids <> excluded.agent_ids OR i.linked <> excluded.linked
    OR i.tail_probability <> excluded.tail_probability`;

const MARK_ASSESSED_THROUGH = `INSERT INTO detection_state (name, value) VALUES ('assessed_through', $1)
  ON CONFLICT (name) DO UPDATE SET value = GREATEST(detection_state.value, excluded.value)`;

/** A session checked out of the pool, or the pool itself: what runs a query. */
type Queryable = Pick<pg.Pool, 'query'> | pg.PoolClient;

export class PostgresAuditStore implements AuditStore {
  readonly engine = 'postgres';
  /** The audit tables' pool: rows in the SQLite store's shapes (see `ROW_TYPES`). */
  readonly pool: pg.Pool;
  /**
   * A small pool with pg's own types, for `@harombe/store-postgres`: the models and the leader's
   * advisory-lock session (held while a scheduled job runs).
   */
  readonly sharedPool: pg.Pool;
  readonly connection: PostgresConnection;
  /** The models of the actors, in this database (table {@link AUDIT_MODEL_TABLE}), shared by every process. */
  readonly models: PostgresModelStore;
  private migrated: Promise<void> | undefined;

  private constructor(connection: PostgresConnection) {
    this.connection = connection;
    const { connectionString, schema, poolSize } = connection;
    const searchPath = schema === undefined ? {} : { options: `-c search_path=${schema}` };
    this.pool = new pg.Pool({ connectionString, max: poolSize ?? 4, types: ROW_TYPES, ...searchPath });
    this.sharedPool = new pg.Pool({ connectionString, max: 2, ...searchPath });
    // An idle connection that fails (server restart) must not crash the process: the pool drops it.
    this.pool.on('error', () => {});
    this.sharedPool.on('error', () => {});
    this.models = new PostgresModelStore({
      pool: this.sharedPool,
      table: AUDIT_MODEL_TABLE,
      ...(schema === undefined ? {} : { schema }),
      writer: `harombe-audit@${hostname()}:${process.pid}`,
    });
  }

  /**
   * Connects and migrates (idempotent, under an advisory lock: processes starting together take
   * turns).
   * @throws {ValidationError} bad connection options; pg's errors when the server cannot be reached.
   */
  static async open(connection: PostgresConnection): Promise<PostgresAuditStore> {
    const store = new PostgresAuditStore(parseOrThrow(PostgresConnectionSchema, connection, 'postgres'));
    try {
      await store.migrate();
      return store;
    } catch (error) {
      await store.close();
      throw error;
    }
  }

  /** Creates the schema, the tables and the models' table when missing. */
  migrate(): Promise<void> {
    this.migrated ??= this.transaction(async (session) => {
      await session.query('SELECT pg_advisory_xact_lock($1::bigint)', [
        leadershipKey('harombe:audit:migrate'),
      ]);
      const { schema } = this.connection;
      if (schema !== undefined) await session.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      for (const statement of POSTGRES_TABLES) await session.query(statement);
    }).then(() => this.models.migrate());
    return this.migrated;
  }

  async insertEvent(row: NewEventRow, loggedAt: number, toolCall?: ToolCallRecord): Promise<InsertedEvent> {
    const args = toolCall ? jsonText(toolCall.arguments ?? {}, 'toolCall.arguments') : undefined;
    return this.transaction(async (session) => {
      const inserted = await session.query<{ id: number }>(INSERT_EVENT, [
        row.event_id,
        row.correlation_id,
        row.session_id,
        row.timestamp,
        row.event_type,
        row.actor,
        row.tool_name,
        row.action,
        row.status,
        row.success,
        row.duration_ms,
        row.resource_count,
        row.destination,
        row.file_path,
        row.metadata,
        loggedAt,
      ]);
      const id = inserted.rows[0]?.id;
      if (id === undefined) {
        // Stored already (a retry, or another process): its row, nothing written.
        const stored = await session.query<{ id: number }>(
          'SELECT id FROM audit_events WHERE event_id = $1',
          [row.event_id],
        );
        return { id: stored.rows[0]!.id, duplicate: true };
      }
      if (toolCall) {
        await session.query(
          `INSERT INTO tool_calls (event_id, tool_name, arguments, success, duration_ms)
           VALUES ($1, $2, $3::json, $4, $5)`,
          [row.event_id, toolCall.toolName, args, toolCall.success, toolCall.durationMs ?? null],
        );
      }
      return { id, duplicate: false };
    });
  }

  async event(eventId: string): Promise<SecurityEventInput | undefined> {
    const row = await this.one<EventRow>('SELECT * FROM audit_events WHERE event_id = $1', [eventId]);
    return row && rowToEvent(row);
  }

  async recordDecisions(
    decisions: readonly DecisionRecord[],
    alertAt: ThreatLevel,
    now: number,
    through?: number,
    incidents: ReadonlyMap<string, Incident> = new Map(),
  ): Promise<RecordedBatch> {
    // One decision per event (the last given), as SQLite's INSERT OR REPLACE leaves it.
    const byRow = new Map(decisions.map((d) => [d.eventRow, d]));
    return this.transaction(async (session): Promise<RecordedBatch> => {
      if (through !== undefined) await session.query(MARK_ASSESSED_THROUGH, [through]);
      if (byRow.size > 0) {
        const rows = [...byRow.values()].map((d) => ({
          event_row: d.eventRow,
          outcome: d.outcome,
          reason: d.reason ?? null,
          threat_score: d.threatScore ?? null,
          threat_level: d.threatLevel ?? null,
          level_rank: d.threatLevel ? threatLevelRank(d.threatLevel) : null,
          is_threat: d.isThreat ?? null,
          cold_start: d.coldStart ?? null,
          explanation: d.explanation ?? null,
        }));
        await session.query(INSERT_DECISIONS, [JSON.stringify(rows), now]);
      }
      const alerting = decisions.filter((d) => isAlert(d, alertAt));
      const inserted = new Map<number, Alert>();
      if (alerting.length > 0) {
        const rows = alerting.map((d) => ({
          event_row: d.eventRow,
          level: alertLevel(d),
          rank: threatLevelRank(alertLevel(d)),
          score: d.threatScore,
          tail: d.tailProbability ?? null,
          explanation: d.explanation ?? '',
          incident: d.incident?.id ?? null,
          campaign: d.campaign?.id ?? null,
        }));
        const result = await session.query<AlertRow & { event_row: number }>(INSERT_ALERTS, [
          JSON.stringify(rows),
          now,
        ]);
        for (const row of result.rows) inserted.set(row.event_row, toAlert(row));
      }
      // The new alerts in the decisions' order (RETURNING has none of its own).
      const raised: Array<{ alert: Alert; decision: DecisionRecord }> = [];
      for (const decision of alerting) {
        const alert = inserted.get(decision.eventRow);
        if (!alert) continue;
        raised.push({ alert, decision });
        inserted.delete(decision.eventRow);
      }
      const stored = new Map<string, number>();
      for (const { decision } of raised) {
        for (const { id } of announcedRefs(decision, alertAt)) {
          const incident = incidents.get(id);
          if (stored.has(id) || incident === undefined) continue;
          await this.upsertIncident(session, incident, now);
          stored.set(id, announcedRank((await this.incidentRow(session, id))!));
        }
      }
      const { pending, announced } = planAnnouncements(raised, stored, alertAt);
      for (const [id, rank] of announced) {
        if (Number.isFinite(rank)) {
          await session.query('UPDATE security_incidents SET announced_rank = $1 WHERE id = $2', [rank, id]);
        }
        const incident = incidents.get(id);
        if (incident?.campaign) {
          // A campaign's earlier events (at other agents) were alerted before the campaign existed.
          await session.query(
            `UPDATE security_alerts SET campaign_id = $1
             WHERE campaign_id IS NULL AND event_id IN (SELECT json_array_elements_text($2::json))`,
            [id, JSON.stringify(incident.eventIds)],
          );
        }
      }
      // Incidents with alerts stored before (not in this batch): their latest state.
      for (const incident of incidents.values()) {
        if (!announced.has(incident.id) && (await this.incidentRow(session, incident.id))) {
          await this.upsertIncident(session, incident, now);
        }
      }
      const rows = new Map<string, IncidentRow>();
      for (const { id } of pending) rows.set(id, (await this.incidentRow(session, id))!);
      return { alerts: raised.map((r) => r.alert), notices: toNotices(pending, (id) => rows.get(id)!) };
    });
  }

  private async upsertIncident(session: Queryable, incident: Incident, now: number): Promise<void> {
    await session.query(...named(UPSERT_INCIDENT, incidentParams(incident, now)));
  }

  private async incidentRow(session: Queryable, id: string): Promise<IncidentRow | undefined> {
    return (await session.query<IncidentRow>('SELECT * FROM security_incidents WHERE id = $1', [id])).rows[0];
  }

  async alerts(query: AlertQuery = {}): Promise<Alert[]> {
    return (
      await this.list<AlertRow>('security_alerts', ALERT_ORDER, query.limit, alertConditions(query))
    ).map(toAlert);
  }

  async alert(id: number): Promise<Alert | undefined> {
    const row = await this.one<AlertRow>('SELECT * FROM security_alerts WHERE id = $1', [id]);
    return row && toAlert(row);
  }

  async alertOf(eventId: string): Promise<Alert | undefined> {
    const row = await this.one<AlertRow>(
      'SELECT a.* FROM audit_events e JOIN security_alerts a ON a.event_row = e.id WHERE e.event_id = $1',
      [eventId],
    );
    return row && toAlert(row);
  }

  async setFeedback(alertId: number, verdict: Exclude<AlertStatus, 'open'>, now: number): Promise<boolean> {
    const result = await this.pool.query(
      'UPDATE security_alerts SET status = $1, feedback_at = $2, feedback_applied = false WHERE id = $3',
      [verdict, now, alertId],
    );
    return (result.rowCount ?? 0) > 0;
  }

  async pendingFeedback(): Promise<FeedbackItem[]> {
    const { rows } = await this.pool.query<FeedbackRow>(
      `SELECT a.id AS alert_id, a.status AS verdict, e.* FROM security_alerts a
       JOIN audit_events e ON e.id = a.event_row
       WHERE a.status <> 'open' AND NOT a.feedback_applied ORDER BY a.id`,
    );
    return toFeedbackItems(rows);
  }

  async markFeedbackApplied(alertIds: readonly number[]): Promise<void> {
    if (alertIds.length === 0) return;
    await this.pool.query('UPDATE security_alerts SET feedback_applied = true WHERE id = ANY($1::bigint[])', [
      alertIds,
    ]);
  }

  async incidents(query: IncidentListQuery = {}): Promise<IncidentRecord[]> {
    const conditions = incidentConditions(query, 'agent_ids @> jsonb_build_array(?::text)');
    return (await this.list<IncidentRow>('security_incidents', INCIDENT_ORDER, query.limit, conditions)).map(
      toIncident,
    );
  }

  async incident(id: string): Promise<IncidentRecord | undefined> {
    const row = await this.incidentRow(this.pool, id);
    return row && toIncident(row);
  }

  async incidentAlerts(id: string): Promise<Alert[]> {
    const { rows } = await this.pool.query<AlertRow>(
      `SELECT * FROM security_alerts WHERE incident_id = $1 OR campaign_id = $1 ${ALERT_ORDER}`,
      [id],
    );
    return rows.map(toAlert);
  }

  async openIncidents(): Promise<Array<{ id: string; campaign: boolean; lastSeen: number }>> {
    const { rows } = await this.pool.query<{ id: string; campaign: number; last_seen: string }>(
      "SELECT id, campaign, last_seen FROM security_incidents WHERE status = 'open'",
    );
    return rows.map((r) => ({ id: r.id, campaign: r.campaign === 1, lastSeen: Number(r.last_seen) }));
  }

  async closeIncident(id: string, now: number): Promise<void> {
    await this.pool.query(
      "UPDATE security_incidents SET status = 'closed', updated_at = $1 WHERE id = $2 AND status = 'open'",
      [now, id],
    );
  }

  async resolveIncident(id: string, verdict: IncidentVerdict | undefined, now: number): Promise<boolean> {
    return this.transaction(async (session) => {
      const resolved = await session.query(
        `UPDATE security_incidents SET status = 'resolved', resolution = $1, resolved_at = $2, updated_at = $2,
           resolution_applied = false WHERE id = $3`,
        [verdict ?? null, now, id],
      );
      if (resolved.rowCount === 0) return false;
      if (verdict !== undefined) {
        await session.query(
          `UPDATE security_alerts SET status = $1, feedback_at = $2, feedback_applied = false
           WHERE (incident_id = $3 OR campaign_id = $3) AND status = 'open'`,
          [verdict === 'normal' ? 'false_positive' : 'confirmed', now, id],
        );
      }
      return true;
    });
  }

  async pendingResolutions(): Promise<PendingResolution[]> {
    const { rows } = await this.pool.query<{ id: string; agent_ids: string }>(
      'SELECT id, agent_ids FROM security_incidents WHERE NOT resolution_applied ORDER BY id',
    );
    return rows.map((r) => ({ id: r.id, agentIds: JSON.parse(r.agent_ids) as string[] }));
  }

  async markResolutionApplied(ids: readonly string[]): Promise<void> {
    if (ids.length === 0) return;
    await this.pool.query(
      'UPDATE security_incidents SET resolution_applied = true WHERE id = ANY($1::text[])',
      [ids],
    );
  }

  async actors(): Promise<string[]> {
    const { rows } = await this.pool.query<{ actor: string }>(
      'SELECT DISTINCT actor FROM audit_events WHERE actor IS NOT NULL ORDER BY actor',
    );
    return rows.map((r) => r.actor);
  }

  async trainingEvents(actor: string, windowDays: number): Promise<SecurityEventInput[]> {
    const newest = await this.newest('WHERE actor = $1', [actor]);
    if (newest === undefined) return [];
    const reference = await this.referenceThrough();
    const referenceNewest =
      reference === undefined
        ? null
        : ((await this.newest('WHERE actor = $1 AND id <= $2', [actor, reference])) ?? null);
    const through = await this.assessedThrough();
    const params = trainingParameters({ actor, windowDays, newest, reference, referenceNewest, through });
    const { rows } = await this.pool.query<EventRow>(...named(TRAINING_EVENTS_SQL, params));
    return rows.map(rowToEvent);
  }

  async eventsByRows(rows: readonly number[]): Promise<{ items: AssessItem[]; withoutActor: number[] }> {
    const found = await this.pool.query<EventRow>('SELECT * FROM audit_events WHERE id = ANY($1::bigint[])', [
      rows,
    ]);
    return splitByActor(rows, found.rows);
  }

  async assessedThrough(): Promise<number | undefined> {
    return this.state(this.pool, 'assessed_through');
  }

  async referenceThrough(): Promise<number | undefined> {
    return this.state(this.pool, 'reference_through');
  }

  async markReference(): Promise<void> {
    await this.pool.query(
      `INSERT INTO detection_state (name, value)
       SELECT 'reference_through', value FROM detection_state WHERE name = 'assessed_through'
       ON CONFLICT (name) DO NOTHING`,
    );
  }

  async catchUp(reason: string | undefined, now: number): Promise<number> {
    return this.transaction(async (session) => {
      // One catch-up at a time: two processes starting together must not both mark the same range.
      await session.query('SELECT pg_advisory_xact_lock($1::bigint)', [
        leadershipKey('harombe:audit:catch-up'),
      ]);
      const newest = (
        await session.query<{ row: number }>('SELECT COALESCE(MAX(id), 0) AS row FROM audit_events')
      ).rows[0]!.row;
      const through = await this.state(session, 'assessed_through');
      let skipped = 0;
      if (through !== undefined && reason !== undefined && newest > through) {
        const result = await session.query(
          `INSERT INTO security_decisions (event_row, outcome, reason, decided_at)
           SELECT id, 'skipped', $1, $2 FROM audit_events WHERE id > $3 AND id <= $4 AND actor IS NOT NULL
           ON CONFLICT (event_row) DO NOTHING`,
          [reason, now, through, newest],
        );
        skipped = result.rowCount ?? 0;
      }
      await session.query(MARK_ASSESSED_THROUGH, [newest]);
      return skipped;
    });
  }

  async unassessed(limit: number): Promise<number[]> {
    const { rows } = await this.pool.query<{ id: number }>(
      `SELECT e.id FROM security_decisions d JOIN audit_events e ON e.id = d.event_row
       WHERE d.outcome <> 'assessed' AND e.actor IS NOT NULL ORDER BY e.timestamp, e.id LIMIT $1`,
      [limit],
    );
    return rows.map((r) => r.id);
  }

  /** Retention: tool calls, decisions and alerts go with their events (foreign keys cascade). */
  async deleteBefore(before: number): Promise<RetentionOutcome> {
    return this.transaction(async (session) => {
      const alerts = await session.query('DELETE FROM security_alerts WHERE event_timestamp < $1', [before]);
      const events = await session.query('DELETE FROM audit_events WHERE timestamp < $1', [before]);
      const incidents = await session.query(
        `DELETE FROM security_incidents WHERE status <> 'open' AND last_seen < $1`,
        [before],
      );
      return {
        before,
        events: events.rowCount ?? 0,
        alerts: alerts.rowCount ?? 0,
        incidents: incidents.rowCount ?? 0,
      };
    });
  }

  async newestEventTime(): Promise<number | undefined> {
    return this.newest('', []);
  }

  /**
   * Runs `task` as the leader for `name` among every process on this database and schema
   * (`pg_try_advisory_lock` on a session of this store's pool, held while the task runs).
   */
  async lead<T>(name: string, task: () => Promise<T>): Promise<LeadOutcome<T>> {
    return withLeadership(this.sharedPool, `${name}:${this.connection.schema ?? ''}`, () => task());
  }

  async stats(): Promise<StoreStats> {
    const entries = await Promise.all(
      Object.entries(STATS_QUERIES).map(
        async ([key, sql]) => [key, (await this.pool.query(sql)).rows] as const,
      ),
    );
    return toStats(Object.fromEntries(entries) as StatsRows);
  }

  async close(): Promise<void> {
    await Promise.all([this.pool.end(), this.sharedPool.end()]);
  }

  /** Rows of a table that meet every condition given, in this order, at most `limit` (default 100). */
  private async list<Row extends pg.QueryResultRow>(
    table: string,
    order: string,
    limit: number | undefined,
    conditions: readonly ListCondition[],
  ): Promise<Row[]> {
    const where = conditions.length ? `WHERE ${numbered(conditions.map(([sql]) => sql).join(' AND '))}` : '';
    const values = conditions.map(([, value]) => value);
    const { rows } = await this.pool.query<Row>(
      `SELECT * FROM ${table} ${where} ${order} LIMIT $${values.length + 1}`,
      [...values, limit ?? 100],
    );
    return rows;
  }

  private async one<Row extends pg.QueryResultRow>(sql: string, values: unknown[]): Promise<Row | undefined> {
    return (await this.pool.query<Row>(sql, values)).rows[0];
  }

  private async newest(where: string, values: unknown[]): Promise<number | undefined> {
    const row = await this.one<{ newest: number | null }>(
      `SELECT MAX(timestamp) AS newest FROM audit_events ${where}`,
      values,
    );
    return row?.newest ?? undefined;
  }

  private async state(session: Queryable, name: string): Promise<number | undefined> {
    const { rows } = await session.query<{ value: number }>(
      'SELECT value FROM detection_state WHERE name = $1',
      [name],
    );
    return rows[0]?.value;
  }

  /** Runs `work` in one transaction on a session of its own; rolls back and rethrows on failure. */
  private transaction<T>(work: (session: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }
}
