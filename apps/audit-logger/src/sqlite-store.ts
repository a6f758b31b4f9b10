// The SQLite store: every statement the logger runs, prepared once. Two files, each in WAL mode:
// the log (audit events, tool calls), written only by the logger's connection, and the security
// database beside it (decisions, alerts; attached as `security`), written by the detection worker.
// A file has one write lock, so the two writers never wait for each other; readers (the CLI, the
// worker reading events) never wait for either. Synchronous (better-sqlite3): every method answers
// at once, which the `AuditStore` port allows.

import {
  type Incident,
  type SecurityEventInput,
  type ThreatLevel,
  threatLevelRank,
} from '@harombe/security-ml';
import Database from 'better-sqlite3';
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
import { migrate, securityDatabasePath } from './schema.js';
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

function prepareStatements(db: Database.Database) {
  return {
    // A retried event id writes nothing (RETURNING gives no row); its stored row is read instead.
    insertEvent: db.prepare(
      `INSERT INTO audit_events (event_id, correlation_id, session_id, timestamp, event_type, actor, tool_name,
         action, status, success, duration_ms, resource_count, destination, file_path, metadata, logged_at)
       VALUES (@event_id, @correlation_id, @session_id, @timestamp, @event_type, @actor, @tool_name, @action,
         @status, @success, @duration_ms, @resource_count, @destination, @file_path, @metadata, @logged_at)
       ON CONFLICT (event_id) DO NOTHING RETURNING id`,
    ),
    eventRowOf: db.prepare('SELECT id FROM audit_events WHERE event_id = ?'),
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
    // The alert carries its event's context, copied from the (redacted) event row.
    insertAlert: db.prepare(
      `INSERT OR IGNORE INTO security_alerts (event_row, event_id, actor, event_timestamp, created_at, threat_level,
         level_rank, threat_score, tail_probability, explanation, incident_id, campaign_id, event_type, tool,
         destination, path, session_id)
       SELECT id, event_id, actor, timestamp, @now, @level, @rank, @score, @tail, @explanation, @incident, @campaign,
         event_type, tool_name, destination, file_path, session_id
       FROM audit_events WHERE id = @eventRow RETURNING *`,
    ),
    // An incident as the detector reports it; a resolved one stays resolved, and unchanged rows are not written.
    upsertIncident: db.prepare(
      `INSERT INTO security_incidents (id, campaign, agent_ids, first_seen, last_seen, alerts, peak_level, peak_rank,
         peak_score, tail_probability, reasons, subjects, linked, status, updated_at)
       VALUES (@id, @campaign, @agentIds, @firstSeen, @lastSeen, @alerts, @peakLevel, @peakRank, @peakScore, @tail,
         @reasons, @subjects, @linked, @status, @now)
       ON CONFLICT (id) DO UPDATE SET agent_ids = excluded.agent_ids, first_seen = excluded.first_seen,
         last_seen = excluded.last_seen, alerts = excluded.alerts, peak_level = excluded.peak_level,
         peak_rank = excluded.peak_rank, peak_score = excluded.peak_score,
         tail_probability = excluded.tail_probability, reasons = excluded.reasons, subjects = excluded.subjects,
         linked = excluded.linked, updated_at = excluded.updated_at,
         status = CASE WHEN status = 'resolved' THEN 'resolved' ELSE excluded.status END
       WHERE alerts <> excluded.alerts OR last_seen <> excluded.last_seen OR first_seen <> excluded.first_seen
         OR status <> excluded.status OR agent_ids <> excluded.agent_ids OR linked <> excluded.linked
         OR tail_probability <> excluded.tail_probability`,
    ),
    incidentById: db.prepare('SELECT * FROM security_incidents WHERE id = ?'),
    announce: db.prepare('UPDATE security_incidents SET announced_rank = ? WHERE id = ?'),
    openIncidents: db.prepare("SELECT id, campaign, last_seen FROM security_incidents WHERE status = 'open'"),
    closeIncident: db.prepare(
      "UPDATE security_incidents SET status = 'closed', updated_at = ? WHERE id = ? AND status = 'open'",
    ),
    // A campaign's earlier events (at other agents) were alerted before the campaign existed.
    linkCampaign: db.prepare(
      `UPDATE security_alerts SET campaign_id = ?
       WHERE campaign_id IS NULL AND event_id IN (SELECT value FROM json_each(?))`,
    ),
    incidentAlerts: db.prepare(
      `SELECT * FROM security_alerts WHERE incident_id = @id OR campaign_id = @id ${ALERT_ORDER}`,
    ),
    resolveIncident: db.prepare(
      `UPDATE security_incidents SET status = 'resolved', resolution = ?, resolved_at = ?, updated_at = ?,
         resolution_applied = 0 WHERE id = ?`,
    ),
    incidentFeedback: db.prepare(
      `UPDATE security_alerts SET status = @verdict, feedback_at = @now, feedback_applied = 0
       WHERE (incident_id = @id OR campaign_id = @id) AND status = 'open'`,
    ),
    pendingResolutions: db.prepare(
      'SELECT id, agent_ids FROM security_incidents WHERE resolution_applied = 0 ORDER BY id',
    ),
    markResolutionApplied: db.prepare('UPDATE security_incidents SET resolution_applied = 1 WHERE id = ?'),
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
    trainingEvents: db.prepare(TRAINING_EVENTS_SQL),
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
    // Retention: an event's tool call, decision and alert go with it (see `deleteBefore`).
    deleteToolCalls: db.prepare(
      `DELETE FROM tool_calls WHERE event_id IN (SELECT event_id FROM audit_events WHERE timestamp < ?
         AND id < (SELECT MAX(id) FROM audit_events))`,
    ),
    deleteDecisions: db.prepare(
      `DELETE FROM security_decisions WHERE event_row IN (SELECT id FROM audit_events WHERE timestamp < ?
         AND id < (SELECT MAX(id) FROM audit_events))`,
    ),
    deleteAlerts: db.prepare(
      `DELETE FROM security_alerts WHERE event_row IN (SELECT id FROM audit_events WHERE timestamp < ?
         AND id < (SELECT MAX(id) FROM audit_events))`,
    ),
    deleteEvents: db.prepare(
      'DELETE FROM audit_events WHERE timestamp < ? AND id < (SELECT MAX(id) FROM audit_events)',
    ),
    deleteIncidents: db.prepare(`DELETE FROM security_incidents WHERE status <> 'open' AND last_seen < ?`),
    newestEventTime: db.prepare('SELECT MAX(timestamp) AS newest FROM audit_events'),
    unassessed: db.prepare(
      `SELECT e.id FROM security_decisions d
       JOIN audit_events e ON e.id = d.event_row
       WHERE d.outcome <> 'assessed' AND e.actor IS NOT NULL
       ORDER BY e.timestamp, e.id LIMIT ?`,
    ),
  };
}

export class SqliteAuditStore implements AuditStore {
  readonly engine = 'sqlite';
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
  static open(path: string, options: { durability?: Durability; mode?: StoreMode } = {}): SqliteAuditStore {
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
      return new SqliteAuditStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  insertEvent(row: NewEventRow, loggedAt: number, toolCall?: ToolCallRecord): InsertedEvent {
    const s = this.statements;
    const args = toolCall ? jsonText(toolCall.arguments ?? {}, 'toolCall.arguments') : undefined;
    return this.db.transaction((): InsertedEvent => {
      const inserted = s.insertEvent.get({ ...row, logged_at: loggedAt }) as { id: number } | undefined;
      if (!inserted) return { id: (s.eventRowOf.get(row.event_id) as { id: number }).id, duplicate: true };
      if (toolCall) {
        s.insertToolCall.run(
          row.event_id,
          toolCall.toolName,
          args,
          toolCall.success ? 1 : 0,
          toolCall.durationMs ?? null,
        );
      }
      return { id: inserted.id, duplicate: false };
    })();
  }

  recordDecisions(
    decisions: readonly DecisionRecord[],
    alertAt: ThreatLevel,
    now: number,
    through?: number,
    incidents: ReadonlyMap<string, Incident> = new Map(),
  ): RecordedBatch {
    const s = this.statements;
    return this.db.transaction((): RecordedBatch => {
      if (through !== undefined) s.markAssessedThrough.run(through);
      const raised: Array<{ alert: Alert; decision: DecisionRecord }> = [];
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
        if (!isAlert(d, alertAt)) continue;
        // The new alert row, or nothing when the event already had one.
        const row = s.insertAlert.get({
          now,
          level: alertLevel(d),
          rank: threatLevelRank(alertLevel(d)),
          score: d.threatScore!,
          tail: d.tailProbability ?? null,
          explanation: d.explanation ?? '',
          incident: d.incident?.id ?? null,
          campaign: d.campaign?.id ?? null,
          eventRow: d.eventRow,
        }) as AlertRow | undefined;
        if (row) raised.push({ alert: toAlert(row), decision: d });
      }
      // The incidents the new alerts may announce, as the detector reports them, with the level
      // announced before this batch.
      const stored = new Map<string, number>();
      for (const { decision } of raised) {
        for (const { id } of announcedRefs(decision, alertAt)) {
          const incident = incidents.get(id);
          if (stored.has(id) || incident === undefined) continue;
          s.upsertIncident.run(incidentParams(incident, now));
          stored.set(id, announcedRank(s.incidentById.get(id) as IncidentRow));
        }
      }
      const { pending, announced } = planAnnouncements(raised, stored, alertAt);
      for (const [id, rank] of announced) {
        if (Number.isFinite(rank)) s.announce.run(rank, id);
        const incident = incidents.get(id);
        if (incident?.campaign) s.linkCampaign.run(id, JSON.stringify(incident.eventIds));
      }
      // Incidents with alerts stored before (not in this batch): their latest state.
      for (const incident of incidents.values()) {
        if (!announced.has(incident.id) && s.incidentById.get(incident.id)) {
          s.upsertIncident.run(incidentParams(incident, now));
        }
      }
      const notices = toNotices(pending, (id) => s.incidentById.get(id) as IncidentRow);
      return { alerts: raised.map((r) => r.alert), notices };
    })();
  }

  /** Incidents whose stored status is `open` (the detection engine refreshes them after each batch). */
  openIncidents(): Array<{ id: string; campaign: boolean; lastSeen: number }> {
    return (
      this.statements.openIncidents.all() as Array<{ id: string; campaign: number; last_seen: number }>
    ).map((r) => ({
      id: r.id,
      campaign: r.campaign === 1,
      lastSeen: r.last_seen,
    }));
  }

  /** Marks an open incident closed (the detector no longer tracks it). */
  closeIncident(id: string, now: number): void {
    this.statements.closeIncident.run(now, id);
  }

  /** Incidents and campaigns, most serious first. */
  incidents(query: IncidentListQuery = {}): IncidentRecord[] {
    const agent = 'EXISTS (SELECT 1 FROM json_each(agent_ids) WHERE value = ?)';
    return this.list<IncidentRow>(
      'security_incidents',
      INCIDENT_ORDER,
      query.limit,
      incidentConditions(query, agent),
    ).map(toIncident);
  }

  incident(id: string): IncidentRecord | undefined {
    const row = this.statements.incidentById.get(id) as IncidentRow | undefined;
    return row ? toIncident(row) : undefined;
  }

  /** The alerts of an incident (or campaign), most serious first. */
  incidentAlerts(id: string): Alert[] {
    return (this.statements.incidentAlerts.all({ id }) as AlertRow[]).map(toAlert);
  }

  /**
   * Resolves an incident: later alerts open a new one. With a verdict, its open alerts become false
   * positives (`normal`) or confirmed (`anomaly`), applied to the detector like any alert's feedback;
   * the detector hears of the resolution with the verdicts (see {@link pendingResolutions}).
   * Returns false when there is no such incident.
   */
  resolveIncident(id: string, verdict: IncidentVerdict | undefined, now: number): boolean {
    const s = this.statements;
    return this.db.transaction(() => {
      if (s.resolveIncident.run(verdict ?? null, now, now, id).changes === 0) return false;
      if (verdict !== undefined) {
        s.incidentFeedback.run({ verdict: verdict === 'normal' ? 'false_positive' : 'confirmed', now, id });
      }
      return true;
    })();
  }

  /** Resolutions the detector has not applied yet, with the incidents' agents. */
  pendingResolutions(): PendingResolution[] {
    return (this.statements.pendingResolutions.all() as Array<{ id: string; agent_ids: string }>).map(
      (r) => ({
        id: r.id,
        agentIds: JSON.parse(r.agent_ids) as string[],
      }),
    );
  }

  markResolutionApplied(ids: readonly string[]): void {
    this.db.transaction(() => {
      for (const id of ids) this.statements.markResolutionApplied.run(id);
    })();
  }

  alerts(query: AlertQuery = {}): Alert[] {
    return this.list<AlertRow>('security_alerts', ALERT_ORDER, query.limit, alertConditions(query)).map(
      toAlert,
    );
  }

  /** Rows of a table that meet every condition given, in this order, at most `limit` (default 100). */
  private list<Row>(
    table: string,
    order: string,
    limit: number | undefined,
    conditions: readonly ListCondition[],
  ): Row[] {
    const where = conditions.length ? `WHERE ${conditions.map(([sql]) => sql).join(' AND ')}` : '';
    const values = conditions.map(([, value]) => value);
    return this.db
      .prepare(`SELECT * FROM ${table} ${where} ${order} LIMIT ?`)
      .all(...values, limit ?? 100) as Row[];
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
  pendingFeedback(): FeedbackItem[] {
    return toFeedbackItems(this.statements.pendingFeedback.all() as FeedbackRow[]);
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
    const reference = this.referenceThrough();
    const referenceNewest =
      reference === undefined
        ? null
        : (s.referenceNewestOfActor.get(actor, reference) as { newest: number | null }).newest;
    const window = { actor, windowDays, newest, reference, referenceNewest, through: this.assessedThrough() };
    return (s.trainingEvents.all(trainingParameters(window)) as EventRow[]).map(rowToEvent);
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
    return splitByActor(rows, this.statements.eventsByRows.all(JSON.stringify(rows)) as EventRow[]);
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

  /**
   * Retention (see {@link AuditStore.deleteBefore}), in one transaction. The log's newest row is
   * never deleted: SQLite gives a new row the largest id plus one, and an id must never come back.
   */
  deleteBefore(before: number): RetentionOutcome {
    const s = this.statements;
    return this.db.transaction((): RetentionOutcome => {
      s.deleteToolCalls.run(before);
      s.deleteDecisions.run(before);
      const alerts = s.deleteAlerts.run(before).changes;
      const events = s.deleteEvents.run(before).changes;
      const incidents = s.deleteIncidents.run(before).changes;
      return { before, events, alerts, incidents };
    })();
  }

  newestEventTime(): number | undefined {
    return (this.statements.newestEventTime.get() as { newest: number | null }).newest ?? undefined;
  }

  /** One process, one leader: the task always runs. */
  async lead<T>(_name: string, task: () => Promise<T>): Promise<LeadOutcome<T>> {
    return { led: true, value: await task() };
  }

  /** Counts for `stats`. */
  stats(): StoreStats {
    const rows = Object.fromEntries(
      Object.entries(STATS_QUERIES).map(([key, sql]) => [key, this.db.prepare(sql).all()]),
    );
    return toStats(rows as StatsRows);
  }

  close(): void {
    this.db.close();
  }
}
