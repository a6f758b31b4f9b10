// The tables' rows as both stores read and write them (PostgreSQL's pool is configured to return
// the same shapes: bigint as number, boolean as 0/1, JSON as its text), their conversions to the
// records of `audit-store.ts`, and the one rule both stores apply to decide which alerts announce
// an incident.
import {
  atLeast,
  type Incident,
  type IncidentRef,
  maxThreatLevel,
  type SecurityEvent,
  type SecurityEventInput,
  THREAT_LEVELS,
  type ThreatLevel,
  threatLevelRank,
} from '@harombe/security-ml';
import {
  type Alert,
  type AlertNotice,
  type AlertQuery,
  type AlertStatus,
  type AssessItem,
  type DecisionRecord,
  type EventRow,
  type FeedbackItem,
  type IncidentListQuery,
  type IncidentRecord,
  type IncidentStatus,
  type IncidentVerdict,
  LEARN_BELOW,
  type NewEventRow,
  type StoreStats,
} from './audit-store.js';
import { AuditInputError } from './errors.js';

export interface AlertRow {
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

export interface IncidentRow {
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
export const ALERT_ORDER =
  'ORDER BY tail_probability IS NULL, tail_probability, event_timestamp DESC, id DESC';
export const INCIDENT_ORDER = 'ORDER BY tail_probability, last_seen DESC, id';

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
export function jsonText(value: unknown, field: string): string {
  try {
    const text: string | undefined = JSON.stringify(value);
    return text ?? 'null';
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    // The engine's message can quote keys of the value: it stays in `cause`, out of the message.
    throw new AuditInputError('AUDIT_NOT_JSON', field, 'not JSON (a BigInt or a cycle)', { cause: error });
  }
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

export function toAlert(row: AlertRow): Alert {
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

export function toIncident(row: IncidentRow): IncidentRecord {
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
export function incidentParams(incident: Incident, now: number) {
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
export function isAlert(d: DecisionRecord, alertAt: ThreatLevel): boolean {
  if (d.outcome !== 'assessed' || !d.threatLevel) return false;
  return (
    (d.isThreat === true && atLeast(d.threatLevel, alertAt)) ||
    (!!d.campaign && atLeast(d.campaign.level, alertAt))
  );
}

/**
 * The level an alert is stored at: the event's own, or, for a campaign's event that is no threat
 * itself, the campaign's (so `alerts --level` and the metrics see it at the level that raised it).
 */
export function alertLevel(d: DecisionRecord): ThreatLevel {
  const own = d.threatLevel ?? 'none';
  return d.isThreat === true || !d.campaign ? own : maxThreatLevel(own, d.campaign.level);
}

/** An alert that opens an incident, raises its level or brings a finding: announced once its incident is stored. */
export interface PendingNotice {
  readonly alert: Alert;
  /** The incident's (or campaign's) id. */
  readonly id: string;
  readonly change: AlertNotice['change'];
  readonly level: ThreatLevel;
}

/** The incident and campaign of a decision at or above `alertAt`: those its alert may announce. */
export function announcedRefs(decision: DecisionRecord, alertAt: ThreatLevel): IncidentRef[] {
  return [decision.incident, decision.campaign].filter(
    (ref): ref is IncidentRef => !!ref && atLeast(ref.level, alertAt),
  );
}

/**
 * Which of a batch's new alerts announce their incident: the first alert of an incident not
 * announced before (`opened`), each alert that raises its level above the level announced so far
 * (`escalated`), and each that brings an announced incident a new finding at its level (`finding`). `stored` holds the level announced before the batch of each incident written
 * in it (its rank, -1 none, infinite for a resolved incident, which announces nothing more);
 * incidents not in it (unknown to the detector) announce nothing. Returns the notices in the
 * alerts' order and each incident's announced rank afterwards.
 */
export function planAnnouncements(
  raised: ReadonlyArray<{ readonly alert: Alert; readonly decision: DecisionRecord }>,
  stored: ReadonlyMap<string, number>,
  alertAt: ThreatLevel,
): { pending: PendingNotice[]; announced: Map<string, number> } {
  const announced = new Map(stored);
  const pending: PendingNotice[] = [];
  for (const { alert, decision } of raised) {
    for (const ref of announcedRefs(decision, alertAt)) {
      const before = announced.get(ref.id);
      const rank = threatLevelRank(ref.level);
      if (before === undefined) continue;
      if (rank > before) {
        pending.push({ alert, id: ref.id, change: before < 0 ? 'opened' : 'escalated', level: ref.level });
        announced.set(ref.id, rank);
      } else if (ref.finding && before >= 0 && Number.isFinite(before)) {
        pending.push({ alert, id: ref.id, change: 'finding', level: ref.level });
      }
    }
  }
  return { pending, announced };
}

/** The level announced so far of a stored incident, as {@link planAnnouncements} takes it. */
export function announcedRank(row: Pick<IncidentRow, 'status' | 'announced_rank'>): number {
  return row.status === 'resolved' ? Number.POSITIVE_INFINITY : row.announced_rank;
}

/** Notices with their incidents as stored after the batch. */
export function toNotices(
  pending: readonly PendingNotice[],
  incidentOf: (id: string) => IncidentRow,
): AlertNotice[] {
  return pending.map(({ alert, id, change, level }) => ({
    ...alert,
    incident: toIncident(incidentOf(id)),
    change,
    incidentLevel: level,
  }));
}

/**
 * The training query (see `SqliteAuditStore.trainingEvents`), the same SQL on both engines: the
 * actor's window, and its reference window, only events known to be normal. Two index ranges on
 * (actor, timestamp), disjoint: the recent window from `from`, the reference window before it.
 * Parameters by name: {@link trainingParameters}.
 */
export const TRAINING_EVENTS_SQL = `WITH candidates AS (
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
       ORDER BY e.timestamp, e.id`;

/** A condition of a listing: SQL with one `?` placeholder, and its value. */
export type ListCondition = readonly [sql: string, value: string | number];

/** The conditions of an alert query. */
export function alertConditions(query: AlertQuery): ListCondition[] {
  const conditions: Array<ListCondition | false> = [
    query.since !== undefined && ['event_timestamp >= ?', query.since.getTime()],
    query.level !== undefined && ['level_rank >= ?', threatLevelRank(query.level)],
    query.status !== undefined && ['status = ?', query.status],
  ];
  return conditions.filter((c) => c !== false);
}

/** The conditions of an incident query; `agentCondition` finds an agent in `agent_ids` (engines differ). */
export function incidentConditions(query: IncidentListQuery, agentCondition: string): ListCondition[] {
  const conditions: Array<ListCondition | false> = [
    query.agentId !== undefined && [agentCondition, query.agentId],
    query.status !== undefined && ['status = ?', query.status],
    query.campaign !== undefined && ['campaign = ?', query.campaign ? 1 : 0],
    query.since !== undefined && ['last_seen >= ?', query.since.getTime()],
  ];
  return conditions.filter((c) => c !== false);
}

/** What {@link trainingParameters} needs: the actor's newest event, the reference and the assessed mark. */
export interface TrainingWindow {
  readonly actor: string;
  readonly windowDays: number;
  /** The actor's newest event time. */
  readonly newest: number;
  /** The store's reference mark (`referenceThrough`), if any. */
  readonly reference: number | undefined;
  /** The actor's newest event time at or before the reference mark, or null. */
  readonly referenceNewest: number | null;
  /** The store's `assessedThrough`, if any. */
  readonly through: number | undefined;
}

/**
 * The training query's parameters (both stores run the same query): the recent window before the
 * actor's newest event, the reference window before its newest event of the reference history
 * (empty without one), the assessed-through mark, the level from which events are not learned.
 */
export function trainingParameters(window: TrainingWindow) {
  const span = window.windowDays * 86_400_000;
  const { referenceNewest } = window;
  return {
    actor: window.actor,
    from: window.newest - span,
    reference: window.reference ?? 0,
    // An actor without reference history: an empty range.
    ...(referenceNewest === null
      ? { referenceFrom: 1, referenceNewest: 0 }
      : { referenceFrom: referenceNewest - span, referenceNewest }),
    // Before detection first ran on this log, everything in it is history.
    through: window.through ?? Number.MAX_SAFE_INTEGER,
    belowRank: threatLevelRank(LEARN_BELOW),
  };
}

/**
 * The events of `rows` found (`found`, in any order) that have an actor, in the order of `rows`,
 * and the rows whose event has none. Rows without an event are in neither.
 */
export function splitByActor(
  rows: readonly number[],
  found: readonly EventRow[],
): { items: AssessItem[]; withoutActor: number[] } {
  const byRow = new Map<number, EventRow>();
  for (const r of found) byRow.set(r.id, r);
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

/** A pending verdict's row: the event's columns, the alert's id and status. */
export type FeedbackRow = EventRow & { alert_id: number; verdict: string };

/** Pending verdicts on alerts of events with an actor, as the detector applies them. */
export function toFeedbackItems(rows: readonly FeedbackRow[]): FeedbackItem[] {
  return rows
    .filter((r) => r.actor !== null)
    .map((r) => ({
      alertId: r.alert_id,
      isAnomaly: r.verdict === 'confirmed',
      actor: r.actor!,
      event: rowToEvent(r),
    }));
}

/** The counts of `stats`, one query each, the same SQL on both engines. */
export const STATS_QUERIES = {
  events: 'SELECT COUNT(*) AS n FROM audit_events',
  toolCalls: 'SELECT COUNT(*) AS n FROM tool_calls',
  actors: 'SELECT COUNT(DISTINCT actor) AS n FROM audit_events',
  decisions: 'SELECT outcome AS k, COUNT(*) AS n FROM security_decisions GROUP BY outcome',
  alerts: 'SELECT status AS k, COUNT(*) AS n FROM security_alerts GROUP BY status',
  alertsByLevel: 'SELECT threat_level AS k, COUNT(*) AS n FROM security_alerts GROUP BY threat_level',
  incidents: 'SELECT status AS k, COUNT(*) AS n FROM security_incidents GROUP BY status',
} as const satisfies Record<keyof StoreStats, string>;

/** The rows of each of {@link STATS_QUERIES}. */
export type StatsRows = Record<keyof StoreStats, Array<{ k?: string; n: number }>>;

export function toStats(rows: StatsRows): StoreStats {
  const grouped = (key: keyof StoreStats) => Object.fromEntries(rows[key].map((r) => [r.k!, r.n]));
  const byLevel = grouped('alertsByLevel');
  return {
    events: rows.events[0]?.n ?? 0,
    toolCalls: rows.toolCalls[0]?.n ?? 0,
    actors: rows.actors[0]?.n ?? 0,
    decisions: grouped('decisions'),
    alerts: grouped('alerts'),
    alertsByLevel: Object.fromEntries(THREAT_LEVELS.filter((l) => byLevel[l]).map((l) => [l, byLevel[l]!])),
    incidents: grouped('incidents'),
  };
}
