// The audit store's port: what the logger, the anomaly plugin, the detection engine and worker and
// the CLI ask of the database, and the records they exchange. Two implementations: SQLite (the
// default, embedded, synchronous: `SqliteAuditStore`) and PostgreSQL (several processes on one
// database, asynchronous: `PostgresAuditStore`). A method returns its answer or a promise of it
// (`Awaitable`): callers that serve both await it; callers that hold the SQLite store use it as is.
import type { Incident, IncidentRef, SecurityEventInput, ThreatLevel } from '@harombe/security-ml';

/** An event in the columns of `audit_events` (both engines), with its row id. */
export interface EventRow {
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

/** A row to insert: a parsed (and redacted) event in the table's columns. */
export type NewEventRow = Omit<EventRow, 'id'>;

/** A value, or a promise of it: SQLite answers at once, PostgreSQL later. */
export type Awaitable<T> = T | Promise<T>;

/**
 * Events assessed at this level or above are never learned as normal by retraining (see
 * {@link AuditStore.trainingEvents}), unless an analyst calls them false positives; the detection
 * engine stores a decision for each of them so that retraining can tell. LOW (a calibrated score of
 * 0.5) is a cut below the alert threshold (0.7): an attacker drifting toward the tail in steps too
 * small to alert still scores LOW, and those steps are not learned.
 */
export const LEARN_BELOW: ThreatLevel = 'low';

/** An event to assess: its row id, its actor and the event. */
export interface AssessItem {
  /** The event's row id. */
  readonly eventRow: number;
  readonly actor: string;
  readonly event: SecurityEventInput;
}

/** An event as stored: redacted, with its row id. */
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
 * What `onAlert` receives: the alert that opened an incident, raised its level or brought it a new
 * finding (an {@link Alert},
 * so callers that take alerts keep working), with the incident.
 */
export interface AlertNotice extends Alert {
  /** The agent's incident or the campaign, as stored after the alert's batch. */
  readonly incident: IncidentRecord;
  /**
   * `opened`: the first alert of the incident announced; `escalated`: its level rose; `finding`: it
   * brought the announced incident something new about what the agent touched (a credential
   * location, a file, an action, what was sent to a destination) at the same level.
   */
  readonly change: 'opened' | 'escalated' | 'finding';
  /** The incident's level with this alert. */
  readonly incidentLevel: ThreatLevel;
}

/** What {@link AuditStore.recordDecisions} stored: the new alerts, and those to announce. */
export interface RecordedBatch {
  readonly alerts: Alert[];
  readonly notices: AlertNotice[];
}

/** What {@link AuditStore.insertEvent} did: the event's row id, and whether it was there already. */
export interface InsertedEvent {
  readonly id: number;
  /** The event id was already stored: nothing was written, `id` is the stored row's. */
  readonly duplicate: boolean;
}

/** An analyst's verdict on an alert, not yet applied to the detector, with its event. */
export interface FeedbackItem {
  readonly alertId: number;
  readonly actor: string;
  readonly event: SecurityEventInput;
  readonly isAnomaly: boolean;
}

/** An incident resolved by an analyst, not yet applied to the detector, with its agents. */
export interface PendingResolution {
  readonly id: string;
  readonly agentIds: string[];
}

/** Counts for `harombe-audit stats`. */
export interface StoreStats {
  events: number;
  toolCalls: number;
  actors: number;
  decisions: Record<string, number>;
  alerts: Record<string, number>;
  alertsByLevel: Record<string, number>;
  incidents: Record<string, number>;
}

/** What {@link AuditStore.deleteBefore} removed. */
export interface RetentionOutcome {
  /** Event time (epoch ms) before which events were deleted. */
  readonly before: number;
  readonly events: number;
  readonly alerts: number;
  readonly incidents: number;
}

/** What {@link AuditStore.lead} did: ran the task as the leader, or found another leader. */
export type LeadOutcome<T> = { readonly led: true; readonly value: T } | { readonly led: false };

/**
 * The audit store. Row ids (`LoggedEvent.id`, `DecisionRecord.eventRow`) grow with the order events
 * are committed in. Times are epoch milliseconds. Every write is idempotent where a retry can
 * happen: an event by its event id, a decision and an alert by their event.
 */
export interface AuditStore {
  /** Which engine: `sqlite` (one machine) or `postgres` (several processes on one database). */
  readonly engine: 'sqlite' | 'postgres';

  /**
   * Stores an event row (and its tool call) in one transaction, unless its event id is stored
   * already: then nothing is written and the stored row's id is returned, `duplicate: true`.
   * @throws {AuditInputError} `AUDIT_NOT_JSON`: arguments JSON cannot hold. Nothing is stored.
   */
  insertEvent(row: NewEventRow, loggedAt: number, toolCall?: ToolCallRecord): Awaitable<InsertedEvent>;
  /** The stored (redacted) event of an event id. */
  event(eventId: string): Awaitable<SecurityEventInput | undefined>;

  /**
   * Stores decisions and, in one transaction: an alert for each threat at or above `alertAt` (and
   * for each event of a campaign at or above it, a threat or not), carrying its incident, tail and
   * the event's context; the incidents and campaigns of `incidents` (the detector's view after the
   * batch) that have an alert stored; and, with `through`, that every event row up to it is now
   * decided (see {@link assessedThrough}). Returns the alerts created and those to announce: the
   * alert that opened an incident or raised its level above what was announced before (once per
   * rise, across batches and restarts: the announced level is stored).
   */
  recordDecisions(
    decisions: readonly DecisionRecord[],
    alertAt: ThreatLevel,
    now: number,
    through?: number,
    incidents?: ReadonlyMap<string, Incident>,
  ): Awaitable<RecordedBatch>;

  /** Alerts, most serious first (smallest tail probability, then newest). */
  alerts(query?: AlertQuery): Awaitable<Alert[]>;
  alert(id: number): Awaitable<Alert | undefined>;
  /** The alert an event raised, if any. */
  alertOf(eventId: string): Awaitable<Alert | undefined>;
  /** Records an analyst's verdict on an alert; the detector applies it (see `pendingFeedback`). False: no such alert. */
  setFeedback(alertId: number, verdict: Exclude<AlertStatus, 'open'>, now: number): Awaitable<boolean>;
  /** Verdicts not yet applied to the detector, with their events, in the order of the alerts. */
  pendingFeedback(): Awaitable<FeedbackItem[]>;
  markFeedbackApplied(alertIds: readonly number[]): Awaitable<void>;

  /** Incidents and campaigns, most serious first (smallest tail probability, then latest). */
  incidents(query?: IncidentListQuery): Awaitable<IncidentRecord[]>;
  incident(id: string): Awaitable<IncidentRecord | undefined>;
  /** The alerts of an incident (or campaign), most serious first. */
  incidentAlerts(id: string): Awaitable<Alert[]>;
  /** Incidents whose stored status is `open` (the detection engine refreshes them after each batch). */
  openIncidents(): Awaitable<Array<{ id: string; campaign: boolean; lastSeen: number }>>;
  /** Marks an open incident closed (the detector no longer tracks it). */
  closeIncident(id: string, now: number): Awaitable<void>;
  /**
   * Resolves an incident: later alerts open a new one. With a verdict, its open alerts become false
   * positives (`normal`) or confirmed (`anomaly`), applied to the detector like any alert's feedback.
   * False when there is no such incident.
   */
  resolveIncident(id: string, verdict: IncidentVerdict | undefined, now: number): Awaitable<boolean>;
  /** Resolutions the detector has not applied yet, with the incidents' agents. */
  pendingResolutions(): Awaitable<PendingResolution[]>;
  markResolutionApplied(ids: readonly string[]): Awaitable<void>;

  /** Actors of the log, in order. */
  actors(): Awaitable<string[]>;
  /**
   * What retraining learns as the actor's normal behaviour (see the SQLite store for the rule, which
   * both stores implement alike): events known to be normal in the recent and the reference window.
   */
  trainingEvents(actor: string, windowDays: number): Awaitable<SecurityEventInput[]>;
  /** The events of these rows that have an actor, in the order given, and the rows whose event has none. */
  eventsByRows(rows: readonly number[]): Awaitable<{ items: AssessItem[]; withoutActor: number[] }>;
  /** The event row up to which every event was assessed or has a decision saying why not. */
  assessedThrough(): Awaitable<number | undefined>;
  /** The event row up to which the log was history when detection first ran (retraining's reference). */
  referenceThrough(): Awaitable<number | undefined>;
  /** Makes the history up to {@link assessedThrough} the reference, once. */
  markReference(): Awaitable<void>;
  /**
   * Brings {@link assessedThrough} up to the newest event; events after it are stored as skipped
   * with `reason` (or, `reason` undefined, left as history). Returns how many were marked skipped.
   */
  catchUp(reason: string | undefined, now: number): Awaitable<number>;
  /** Rows of events whose assessment was skipped or failed (and that have an actor), oldest first. */
  unassessed(limit: number): Awaitable<number[]>;

  /**
   * Retention: deletes the events whose time is before `before` (epoch ms), with their tool calls,
   * decisions and alerts, and the incidents that are not open and whose last alert is before it.
   */
  deleteBefore(before: number): Awaitable<RetentionOutcome>;
  /** The newest event's time (epoch ms), or undefined for an empty log: retention counts back from it. */
  newestEventTime(): Awaitable<number | undefined>;

  /**
   * Runs `task` as the one leader for `name` among the processes sharing this store, or not at all
   * (`led: false`) while another leads. SQLite has one process: it always leads.
   */
  lead<T>(name: string, task: () => Promise<T>): Promise<LeadOutcome<T>>;

  stats(): Awaitable<StoreStats>;
  close(): Awaitable<void>;
}
