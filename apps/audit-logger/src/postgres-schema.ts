// The audit store's tables on PostgreSQL: the same tables and columns as SQLite's two files (one
// database here: PostgreSQL has no single write lock to split), with foreign keys and cascades.
// Every statement is `CREATE ... IF NOT EXISTS`: migrating is idempotent, and runs in one
// transaction under an advisory lock, so that processes starting together take turns.
// Tables are unqualified: the store sets the connections' `search_path` to its schema.
// Times are epoch milliseconds (`bigint`), threat levels carry their rank, as in SQLite.

/** The statements that create the tables, in the connection's schema (its `search_path`). */
export const POSTGRES_TABLES: readonly string[] = [
  `CREATE TABLE IF NOT EXISTS audit_events (
      id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      event_id       text NOT NULL UNIQUE,
      correlation_id text,
      session_id     text,
      timestamp      bigint NOT NULL,
      event_type     text NOT NULL,
      actor          text,
      tool_name      text,
      action         text,
      status         text NOT NULL,
      success        boolean NOT NULL,
      duration_ms    double precision,
      resource_count bigint,
      destination    text,
      file_path      text,
      metadata       json NOT NULL,
      logged_at      bigint NOT NULL
    )`,
  `CREATE INDEX IF NOT EXISTS audit_events_timestamp ON audit_events (timestamp)`,
  `CREATE INDEX IF NOT EXISTS audit_events_actor_timestamp ON audit_events (actor, timestamp)`,
  `CREATE INDEX IF NOT EXISTS audit_events_correlation ON audit_events (correlation_id) WHERE correlation_id IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS audit_events_session ON audit_events (session_id) WHERE session_id IS NOT NULL`,
  `CREATE TABLE IF NOT EXISTS tool_calls (
      event_id    text PRIMARY KEY REFERENCES audit_events (event_id) ON DELETE CASCADE,
      tool_name   text NOT NULL,
      arguments   json NOT NULL,
      success     boolean NOT NULL,
      duration_ms double precision
    )`,
  `CREATE INDEX IF NOT EXISTS tool_calls_tool ON tool_calls (tool_name)`,
  `CREATE TABLE IF NOT EXISTS security_decisions (
      event_row    bigint PRIMARY KEY REFERENCES audit_events (id) ON DELETE CASCADE,
      outcome      text NOT NULL CHECK (outcome IN ('assessed', 'skipped', 'failed')),
      reason       text,
      threat_score double precision,
      threat_level text,
      level_rank   smallint,
      is_threat    boolean,
      cold_start   boolean,
      explanation  text,
      decided_at   bigint NOT NULL
    )`,
  `CREATE INDEX IF NOT EXISTS security_decisions_outcome ON security_decisions (outcome) WHERE outcome <> 'assessed'`,
  `CREATE TABLE IF NOT EXISTS security_alerts (
      id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      event_row        bigint NOT NULL UNIQUE REFERENCES audit_events (id) ON DELETE CASCADE,
      event_id         text NOT NULL,
      actor            text,
      event_timestamp  bigint NOT NULL,
      created_at       bigint NOT NULL,
      threat_level     text NOT NULL,
      level_rank       smallint NOT NULL,
      threat_score     double precision NOT NULL,
      tail_probability double precision,
      explanation      text NOT NULL,
      status           text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'false_positive', 'confirmed')),
      feedback_at      bigint,
      feedback_applied boolean NOT NULL DEFAULT false,
      incident_id      text,
      campaign_id      text,
      event_type       text,
      tool             text,
      destination      text,
      path             text,
      session_id       text
    )`,
  `CREATE INDEX IF NOT EXISTS security_alerts_time ON security_alerts (event_timestamp)`,
  `CREATE INDEX IF NOT EXISTS security_alerts_rank_time ON security_alerts (level_rank, event_timestamp)`,
  `CREATE INDEX IF NOT EXISTS security_alerts_tail ON security_alerts (tail_probability, event_timestamp)`,
  `CREATE INDEX IF NOT EXISTS security_alerts_pending_feedback ON security_alerts (id) WHERE status <> 'open' AND NOT feedback_applied`,
  `CREATE INDEX IF NOT EXISTS security_alerts_incident ON security_alerts (incident_id) WHERE incident_id IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS security_alerts_campaign ON security_alerts (campaign_id) WHERE campaign_id IS NOT NULL`,
  `CREATE INDEX IF NOT EXISTS security_alerts_event ON security_alerts (event_id)`,
  // Lists are jsonb arrays (`agent_ids @> '["a-1"]'` finds an agent's incidents).
  `CREATE TABLE IF NOT EXISTS security_incidents (
      id                 text PRIMARY KEY,
      campaign           boolean NOT NULL,
      agent_ids          jsonb NOT NULL,
      first_seen         bigint NOT NULL,
      last_seen          bigint NOT NULL,
      alerts             integer NOT NULL,
      peak_level         text NOT NULL,
      peak_rank          smallint NOT NULL,
      peak_score         double precision NOT NULL,
      tail_probability   double precision NOT NULL,
      reasons            jsonb NOT NULL,
      subjects           jsonb NOT NULL,
      linked             jsonb NOT NULL,
      status             text NOT NULL CHECK (status IN ('open', 'closed', 'resolved')),
      announced_rank     smallint NOT NULL DEFAULT -1,
      resolution         text CHECK (resolution IN ('normal', 'anomaly')),
      resolved_at        bigint,
      resolution_applied boolean NOT NULL DEFAULT true,
      updated_at         bigint NOT NULL
    )`,
  `CREATE INDEX IF NOT EXISTS security_incidents_rank ON security_incidents (tail_probability, last_seen)`,
  `CREATE INDEX IF NOT EXISTS security_incidents_open ON security_incidents (id) WHERE status = 'open'`,
  `CREATE INDEX IF NOT EXISTS security_incidents_pending ON security_incidents (id) WHERE NOT resolution_applied`,
  `CREATE TABLE IF NOT EXISTS detection_state (
      name  text PRIMARY KEY,
      value bigint NOT NULL
    )`,
];
