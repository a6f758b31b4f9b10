// The database schema, versioned with SQLite's user_version: each migration runs once, in order, in
// one transaction. Times are epoch milliseconds (INTEGER) so ranges use the indexes; threat levels
// are stored with their rank, so "at least high" is a numeric comparison, never a string one.
import type { Database } from 'better-sqlite3';

export const SCHEMA_VERSION = 2;

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

  -- 'assessed_through': every event row up to it was assessed, or has a decision saying why not.
  CREATE TABLE IF NOT EXISTS security.detection_state (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  ) WITHOUT ROWID;
`;

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
  INSERT OR IGNORE INTO security.security_alerts SELECT * FROM main.security_alerts;
  DROP TABLE main.security_decisions;
  DROP TABLE main.security_alerts;
  `,
];

/**
 * Brings the database (with the security database attached as `security`) to {@link SCHEMA_VERSION}
 * (or to `target`, for tests of upgrades).
 * @throws {Error} a database written by a newer version of this logger.
 */
export function migrate(db: Database, target = SCHEMA_VERSION): void {
  db.exec(SECURITY_TABLES);
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
