// The SQLite store: every statement the logger runs, prepared once. Two files, each in WAL mode:
// the log (audit events, tool calls), written only by the logger's connection, and the security
// database beside it (decisions, alerts; attached as `security`), written by the detection worker.
// A file has one write lock, so the two writers never wait for each other; readers (the CLI, the
// worker reading events) never wait for either.

import { describeValue } from '@harombe/models';
import {
  atLeast,
  type SecurityEvent,
  type SecurityEventInput,
  THREAT_LEVELS,
  type ThreatLevel,
  threatLevelRank,
} from '@harombe/security-ml';
import Database from 'better-sqlite3';
import { AuditInputError } from './errors.js';
import { migrate, securityDatabasePath } from './schema.js';

/**
 * `normal`: a committed event survives a crash of the process (WAL, synchronous=NORMAL); the last
 * commits may be lost if the machine loses power. `full`: an fsync per commit, survives power loss,
 * costs about one disk flush per event.
 */
export type Durability = 'normal' | 'full';

/**
 * Who opens the store: `log` (the logger: creates and migrates both files, writes the log), `detect`
 * (the detection worker: reads the log, writes decisions and alerts) or `read` (read-only).
 */
export type StoreMode = 'log' | 'detect' | 'read';

/**
 * Events assessed at this level or above are never learned as normal by retraining (see
 * {@link AuditStore.trainingEvents}), unless an analyst calls them false positives; the detection
 * engine stores a decision for each of them so that retraining can tell. LOW (a calibrated score of
 * 0.5) is a cut below the alert threshold (0.7): an attacker drifting toward the tail in steps too
 * small to alert still scores LOW, and those steps are not learned.
 */
export const LEARN_BELOW: ThreatLevel = 'low';

/** An event as stored: redacted, with its row id. */
/** An event to assess: its row id, its actor and the event. */
export interface AssessItem {
  /** The event's row id. */
  readonly eventRow: number;
  readonly actor: string;
  readonly event: SecurityEventInput;
}

export interface LoggedEvent {
  readonly id: number;
  readonly eventId: string;
  readonly actor: string | null;
  /** Epoch ms. */
  readonly timestamp: number;
  /** The stored (redacted) event in the detector's input form. */
  readonly event: SecurityEventInput;
}

export interface ToolCallRecord {
  readonly toolName: string;
  /** Redacted arguments. */
  readonly arguments: unknown;
  readonly success: boolean;
  readonly durationMs?: number;
}

/** What the detector said about one event. */
export interface DecisionRecord {
  /** The event's row id (`LoggedEvent.id`). */
  readonly eventRow: number;
  readonly outcome: 'assessed' | 'skipped' | 'failed';
  readonly reason?: string;
  readonly threatScore?: number;
  readonly threatLevel?: ThreatLevel;
  readonly isThreat?: boolean;
  readonly coldStart?: boolean;
  readonly explanation?: string;
}

export type AlertStatus = 'open' | 'false_positive' | 'confirmed';

export interface Alert {
  readonly id: number;
  readonly eventId: string;
  readonly actor: string | null;
  readonly eventTimestamp: Date;
  readonly createdAt: Date;
  readonly threatLevel: ThreatLevel;
  readonly threatScore: number;
  readonly explanation: string;
  readonly status: AlertStatus;
  readonly feedbackAt: Date | null;
}

export interface AlertQuery {
  /** Alerts of events at or after this time. */
  readonly since?: Date;
  /** Alerts at or above this level. */
  readonly level?: ThreatLevel;
  readonly status?: AlertStatus;
  /** Newest first, at most this many. Default 100. */
  readonly limit?: number;
}

interface EventRow {
  id: number;
  event_id: string;
  correlation_id: string | null;
  session_id: string | null;
  timestamp: number;
  event_type: string;
  actor: string | null;
  tool_name: string | null;
  action: string | null;
  status: string;
  success: number;
  duration_ms: number | null;
  resource_count: number | null;
  destination: string | null;
  file_path: string | null;
  metadata: string;
}

interface AlertRow {
  id: number;
  event_id: string;
  actor: string | null;
  event_timestamp: number;
  created_at: number;
  threat_level: string;
  threat_score: number;
  explanation: string;
  status: string;
  feedback_at: number | null;
}

/** A row to insert: a parsed (and redacted) event in the table's columns. */
export type NewEventRow = Omit<EventRow, 'id'>;

/** The row of a parsed event (its `eventId` must be set). */
export function eventRow(event: SecurityEvent): NewEventRow {
  return {
    event_id: event.eventId!,
    correlation_id: event.correlationId ?? null,
    session_id: event.sessionId ?? null,
    timestamp: event.timestamp.getTime(),
    event_type: event.eventType,
    actor: event.agentId ?? event.actor ?? null,
    tool_name: event.toolName ?? null,
    action: event.action ?? null,
    status: event.status,
    success: event.success ? 1 : 0,
    duration_ms: event.durationMs ?? null,
    resource_count: event.resourceCount ?? null,
    destination: event.destinationDomain ?? event.destinationIp ?? null,
    file_path: event.filePath ?? null,
    metadata: jsonText(event.metadata, 'event.metadata'),
  };
}

/**
 * The JSON text of a value for a column. The logger stores only redacted values, which JSON always
 * holds; a caller of the store with a value it cannot hold (a BigInt, a cycle) gets a typed error.
 */
function jsonText(value: unknown, field: string): string {
  try {
    const text: string | undefined = JSON.stringify(value);
    return text ?? 'null';
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    // The engine's message can quote keys of the value: it stays in `cause`, out of the message.
    throw new AuditInputError('AUDIT_NOT_JSON', field, 'not JSON (a BigInt or a cycle)', { cause: error });
  }
}

/** An event id already in the log (its column is UNIQUE) as the caller's error, named. */
function duplicateEventId(error: unknown, eventId: string): unknown {
  const duplicate =
    error instanceof Database.SqliteError &&
    error.code === 'SQLITE_CONSTRAINT_UNIQUE' &&
    error.message.includes('audit_events.event_id');
  if (!duplicate) return error;
  const problem = `${describeValue(eventId)} is already in the log`;
  return new AuditInputError('AUDIT_DUPLICATE_EVENT_ID', 'event.event_id', problem, { cause: error });
}

const IPV4_OR_6 = /^(?:\d{1,3}(?:\.\d{1,3}){3}|.*:.*)$/;

/** A stored row back to the event the detector sees (the same for live events and training). */
export function rowToEvent(row: NewEventRow): SecurityEventInput {
  const event: SecurityEventInput = {
    event_id: row.event_id,
    timestamp: row.timestamp,
    event_type: row.event_type,
    status: row.status,
    success: row.success === 1,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
  };
  if (row.correlation_id !== null) event.correlation_id = row.correlation_id;
  if (row.session_id !== null) event.session_id = row.session_id;
  if (row.actor !== null) event.actor = row.actor;
  if (row.tool_name !== null) event.tool_name = row.tool_name;
  if (row.action !== null) event.action = row.action;
  if (row.duration_ms !== null) event.duration_ms = row.duration_ms;
  if (row.resource_count !== null) event.resource_count = row.resource_count;
  if (row.file_path !== null) event.file_path = row.file_path;
  if (row.destination !== null) {
    if (IPV4_OR_6.test(row.destination)) event.destination_ip = row.destination;
    else event.destination_domain = row.destination;
  }
  return event;
}

function toAlert(row: AlertRow): Alert {
  return {
    id: row.id,
    eventId: row.event_id,
    actor: row.actor,
    eventTimestamp: new Date(row.event_timestamp),
    createdAt: new Date(row.created_at),
    threatLevel: row.threat_level as ThreatLevel,
    threatScore: row.threat_score,
    explanation: row.explanation,
    status: row.status as AlertStatus,
    feedbackAt: row.feedback_at === null ? null : new Date(row.feedback_at),
  };
}

function prepareStatements(db: Database.Database) {
  return {
    insertEvent: db.prepare(
      `INSERT INTO audit_events (event_id, correlation_id, session_id, timestamp, event_type, actor, tool_name,
         action, status, success, duration_ms, resource_count, destination, file_path, metadata, logged_at)
       VALUES (@event_id, @correlation_id, @session_id, @timestamp, @event_type, @actor, @tool_name, @action,
         @status, @success, @duration_ms, @resource_count, @destination, @file_path, @metadata, @logged_at)`,
    ),
    insertToolCall: db.prepare(
      `INSERT INTO tool_calls (event_id, tool_name, arguments, success, duration_ms)
       VALUES (?, ?, ?, ?, ?)`,
    ),
    insertDecision: db.prepare(
      `INSERT OR REPLACE INTO security_decisions (event_row, outcome, reason, threat_score, threat_level, level_rank,
         is_threat, cold_start, explanation, decided_at)
       VALUES (@eventRow, @outcome, @reason, @threatScore, @threatLevel, @levelRank, @isThreat, @coldStart,
         @explanation, @decidedAt)`,
    ),
    insertAlert: db.prepare(
      `INSERT OR IGNORE INTO security_alerts (event_row, event_id, actor, event_timestamp, created_at, threat_level,
         level_rank, threat_score, explanation)
       SELECT id, event_id, actor, timestamp, ?, ?, ?, ?, ? FROM audit_events WHERE id = ? RETURNING *`,
    ),
    alertById: db.prepare('SELECT * FROM security_alerts WHERE id = ?'),
    alertByEvent: db.prepare(
      `SELECT a.* FROM audit_events e JOIN security_alerts a ON a.event_row = e.id WHERE e.event_id = ?`,
    ),
    eventById: db.prepare('SELECT * FROM audit_events WHERE event_id = ?'),
    setFeedback: db.prepare(
      `UPDATE security_alerts SET status = ?, feedback_at = ?, feedback_applied = 0 WHERE id = ?`,
    ),
    pendingFeedback: db.prepare(
      `SELECT a.id AS alert_id, a.status AS verdict, e.* FROM security_alerts a
       JOIN audit_events e ON e.id = a.event_row
       WHERE a.status <> 'open' AND a.feedback_applied = 0 ORDER BY a.id`,
    ),
    markFeedbackApplied: db.prepare('UPDATE security_alerts SET feedback_applied = 1 WHERE id = ?'),
    actors: db.prepare('SELECT DISTINCT actor FROM audit_events WHERE actor IS NOT NULL ORDER BY actor'),
    newestOfActor: db.prepare('SELECT MAX(timestamp) AS newest FROM audit_events WHERE actor = ?'),
    // Training data: the actor's window, and its reference window (see `trainingEvents`), only events
    // known to be normal. Two index ranges on (actor, timestamp), disjoint: the recent window from
    // `from`, the reference window before it.
    trainingEvents: db.prepare(
      `WITH candidates AS (
         SELECT * FROM audit_events WHERE actor = @actor AND timestamp >= @from
         UNION ALL
         SELECT * FROM audit_events
         WHERE actor = @actor AND timestamp >= @referenceFrom AND timestamp <= @referenceNewest
           AND timestamp < @from AND id <= @reference
       )
       SELECT e.* FROM candidates e
       LEFT JOIN security_decisions d ON d.event_row = e.id
       LEFT JOIN security_alerts a ON a.event_row = e.id
       WHERE a.status = 'false_positive' OR (a.id IS NULL AND CASE
         WHEN d.event_row IS NULL THEN e.id <= @through
         ELSE d.outcome = 'assessed' AND d.level_rank < @belowRank END)
       ORDER BY e.timestamp, e.id`,
    ),
    referenceNewestOfActor: db.prepare(
      'SELECT MAX(timestamp) AS newest FROM audit_events WHERE actor = ? AND id <= ?',
    ),
    referenceThrough: db.prepare("SELECT value FROM detection_state WHERE name = 'reference_through'"),
    // Once: the history the detector first trained on stays the reference (later starts keep it).
    markReference: db.prepare(
      `INSERT OR IGNORE INTO detection_state (name, value)
       SELECT 'reference_through', value FROM detection_state WHERE name = 'assessed_through'`,
    ),
    eventsByRows: db.prepare('SELECT * FROM audit_events WHERE id IN (SELECT value FROM json_each(?))'),
    assessedThrough: db.prepare("SELECT value FROM detection_state WHERE name = 'assessed_through'"),
    markAssessedThrough: db.prepare(
      `INSERT INTO detection_state (name, value) VALUES ('assessed_through', ?)
       ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)`,
    ),
    maxEventRow: db.prepare('SELECT COALESCE(MAX(id), 0) AS row FROM audit_events'),
    skipRange: db.prepare(
      `INSERT OR IGNORE INTO security_decisions (event_row, outcome, reason, decided_at)
       SELECT id, 'skipped', ?, ? FROM audit_events WHERE id > ? AND id <= ? AND actor IS NOT NULL`,
    ),
    unassessed: db.prepare(
      `SELECT e.id FROM security_decisions d
       JOIN audit_events e ON e.id = d.event_row
       WHERE d.outcome <> 'assessed' AND e.actor IS NOT NULL
       ORDER BY e.timestamp, e.id LIMIT ?`,
    ),
  };
}

export class AuditStore {
  readonly db: Database.Database;
  private readonly statements: ReturnType<typeof prepareStatements>;

  private constructor(db: Database.Database) {
    this.db = db;
    this.statements = prepareStatements(db);
  }

  /**
   * Opens an audit database and its security database (`securityDatabasePath`); in `log` mode
   * (default) creates and migrates them, in the other modes they must exist.
   */
  static open(path: string, options: { durability?: Durability; mode?: StoreMode } = {}): AuditStore {
    const mode = options.mode ?? 'log';
    const db = new Database(path, mode === 'log' ? {} : { readonly: mode === 'read', fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      // Attached databases share the connection's flags: read-only in `read` mode.
      db.prepare('ATTACH DATABASE ? AS security').run(securityDatabasePath(path));
      if (mode !== 'read') {
        const synchronous = options.durability === 'full' ? 'FULL' : 'NORMAL';
        for (const schema of mode === 'log' ? ['main', 'security'] : ['security']) {
          db.pragma(`${schema}.journal_mode = WAL`);
          db.pragma(`${schema}.synchronous = ${synchronous}`);
        }
      }
      if (mode === 'log') db.pragma('foreign_keys = ON');
      // The logger migrates when it opens; `detect` too, for a log no logger of this version opened yet.
      if (mode !== 'read') migrate(db);
      return new AuditStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /**
   * Stores an event row (and its tool call) in one transaction; returns the row id.
   * @throws {AuditInputError} `AUDIT_DUPLICATE_EVENT_ID`: the event id is already in the log;
   *   `AUDIT_NOT_JSON`: arguments JSON cannot hold. Nothing is stored.
   */
  insertEvent(row: NewEventRow, loggedAt: number, toolCall?: ToolCallRecord): number {
    const s = this.statements;
    const args = toolCall ? jsonText(toolCall.arguments ?? {}, 'toolCall.arguments') : undefined;
    return this.db.transaction(() => {
      let inserted: Database.RunResult;
      try {
        inserted = s.insertEvent.run({ ...row, logged_at: loggedAt });
      } catch (error) {
        throw duplicateEventId(error, row.event_id);
      }
      if (toolCall) {
        s.insertToolCall.run(
          row.event_id,
          toolCall.toolName,
          args,
          toolCall.success ? 1 : 0,
          toolCall.durationMs ?? null,
        );
      }
      return Number(inserted.lastInsertRowid);
    })();
  }

  /**
   * Stores decisions and, for those at or above `alertAt` that are threats, alerts, in one
   * transaction; with `through`, also that every event row up to it is now decided (see
   * {@link assessedThrough}). Returns the alerts created.
   */
  recordDecisions(
    decisions: readonly DecisionRecord[],
    alertAt: ThreatLevel,
    now: number,
    through?: number,
  ): Alert[] {
    const s = this.statements;
    return this.db.transaction(() => {
      if (through !== undefined) s.markAssessedThrough.run(through);
      const alerts: Alert[] = [];
      for (const d of decisions) {
        s.insertDecision.run({
          eventRow: d.eventRow,
          outcome: d.outcome,
          reason: d.reason ?? null,
          threatScore: d.threatScore ?? null,
          threatLevel: d.threatLevel ?? null,
          levelRank: d.threatLevel ? threatLevelRank(d.threatLevel) : null,
          isThreat: d.isThreat === undefined ? null : d.isThreat ? 1 : 0,
          coldStart: d.coldStart === undefined ? null : d.coldStart ? 1 : 0,
          explanation: d.explanation ?? null,
          decidedAt: now,
        });
        if (d.outcome === 'assessed' && d.isThreat && d.threatLevel && atLeast(d.threatLevel, alertAt)) {
          // The new alert row, or nothing when the event already had one.
          const row = s.insertAlert.get(
            now,
            d.threatLevel,
            threatLevelRank(d.threatLevel),
            d.threatScore!,
            d.explanation ?? '',
            d.eventRow,
          ) as AlertRow | undefined;
          if (row) alerts.push(toAlert(row));
        }
      }
      return alerts;
    })();
  }

  alerts(query: AlertQuery = {}): Alert[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (query.since) {
      where.push('event_timestamp >= ?');
      params.push(query.since.getTime());
    }
    if (query.level) {
      where.push('level_rank >= ?');
      params.push(threatLevelRank(query.level));
    }
    if (query.status) {
      where.push('status = ?');
      params.push(query.status);
    }
    const sql = `SELECT * FROM security_alerts ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY event_timestamp DESC, id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, query.limit ?? 100) as AlertRow[]).map(toAlert);
  }

  /** The alert an event raised, if any. */
  alertOf(eventId: string): Alert | undefined {
    const row = this.statements.alertByEvent.get(eventId) as AlertRow | undefined;
    return row ? toAlert(row) : undefined;
  }

  alert(id: number): Alert | undefined {
    const row = this.statements.alertById.get(id) as AlertRow | undefined;
    return row ? toAlert(row) : undefined;
  }

  event(eventId: string): SecurityEventInput | undefined {
    const row = this.statements.eventById.get(eventId) as EventRow | undefined;
    return row ? rowToEvent(row) : undefined;
  }

  /** Records an analyst's verdict on an alert; the detector applies it (see `pendingFeedback`). */
  setFeedback(alertId: number, verdict: Exclude<AlertStatus, 'open'>, now: number): boolean {
    return this.statements.setFeedback.run(verdict, now, alertId).changes > 0;
  }

  /** Verdicts not yet applied to the detector, with their events. */
  pendingFeedback(): Array<{
    alertId: number;
    isAnomaly: boolean;
    actor: string;
    event: SecurityEventInput;
  }> {
    const rows = this.statements.pendingFeedback.all() as Array<
      EventRow & { alert_id: number; verdict: string }
    >;
    return rows
      .filter((r) => r.actor !== null)
      .map((r) => ({
        alertId: r.alert_id,
        isAnomaly: r.verdict === 'confirmed',
        actor: r.actor!,
        event: rowToEvent(r),
      }));
  }

  markFeedbackApplied(alertIds: readonly number[]): void {
    this.db.transaction(() => {
      for (const id of alertIds) this.statements.markFeedbackApplied.run(id);
    })();
  }

  actors(): string[] {
    return (this.statements.actors.all() as Array<{ actor: string }>).map((r) => r.actor);
  }

  /**
   * What retraining learns as the actor's normal behaviour: its events known to be normal in two
   * windows of `windowDays`, the recent one (before its newest event) and the reference one (before
   * its newest event of the history the detector first trained on, {@link referenceThrough}), so that
   * each retrain mixes the original behaviour with the new and no run of retrains can carry the model
   * away from it. Known to be normal: events an analyst called false positives, and, without a
   * standing alert, events assessed below {@link LEARN_BELOW} or history (no decision, at or before
   * {@link assessedThrough}). Left out: events whose assessment is pending (queued, skipped, failed:
   * an unassessed attack must never become normal) and events assessed at `LEARN_BELOW` or above even
   * when they raised no alert (a drift toward the tail in steps too small to alert is not learned).
   */
  trainingEvents(actor: string, windowDays: number): SecurityEventInput[] {
    const s = this.statements;
    const newest = (s.newestOfActor.get(actor) as { newest: number | null }).newest;
    if (newest === null) return [];
    const span = windowDays * 86_400_000;
    const reference = this.referenceThrough();
    const referenceNewest =
      reference === undefined
        ? null
        : (s.referenceNewestOfActor.get(actor, reference) as { newest: number | null }).newest;
    const rows = s.trainingEvents.all({
      actor,
      from: newest - span,
      reference: reference ?? 0,
      // An actor without reference history: an empty range.
      ...(referenceNewest === null
        ? { referenceFrom: 1, referenceNewest: 0 }
        : { referenceFrom: referenceNewest - span, referenceNewest }),
      // Before detection first ran on this log, everything in it is history.
      through: this.assessedThrough() ?? Number.MAX_SAFE_INTEGER,
      belowRank: threatLevelRank(LEARN_BELOW),
    }) as EventRow[];
    return rows.map(rowToEvent);
  }

  /**
   * The event row up to which the log was history when detection first ran with a reference (the
   * log the detector first trained on); undefined before. Retraining mixes it in: see
   * {@link trainingEvents}.
   */
  referenceThrough(): number | undefined {
    return (this.statements.referenceThrough.get() as { value: number } | undefined)?.value;
  }

  /**
   * Makes the history up to {@link assessedThrough} the reference, once: a later call changes nothing.
   * The detection engine calls it at start, after {@link catchUp}.
   */
  markReference(): void {
    this.statements.markReference.run();
  }

  /**
   * The events of these rows that have an actor, in the order the rows are given, and the rows that
   * hold an event without one. Rows that hold no event are in neither.
   */
  eventsByRows(rows: readonly number[]): { items: AssessItem[]; withoutActor: number[] } {
    const byRow = new Map<number, EventRow>();
    for (const r of this.statements.eventsByRows.all(JSON.stringify(rows)) as EventRow[]) byRow.set(r.id, r);
    const items: AssessItem[] = [];
    const withoutActor: number[] = [];
    for (const row of rows) {
      const r = byRow.get(row);
      if (r === undefined) continue;
      if (r.actor === null) withoutActor.push(row);
      else items.push({ eventRow: r.id, actor: r.actor, event: rowToEvent(r) });
    }
    return { items, withoutActor };
  }

  /**
   * The event row up to which every event was assessed or has a decision saying why not; undefined
   * before detection first ran on this log.
   */
  assessedThrough(): number | undefined {
    return (this.statements.assessedThrough.get() as { value: number } | undefined)?.value;
  }

  /**
   * Brings {@link assessedThrough} up to the newest event: events logged after it (while no
   * detection ran: the process stopped with events queued, or logged without the plugin) are stored
   * as skipped with `reason`, so `backfill` assesses them; unless `reason` is undefined, which marks
   * them as history, never to be assessed (as on the first start, whose log is what detection trains
   * on). Returns how many events were marked skipped.
   */
  catchUp(reason: string | undefined, now: number): number {
    const s = this.statements;
    return this.db.transaction(() => {
      const newest = (s.maxEventRow.get() as { row: number }).row;
      const through = this.assessedThrough();
      let skipped = 0;
      if (through !== undefined && reason !== undefined && newest > through) {
        skipped = s.skipRange.run(reason, now, through, newest).changes;
      }
      s.markAssessedThrough.run(newest);
      return skipped;
    })();
  }

  /** Rows of events whose assessment was skipped or failed (and that have an actor), oldest first. */
  unassessed(limit: number): number[] {
    return (this.statements.unassessed.all(limit) as Array<{ id: number }>).map((r) => r.id);
  }

  /** Counts for `stats`. */
  stats(): {
    events: number;
    toolCalls: number;
    actors: number;
    decisions: Record<string, number>;
    alerts: Record<string, number>;
    alertsByLevel: Record<string, number>;
  } {
    const count = (sql: string) => (this.db.prepare(sql).get() as { n: number }).n;
    const grouped = (sql: string) =>
      Object.fromEntries(
        (this.db.prepare(sql).all() as Array<{ k: string; n: number }>).map((r) => [r.k, r.n]),
      );
    const byLevel = grouped(
      'SELECT threat_level AS k, COUNT(*) AS n FROM security_alerts GROUP BY threat_level',
    );
    return {
      events: count('SELECT COUNT(*) AS n FROM audit_events'),
      toolCalls: count('SELECT COUNT(*) AS n FROM tool_calls'),
      actors: count('SELECT COUNT(DISTINCT actor) AS n FROM audit_events'),
      decisions: grouped('SELECT outcome AS k, COUNT(*) AS n FROM security_decisions GROUP BY outcome'),
      alerts: grouped('SELECT status AS k, COUNT(*) AS n FROM security_alerts GROUP BY status'),
      alertsByLevel: Object.fromEntries(THREAT_LEVELS.filter((l) => byLevel[l]).map((l) => [l, byLevel[l]!])),
    };
  }

  close(): void {
    this.db.close();
  }
}
