// The SQLite store: every statement the logger runs, prepared once. Two files, each in WAL mode:
// the log (audit events, tool calls), written only by the logger's connection, and the security
// database beside it (decisions, alerts; attached as `security`), written by the detection worker.
// A file has one write lock, so the two writers never wait for each other; readers (the CLI, the
// worker reading events) never wait for either.

import { describeValue } from '@harombe/models';
import {
  atLeast,
  type Incident,
  type IncidentRef,
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
  /** The combined tail probability behind the score: what alerts are ranked by. */
  readonly tailProbability?: number;
  /** The incident the event joined or opened (`ThreatAssessment.incident`). */
  readonly incident?: IncidentRef | null;
  /** The campaign the event is part of (`ThreatAssessment.campaign`). */
  readonly campaign?: IncidentRef | null;
}

export type AlertStatus = 'open' | 'false_positive' | 'confirmed';

/** What the alerted event was, as logged (redacted): `null` where the event had no such field. */
export interface AlertContext {
  readonly eventType: string | null;
  readonly tool: string | null;
  readonly destination: string | null;
  readonly path: string | null;
  readonly sessionId: string | null;
}

export interface Alert {
  readonly id: number;
  readonly eventId: string;
  readonly actor: string | null;
  readonly eventTimestamp: Date;
  readonly createdAt: Date;
  readonly threatLevel: ThreatLevel;
  readonly threatScore: number;
  /** The event's tail probability (smaller is more serious); `null` for alerts stored before version 3. */
  readonly tailProbability: number | null;
  readonly explanation: string;
  readonly status: AlertStatus;
  readonly feedbackAt: Date | null;
  /** The agent's incident the alert belongs to (`null`: a campaign's event that was no threat itself, or an old alert). */
  readonly incidentId: string | null;
  /** The campaign the event is part of, if any. */
  readonly campaignId: string | null;
  readonly context: AlertContext;
}

export interface AlertQuery {
  /** Alerts of events at or after this time. */
  readonly since?: Date;
  /** Alerts at or above this level. */
  readonly level?: ThreatLevel;
  readonly status?: AlertStatus;
  /** Most serious first (smallest tail probability, then newest), at most this many. Default 100. */
  readonly limit?: number;
}

export type IncidentStatus = Incident['status'];
/** An analyst's verdict on a whole incident: its open alerts become false positives or confirmed. */
export type IncidentVerdict = 'normal' | 'anomaly';

/**
 * An incident (or campaign) as stored: what the detector last reported of it (its `Incident`, without
 * the event ids: its alerts reference it instead), and the analyst's word. `alerts` is the detector's
 * count, alerts below `alertAt` included.
 */
export interface IncidentRecord extends Omit<Incident, 'eventIds'> {
  readonly resolution: IncidentVerdict | null;
  readonly resolvedAt: Date | null;
  readonly updatedAt: Date;
}

export interface IncidentListQuery {
  /** Only incidents of (or campaigns including) this agent. */
  readonly agentId?: string;
  readonly status?: IncidentStatus;
  /** Only campaigns (`true`) or only agents' incidents (`false`). */
  readonly campaign?: boolean;
  /** Only incidents whose last alert is at or after this time. */
  readonly since?: Date;
  /** Most serious first (smallest tail probability, then latest), at most this many. Default 100. */
  readonly limit?: number;
}

/**
 * What `onAlert` receives: the alert that opened an incident or raised its level (an {@link Alert},
 * so callers that take alerts keep working), with the incident.
 */
export interface AlertNotice extends Alert {
  /** The agent's incident or the campaign, as stored after the alert's batch. */
  readonly incident: IncidentRecord;
  /** `opened`: the first alert of the incident announced; `escalated`: its level rose. */
  readonly change: 'opened' | 'escalated';
  /** The incident's level with this alert. */
  readonly incidentLevel: ThreatLevel;
}

/** What {@link AuditStore.recordDecisions} stored: the new alerts, and those to announce. */
export interface RecordedBatch {
  readonly alerts: Alert[];
  readonly notices: AlertNotice[];
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
  tail_probability: number | null;
  explanation: string;
  status: string;
  feedback_at: number | null;
  incident_id: string | null;
  campaign_id: string | null;
  event_type: string | null;
  tool: string | null;
  destination: string | null;
  path: string | null;
  session_id: string | null;
}

interface IncidentRow {
  id: string;
  campaign: number;
  agent_ids: string;
  first_seen: number;
  last_seen: number;
  alerts: number;
  peak_level: string;
  peak_rank: number;
  peak_score: number;
  tail_probability: number;
  reasons: string;
  subjects: string;
  linked: string;
  status: string;
  announced_rank: number;
  resolution: string | null;
  resolved_at: number | null;
  updated_at: number;
}

/** Alerts and incidents, most serious first: the smallest tail probability (alerts without one last). */
const ALERT_ORDER = 'ORDER BY tail_probability IS NULL, tail_probability, event_timestamp DESC, id DESC';
const INCIDENT_ORDER = 'ORDER BY tail_probability, last_seen DESC, id';

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
    tailProbability: row.tail_probability,
    explanation: row.explanation,
    status: row.status as AlertStatus,
    feedbackAt: row.feedback_at === null ? null : new Date(row.feedback_at),
    incidentId: row.incident_id,
    campaignId: row.campaign_id,
    context: {
      eventType: row.event_type,
      tool: row.tool,
      destination: row.destination,
      path: row.path,
      sessionId: row.session_id,
    },
  };
}

function toIncident(row: IncidentRow): IncidentRecord {
  return {
    id: row.id,
    campaign: row.campaign === 1,
    agentIds: JSON.parse(row.agent_ids) as string[],
    firstSeen: new Date(row.first_seen),
    lastSeen: new Date(row.last_seen),
    alerts: row.alerts,
    peakLevel: row.peak_level as ThreatLevel,
    peakScore: row.peak_score,
    tailProbability: row.tail_probability,
    reasons: JSON.parse(row.reasons) as string[],
    subjects: JSON.parse(row.subjects) as string[],
    linked: JSON.parse(row.linked) as string[],
    status: row.status as IncidentStatus,
    resolution: row.resolution as IncidentVerdict | null,
    resolvedAt: row.resolved_at === null ? null : new Date(row.resolved_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** The incident's columns, as the detector reports it. */
function incidentParams(incident: Incident, now: number) {
  return {
    id: incident.id,
    campaign: incident.campaign ? 1 : 0,
    agentIds: JSON.stringify(incident.agentIds),
    firstSeen: incident.firstSeen.getTime(),
    lastSeen: incident.lastSeen.getTime(),
    alerts: incident.alerts,
    peakLevel: incident.peakLevel,
    peakRank: threatLevelRank(incident.peakLevel),
    peakScore: incident.peakScore,
    tail: incident.tailProbability,
    reasons: JSON.stringify(incident.reasons),
    subjects: JSON.stringify(incident.subjects),
    linked: JSON.stringify(incident.linked),
    status: incident.status,
    now,
  };
}

/**
 * Whether a decision raises an alert: a threat at or above `alertAt`, or an event of a campaign at or
 * above it (each agent's part of a campaign is worth an analyst's look, even when mild on its own).
 */
function isAlert(d: DecisionRecord, alertAt: ThreatLevel): boolean {
  if (d.outcome !== 'assessed' || !d.threatLevel) return false;
  return (
    (d.isThreat === true && atLeast(d.threatLevel, alertAt)) ||
    (!!d.campaign && atLeast(d.campaign.level, alertAt))
  );
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
    openIncidents: db.prepare("SELECT id, campaign FROM security_incidents WHERE status = 'open'"),
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
   * Stores decisions and, in one transaction: an alert for each threat at or above `alertAt` (and for
   * each event of a campaign at or above it, a threat or not), carrying its incident, tail and the
   * event's context; the incidents and campaigns of `incidents` (the detector's view after the batch)
   * that have an alert stored; and, with `through`, that every event row up to it is now decided (see
   * {@link assessedThrough}). Returns the alerts created and those to announce: the alert that
   * opened an incident or raised its level above what was announced before (once per rise, across
   * batches and restarts: the announced level is stored).
   */
  recordDecisions(
    decisions: readonly DecisionRecord[],
    alertAt: ThreatLevel,
    now: number,
    through?: number,
    incidents: ReadonlyMap<string, Incident> = new Map(),
  ): RecordedBatch {
    const s = this.statements;
    return this.db.transaction(() => {
      if (through !== undefined) s.markAssessedThrough.run(through);
      const alerts: Alert[] = [];
      const pending: Array<{ alert: Alert; id: string; change: AlertNotice['change']; level: ThreatLevel }> =
        [];
      /** Incidents written in this batch, with the level announced so far (-1 none). */
      const announced = new Map<string, number>();
      const writeIncident = (id: string): number | undefined => {
        const known = announced.get(id);
        if (known !== undefined) return known;
        const incident = incidents.get(id);
        if (incident === undefined) return undefined;
        s.upsertIncident.run(incidentParams(incident, now));
        const row = s.incidentById.get(id) as IncidentRow;
        // A resolved incident (its resolution not yet applied by the detector) announces nothing more.
        const rank = row.status === 'resolved' ? Number.POSITIVE_INFINITY : row.announced_rank;
        announced.set(id, rank);
        return rank;
      };
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
          level: d.threatLevel,
          rank: threatLevelRank(d.threatLevel!),
          score: d.threatScore!,
          tail: d.tailProbability ?? null,
          explanation: d.explanation ?? '',
          incident: d.incident?.id ?? null,
          campaign: d.campaign?.id ?? null,
          eventRow: d.eventRow,
        }) as AlertRow | undefined;
        if (!row) continue;
        const alert = toAlert(row);
        alerts.push(alert);
        for (const ref of [d.incident, d.campaign]) {
          if (!ref || !atLeast(ref.level, alertAt)) continue;
          const before = writeIncident(ref.id);
          const rank = threatLevelRank(ref.level);
          if (before === undefined || rank <= before) continue;
          pending.push({ alert, id: ref.id, change: before < 0 ? 'opened' : 'escalated', level: ref.level });
          announced.set(ref.id, rank);
        }
      }
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
      const notices = pending.map(
        ({ alert, id, change, level }): AlertNotice => ({
          ...alert,
          incident: toIncident(s.incidentById.get(id) as IncidentRow),
          change,
          incidentLevel: level,
        }),
      );
      return { alerts, notices };
    })();
  }

  /** Incidents whose stored status is `open` (the detection engine refreshes them after each batch). */
  openIncidents(): Array<{ id: string; campaign: boolean }> {
    return (this.statements.openIncidents.all() as Array<{ id: string; campaign: number }>).map((r) => ({
      id: r.id,
      campaign: r.campaign === 1,
    }));
  }

  /** Marks an open incident closed (the detector no longer tracks it). */
  closeIncident(id: string, now: number): void {
    this.statements.closeIncident.run(now, id);
  }

  /** Incidents and campaigns, most serious first. */
  incidents(query: IncidentListQuery = {}): IncidentRecord[] {
    const rows = this.list<IncidentRow>('security_incidents', INCIDENT_ORDER, query.limit, [
      query.agentId !== undefined && [
        'EXISTS (SELECT 1 FROM json_each(agent_ids) WHERE value = ?)',
        query.agentId,
      ],
      query.status !== undefined && ['status = ?', query.status],
      query.campaign !== undefined && ['campaign = ?', query.campaign ? 1 : 0],
      query.since !== undefined && ['last_seen >= ?', query.since.getTime()],
    ]);
    return rows.map(toIncident);
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
  pendingResolutions(): Array<{ id: string; agentIds: string[] }> {
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
    const rows = this.list<AlertRow>('security_alerts', ALERT_ORDER, query.limit, [
      query.since !== undefined && ['event_timestamp >= ?', query.since.getTime()],
      query.level !== undefined && ['level_rank >= ?', threatLevelRank(query.level)],
      query.status !== undefined && ['status = ?', query.status],
    ]);
    return rows.map(toAlert);
  }

  /** Rows of a table that meet every condition given (`false`: none), in this order, at most `limit` (default 100). */
  private list<Row>(
    table: string,
    order: string,
    limit: number | undefined,
    conditions: ReadonlyArray<false | readonly [sql: string, value: string | number]>,
  ): Row[] {
    const given = conditions.filter((c) => c !== false);
    const where = given.length ? `WHERE ${given.map(([sql]) => sql).join(' AND ')}` : '';
    const values = given.map(([, value]) => value);
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
    incidents: Record<string, number>;
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
      incidents: grouped('SELECT status AS k, COUNT(*) AS n FROM security_incidents GROUP BY status'),
    };
  }

  close(): void {
    this.db.close();
  }
}
