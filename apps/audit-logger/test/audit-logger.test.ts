import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '@harombe/security-ml';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  AnomalyPlugin,
  AuditLogger,
  migrate,
  SCHEMA_VERSION,
  SqliteAuditStore,
  securityDatabasePath,
} from '../src/index.js';
import { tempDir } from './helpers.js';

const at = Date.UTC(2026, 1, 2, 10);

describe('AuditLogger storage', () => {
  it('creates a versioned WAL database with the tables and indexes the queries use', async () => {
    const dir = await tempDir();
    const logger = await AuditLogger.open({ path: join(dir, 'audit.db') });
    const db = logger.store.db;
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    // The log and, in a file of its own, the detector's decisions and alerts: both WAL.
    expect(db.pragma('main.journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('security.journal_mode', { simple: true })).toBe('wal');
    const tables = (schema: string) =>
      (
        db
          .prepare(`SELECT name FROM ${schema}.sqlite_master WHERE type = 'table' ORDER BY name`)
          .all() as Array<{
          name: string;
        }>
      ).map((t) => t.name);
    expect(tables('main')).toEqual(['audit_events', 'tool_calls']);
    expect(tables('security')).toEqual([
      'detection_state',
      'security_alerts',
      'security_decisions',
      'security_incidents',
    ]);
    expect(existsSync(join(dir, 'audit.security.db'))).toBe(true);
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as Array<{ detail: string }>)
        .map((r) => r.detail)
        .join(' | ');
    expect(plan('SELECT * FROM security_alerts WHERE level_rank >= 3 AND event_timestamp >= 0')).toMatch(
      /USING INDEX/,
    );
    expect(plan("SELECT * FROM audit_events WHERE actor = 'a' AND timestamp >= 0")).toMatch(
      /USING INDEX audit_events_actor_timestamp/,
    );
    // An event's alert: through the events' unique id, then the alert's unique row reference.
    expect(
      plan(
        "SELECT a.* FROM audit_events e JOIN security_alerts a ON a.event_row = e.id WHERE e.event_id = 'x'",
      ),
    ).not.toMatch(/SCAN/);
    // An incident's alerts, and incidents most serious first: through indexes, never a scan of alerts.
    expect(plan("SELECT * FROM security_alerts WHERE incident_id = 'x' OR campaign_id = 'x'")).not.toMatch(
      /SCAN/,
    );
    expect(plan('SELECT * FROM security_alerts ORDER BY tail_probability LIMIT 5')).toMatch(
      /security_alerts_tail/,
    );
    expect(
      plan('SELECT * FROM security_incidents ORDER BY tail_probability, last_seen DESC LIMIT 5'),
    ).toMatch(/security_incidents_rank/);
    await logger.close();
    // Reopening a current database changes nothing; a newer one is refused.
    const again = await AuditLogger.open({ path: join(dir, 'audit.db') });
    again.store.db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    await again.close();
    await expect(AuditLogger.open({ path: join(dir, 'audit.db') })).rejects.toThrow(/newer than this logger/);
  });

  it('opens both files read-only for readers, and refuses a missing log', async () => {
    const dir = await tempDir();
    const path = join(dir, 'audit.db');
    const logger = await AuditLogger.open({ path });
    const { id } = logger.log({ timestamp: at, event_type: 'tool_call', actor: 'a-1' });
    logger.store.recordDecisions(
      [{ eventRow: id, outcome: 'assessed', threatScore: 0.97, threatLevel: 'critical', isThreat: true }],
      'low',
      at,
    );
    const reader = SqliteAuditStore.open(path, { mode: 'read' });
    expect(reader.alerts()).toMatchObject([{ actor: 'a-1', threatLevel: 'critical' }]);
    expect(reader.stats().events).toBe(1);
    expect(() => reader.setFeedback(1, 'confirmed', at)).toThrow(/readonly/);
    reader.close();
    await logger.close();
    expect(() => SqliteAuditStore.open(join(dir, 'nope.db'), { mode: 'read' })).toThrow();
    expect(() => SqliteAuditStore.open(join(dir, 'nope.db'), { mode: 'detect' })).toThrow();
  });

  it('upgrades a version 1 database: its decisions and alerts move to the security database', async () => {
    const dir = await tempDir();
    const path = join(dir, 'audit.db');
    const v1 = new Database(path);
    v1.prepare('ATTACH DATABASE ? AS security').run(securityDatabasePath(path));
    migrate(v1, 1);
    v1.prepare(
      `INSERT INTO audit_events (id, event_id, timestamp, event_type, actor, status, success, metadata, logged_at)
       VALUES (1, 'e-1', ?, 'tool_call', 'a-1', 'success', 1, '{}', ?)`,
    ).run(at, at);
    v1.prepare(
      `INSERT INTO main.security_decisions (event_row, outcome, threat_score, threat_level, level_rank, is_threat, explanation, decided_at)
       VALUES (1, 'assessed', 0.97, 'critical', 4, 1, 'why', ?)`,
    ).run(at);
    v1.prepare(
      `INSERT INTO main.security_alerts (event_row, event_id, actor, event_timestamp, created_at, threat_level, level_rank, threat_score, explanation)
       VALUES (1, 'e-1', 'a-1', ?, ?, 'critical', 4, 0.97, 'why')`,
    ).run(at, at);
    expect(v1.pragma('main.user_version', { simple: true })).toBe(1);
    v1.close();

    const logger = await AuditLogger.open({ path });
    expect(logger.store.db.pragma('main.user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(logger.alerts()).toMatchObject([{ eventId: 'e-1', threatLevel: 'critical', explanation: 'why' }]);
    expect(logger.store.stats().decisions).toEqual({ assessed: 1 });
    const mainTables = logger.store.db
      .prepare("SELECT name FROM main.sqlite_master WHERE type = 'table' AND name LIKE 'security_%'")
      .all();
    expect(mainTables).toEqual([]);
    await logger.close();
  });

  it('stores every field of an event, and the tool call with its arguments', async () => {
    const dir = await tempDir();
    const logger = await AuditLogger.open({ path: join(dir, 'audit.db'), clock: () => at + 5 });
    const logged = logger.log(
      {
        event_id: 'e-1',
        correlation_id: 'c-1',
        session_id: 's-1',
        timestamp: new Date(at).toISOString(),
        event_type: 'tool_call',
        actor: 'agent-7',
        tool_name: 'web_fetch',
        action: 'GET /docs',
        status: 'error',
        duration_ms: 42.5,
        destination_domain: 'docs.example.org',
        metadata: { attempt: 2 },
      },
      { arguments: { url: 'https://docs.example.org/x', headers: { authorization: 'Bearer abcdefghijkl' } } },
    );
    expect(logged).toMatchObject({ eventId: 'e-1', actor: 'agent-7', timestamp: at });
    const row = logger.store.db.prepare('SELECT * FROM audit_events WHERE event_id = ?').get('e-1');
    expect(row).toMatchObject({
      correlation_id: 'c-1',
      session_id: 's-1',
      timestamp: at,
      event_type: 'tool_call',
      actor: 'agent-7',
      tool_name: 'web_fetch',
      action: 'GET /docs',
      status: 'error',
      success: 0,
      duration_ms: 42.5,
      destination: 'docs.example.org',
      metadata: '{"attempt":2}',
      logged_at: at + 5,
    });
    const call = logger.store.db.prepare('SELECT * FROM tool_calls WHERE event_id = ?').get('e-1') as {
      arguments: string;
    };
    expect(JSON.parse(call.arguments)).toEqual({
      url: 'https://docs.example.org/x',
      headers: { authorization: '[REDACTED:secret]' },
    });
    expect(logger.store.event('e-1')).toEqual(logged.event);
    await logger.close();
  });

  it('gives events without an id one, and rejects invalid events without storing them', async () => {
    const dir = await tempDir();
    const logger = await AuditLogger.open({ path: join(dir, 'audit.db') });
    const logged = logger.log({ timestamp: at, event_type: 'login', actor: 'a' });
    expect(logged.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(() => logger.log({ timestamp: at, event_type: 'x', duration_ms: -5 })).toThrow(ValidationError);
    expect(() => logger.log({ timestamp: at, event_type: 'x', duration_ms: -5 })).toThrow(/duration_ms/);
    expect(logger.store.stats().events).toBe(1);
    await logger.close();
  });

  it('never writes a secret to disk: not in the database, not in its write-ahead log', async () => {
    const dir = await tempDir();
    const logger = await AuditLogger.open({ path: join(dir, 'audit.db') });
    const secrets = [
      'AKIAIOSFODNN7EXAMPLE',
      'sk-proj-4fQ9xZ2mLr7Tn1Kp8Wd3Ya6Bc5Ef0GhJ',
      'hunter2-is-my-password',
      '4111 1111 1111 1111',
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ',
      'MIIEowIBAAKCAQEA7bq98W6jS2n0Fq3m',
    ];
    logger.log(
      {
        timestamp: at,
        event_type: 'tool_call',
        actor: 'a',
        tool_name: 'shell',
        action: `export AWS_ACCESS_KEY_ID=${secrets[0]} && curl -H "Authorization: Bearer ${secrets[4]}"`,
        file_path: `/tmp/password=${secrets[2]}`,
        metadata: {
          env: { OPENAI_API_KEY: secrets[1] },
          prompt: `pay with ${secrets[3]}`,
          key: `-----BEGIN PRIVATE KEY-----\n${secrets[5]}\n-----END PRIVATE KEY-----`,
        },
      },
      { arguments: { password: secrets[2], text: `token ${secrets[1]}` } },
    );
    await logger.close();
    const bytes = readdirSync(dir)
      .map((f) => readFileSync(join(dir, f)).toString('latin1'))
      .join('');
    for (const secret of secrets) expect(bytes, secret).not.toContain(secret);
    expect(bytes).toContain('[REDACTED:');
  });

  it('lets other connections read while it writes (WAL)', async () => {
    const dir = await tempDir();
    const path = join(dir, 'audit.db');
    const logger = await AuditLogger.open({ path });
    const reader = new Database(path, { readonly: true });
    const count = reader.prepare('SELECT COUNT(*) AS n FROM audit_events');
    let seen = 0;
    for (let i = 0; i < 500; i++) {
      logger.log({ timestamp: at + i, event_type: 'tool_call', actor: 'a' });
      if (i % 50 === 49) {
        const n = (count.get() as { n: number }).n;
        expect(n).toBeGreaterThan(seen);
        seen = n;
      }
    }
    expect(seen).toBe(500);
    reader.close();
    await logger.close();
  });
});

describe('options', () => {
  it('are validated, naming the option and the problem', async () => {
    await expect(AuditLogger.open({ path: '' })).rejects.toThrow(/AuditLogger options\.path/);
    await expect(AuditLogger.open({ path: 'x.db', durability: 'sometimes' as 'full' })).rejects.toThrow(
      /AuditLogger options\.durability/,
    );
    expect(() => new AnomalyPlugin({ queueCapacity: 0 })).toThrow(/AnomalyPlugin options\.queueCapacity/);
    expect(() => new AnomalyPlugin({ alertAt: 'severe' as 'high' })).toThrow(
      /AnomalyPlugin options\.alertAt/,
    );
    expect(() => new AnomalyPlugin({ retainForever: true } as never)).toThrow(/AnomalyPlugin options/);
    expect(() => new AnomalyPlugin({ onAlert: 'page me' as never })).toThrow(/expected a function/);
  });
});
