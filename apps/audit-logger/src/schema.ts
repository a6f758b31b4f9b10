// The database schema, versioned with SQLite's user_version: each migration runs once, in order, in
// one transaction. Times are epoch milliseconds (INTEGER) so ranges use the indexes; threat levels
// are stored with their rank, so "at least high" is a numeric comparison, never a string one.
import type { Database } from 'better-sqlite3';

export const SCHEMA_VERSION = 3;

/**
 * The detector's tables (decisions, alerts) live in a database file of their own beside the log,
 * attached as `security`: SQLite has one write lock per file, so the detection worker stores its
 * verdicts without ever making the logger wait for that lock. `audit.db` -> `audit.security.db`.
 */
export function securityDatabasePath(path: string): string {
  return path.endsWith('.db') ? `${path.slice(0, -3)}.security.db` : `${path}.security.db`;
}

/** The security database's tables, created when missing (idempotent). No foreign keys: SQLite has none across files. */
const SECURITY_TABLES = `
  -- Keyed by the event's row id in audit_events: one cheap row per assessed event.
  CREATE TABLE IF NOT EXISTS security.security_decisions (
    event_row    INTEGER PRIMARY KEY,
    outcome      TEXT NOT NULL CHECK (outcome IN ('assessed', 'skipped', 'failed')),
    reason       TEXT,
    threat_score REAL,
    threat_level TEXT,
    level_rank   INTEGER,
    is_threat    INTEGER,
    cold_start   INTEGER,
    explanation  TEXT,
    decided_at   INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS security.security_decisions_outcome ON security_decisions (outcome) WHERE outcome <> 'assessed';

  CREATE TABLE IF NOT EXISTS security.security_alerts (
    id               INTEGER PRIMARY KEY,
    event_row        INTEGER NOT NULL UNIQUE,
    event_id         TEXT NOT NULL,
    actor            TEXT,
    event_timestamp  INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    threat_level     TEXT NOT NULL,
    level_rank       INTEGER NOT NULL,
    threat_score     REAL NOT NULL,
    explanation      TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'false_positive', 'confirmed')),
    feedback_at      INTEGER,
    feedback_applied INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX IF NOT EXISTS security.security_alerts_time ON security_alerts (event_timestamp);
  CREATE INDEX IF NOT EXISTS security.security_alerts_rank_time ON security_alerts (level_rank, event_timestamp);
  CREATE INDEX IF NOT EXISTS security.security_alerts_pending_feedback ON security_alerts (id) WHERE status <> 'open' AND feedback_applied = 0;

  -- One row per incident (an agent's alerts that belong together) or campaign (one unusual thing at
  -- several agents), as the detector last reported it. Lists JSON arrays; ranked by tail probability.
  CREATE TABLE IF NOT EXISTS security.security_incidents (
    id                 TEXT PRIMARY KEY,
    campaign           INTEGER NOT NULL,
    agent_ids          TEXT NOT NULL,
    first_seen         INTEGER NOT NULL,
    last_seen          INTEGER NOT NULL,
    alerts             INTEGER NOT NULL,
    peak_level         TEXT NOT NULL,
    peak_rank          INTEGER NOT NULL,
    peak_score         REAL NOT NULL,
    tail_probability   REAL NOT NULL,
    reasons            TEXT NOT NULL,
    subjects           TEXT NOT NULL,
    linked             TEXT NOT NULL,
    status             TEXT NOT NULL CHECK (status IN ('open', 'closed', 'resolved')),
    -- The highest level onAlert announced (-1: none yet): each rise is announced once.
    announced_rank     INTEGER NOT NULL DEFAULT -1,
    resolution         TEXT CHECK (resolution IN ('normal', 'anomaly')),
    resolved_at        INTEGER,
    resolution_applied INTEGER NOT NULL DEFAULT 1,
    updated_at         INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS security.security_incidents_rank ON security_incidents (tail_probability, last_seen);
  CREATE INDEX IF NOT EXISTS security.security_incidents_open ON security_incidents (id) WHERE status = 'open';
  CREATE INDEX IF NOT EXISTS security.security_incidents_pending ON security_incidents (id) WHERE resolution_applied = 0;

  -- 'assessed_through': every event row up to it was assessed, or has a decision saying why not.
  CREATE TABLE IF NOT EXISTS security.detection_state (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;
`;

/**
 * Columns of `security_alerts` added in version 3, added when missing (the security file can be
 * older than the log's version, or new): the incident and campaign the alert belongs to, its tail
 * probability (what alerts are ranked by; null for alerts stored before), and the event's context.
 */
const ALERT_COLUMNS_V3: ReadonlyArray<readonly [name: string, type: string]> = [
  ['incident_id', 'TEXT'],
  ['campaign_id', 'TEXT'],
  ['tail_probability', 'REAL'],
  ['event_type', 'TEXT'],
  ['tool', 'TEXT'],
  ['destination', 'TEXT'],
  ['path', 'TEXT'],
  ['session_id', 'TEXT'],
];

const ALERT_INDEXES_V3 = `
  CREATE INDEX IF NOT EXISTS security.security_alerts_tail ON security_alerts (tail_probability, event_timestamp);
  CREATE INDEX IF NOT EXISTS security.security_alerts_incident ON security_alerts (incident_id) WHERE incident_id IS NOT NULL;
  CREATE INDEX IF NOT EXISTS security.security_alerts_campaign ON security_alerts (campaign_id) WHERE campaign_id IS NOT NULL;
  CREATE INDEX IF NOT EXISTS security.security_alerts_event ON security_alerts (event_id);
`;

/** The security file's tables and columns, created or added when missing (idempotent). */
function ensureSecurityTables(db: Database): void {
  db.exec(SECURITY_TABLES);
  const present = new Set(
    (db.prepare('PRAGMA security.table_info(security_alerts)').all() as Array<{ name: string }>).map(
      (c) => c.name,
    ),
  );
  for (const [name, type] of ALERT_COLUMNS_V3) {
    if (!present.has(name)) db.exec(`ALTER TABLE security.security_alerts ADD COLUMN ${name} ${type}`);
  }
  db.exec(ALERT_INDEXES_V3);
}

/** The columns of version 1's alerts, which migration 2 copies (later versions add more). */
const ALERT_COLUMNS_V1 = `id, event_row, event_id, actor, event_timestamp, created_at, threat_level, level_rank,
  threat_score, explanation, status, feedback_at, feedback_applied`;

const MIGRATIONS: readonly string[] = [
  // 1: events, tool calls, decisions, alerts.
  `
  CREATE TABLE audit_events (
    id             INTEGER PRIMARY KEY,
    event_id       TEXT NOT NULL UNIQUE,
    correlation_id TEXT,
    session_id     TEXT,
    timestamp      INTEGER NOT NULL,
    event_type     TEXT NOT NULL,
    actor          TEXT,
    tool_name      TEXT,
    action         TEXT,
    status         TEXT NOT NULL,
    success        INTEGER NOT NULL,
    duration_ms    REAL,
    resource_count INTEGER,
    destination    TEXT,
    file_path      TEXT,
    metadata       TEXT NOT NULL,
    logged_at      INTEGER NOT NULL
  );
  CREATE INDEX audit_events_timestamp ON audit_events (timestamp);
  CREATE INDEX audit_events_actor_timestamp ON audit_events (actor, timestamp);
  CREATE INDEX audit_events_correlation ON audit_events (correlation_id) WHERE correlation_id IS NOT NULL;
  CREATE INDEX audit_events_session ON audit_events (session_id) WHERE session_id IS NOT NULL;

  CREATE TABLE tool_calls (
    event_id    TEXT PRIMARY KEY REFERENCES audit_events (event_id),
    tool_name   TEXT NOT NULL,
    arguments   TEXT NOT NULL,
    success     INTEGER NOT NULL,
    duration_ms REAL
  );
  CREATE INDEX tool_calls_tool ON tool_calls (tool_name);

  -- Keyed by the event's row id (the table's own rowid): one cheap row per assessed event.
  CREATE TABLE security_decisions (
    event_row    INTEGER PRIMARY KEY REFERENCES audit_events (id),
    outcome      TEXT NOT NULL CHECK (outcome IN ('assessed', 'skipped', 'failed')),
    reason       TEXT,
    threat_score REAL,
    threat_level TEXT,
    level_rank   INTEGER,
    is_threat    INTEGER,
    cold_start   INTEGER,
    explanation  TEXT,
    decided_at   INTEGER NOT NULL
  );
  CREATE INDEX security_decisions_outcome ON security_decisions (outcome) WHERE outcome <> 'assessed';

  CREATE TABLE security_alerts (
    id               INTEGER PRIMARY KEY,
    event_row        INTEGER NOT NULL UNIQUE REFERENCES audit_events (id),
    event_id         TEXT NOT NULL,
    actor            TEXT,
    event_timestamp  INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    threat_level     TEXT NOT NULL,
    level_rank       INTEGER NOT NULL,
    threat_score     REAL NOT NULL,
    explanation      TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'false_positive', 'confirmed')),
    feedback_at      INTEGER,
    feedback_applied INTEGER NOT NULL DEFAULT 0
  );
  CREATE INDEX security_alerts_time ON security_alerts (event_timestamp);
  CREATE INDEX security_alerts_rank_time ON security_alerts (level_rank, event_timestamp);
  CREATE INDEX security_alerts_pending_feedback ON security_alerts (id) WHERE status <> 'open' AND feedback_applied = 0;
  `,
  // 2: decisions and alerts move to the security database (created before migrating); rows copied.
  `
  INSERT OR IGNORE INTO security.security_decisions SELECT * FROM main.security_decisions;
  INSERT OR IGNORE INTO security.security_alerts (${ALERT_COLUMNS_V1})
    SELECT ${ALERT_COLUMNS_V1} FROM main.security_alerts;
  DROP TABLE main.security_decisions;
  DROP TABLE main.security_alerts;
  `,
  // 3: incidents (the table is created with the security file's others); alerts stored before get
  // their event's context (their incident and tail probability stay unknown: null).
  `
  UPDATE security.security_alerts AS a SET
    event_type = e.event_type, tool = e.tool_name, destination = e.destination, path = e.file_path,
    session_id = e.session_id
  FROM main.audit_events AS e WHERE e.id = a.event_row AND a.event_type IS NULL;
  `,
];

/**
 * Brings the database (with the security database attached as `security`) to {@link SCHEMA_VERSION}
 * (or to `target`, for tests of upgrades).
 * @throws {Error} a database written by a newer version of this logger.
 */
export function migrate(db: Database, target = SCHEMA_VERSION): void {
  ensureSecurityTables(db);
  const current = db.pragma('main.user_version', { simple: true }) as number;
  if (current > SCHEMA_VERSION) {
    throw new Error(
      `the audit database has schema version ${current}, newer than this logger's ${SCHEMA_VERSION}: upgrade the logger`,
    );
  }
  for (let version = current + 1; version <= target; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version - 1]!);
      db.pragma(`main.user_version = ${version}`);
    })();
  }
}
