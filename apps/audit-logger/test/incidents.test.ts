import { join } from 'node:path';
import type { Incident, IncidentRef, ThreatLevel } from '@harombe/security-ml';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import {
  AuditLogger,
  type DecisionRecord,
  DetectionEngine,
  migrate,
  SCHEMA_VERSION,
  securityDatabasePath,
} from '../src/index.js';
import { tempDir } from './helpers.js';

const at = Date.UTC(2026, 1, 2, 10);

/** The detector's view of an incident of agent a-1, at a level, with these events. */
function incident(
  id: string,
  level: ThreatLevel,
  tail: number,
  eventIds: string[],
  campaign = false,
): Incident {
  return {
    id,
    agentIds: campaign ? ['a-1', 'a-2'] : ['a-1'],
    firstSeen: new Date(at),
    lastSeen: new Date(at + eventIds.length * 60_000),
    alerts: eventIds.length,
    peakLevel: level,
    peakScore: 0.9,
    tailProbability: tail,
    reasons: ['unusual calls in the last hour'],
    campaign,
    status: 'open',
    eventIds,
    subjects: ['tool web_fetch'],
    linked: [],
  };
}

function threat(eventRow: number, level: ThreatLevel, tail: number, ref: IncidentRef | null): DecisionRecord {
  return {
    eventRow,
    outcome: 'assessed',
    threatScore: 0.9,
    threatLevel: level,
    isThreat: true,
    tailProbability: tail,
    explanation: `event ${eventRow}`,
    incident: ref,
    campaign: null,
  };
}

async function loggerWithEvents(n: number): Promise<{ logger: AuditLogger; rows: number[] }> {
  const logger = await AuditLogger.open({ path: join(await tempDir(), 'audit.db'), clock: () => at });
  const rows: number[] = [];
  for (let i = 0; i < n; i++) {
    rows.push(
      logger.log({
        event_id: `e-${i}`,
        timestamp: at + i * 60_000,
        event_type: 'tool_call',
        actor: i < 4 ? 'a-1' : 'a-2',
        tool_name: 'web_fetch',
        destination_domain: `host-${i}.example.org`,
        session_id: `s-${i}`,
      }).id,
    );
  }
  return { logger, rows };
}

describe('incidents in the store', () => {
  it('stores one row per incident, each alert referencing it with its tail and event context', async () => {
    const { logger, rows } = await loggerWithEvents(3);
    const ref = (opened: boolean): IncidentRef => ({
      id: 'a-1/x',
      opened,
      escalated: opened,
      level: 'medium',
      finding: false,
    });
    const { alerts, notices } = logger.store.recordDecisions(
      [threat(rows[0]!, 'medium', 0.004, ref(true)), threat(rows[1]!, 'medium', 0.002, ref(false))],
      'low',
      at,
      undefined,
      new Map([['a-1/x', incident('a-1/x', 'medium', 0.002, ['e-0', 'e-1'])]]),
    );
    expect(alerts).toHaveLength(2);
    expect(alerts[0]).toMatchObject({
      incidentId: 'a-1/x',
      campaignId: null,
      tailProbability: 0.004,
      context: {
        eventType: 'tool_call',
        tool: 'web_fetch',
        destination: 'host-0.example.org',
        path: null,
        sessionId: 's-0',
      },
    });
    // Opened once: the second alert joined at the same level and is not announced.
    expect(notices.map((n) => [n.eventId, n.change, n.incidentLevel])).toEqual([['e-0', 'opened', 'medium']]);
    expect(notices[0]!.incident).toMatchObject({ id: 'a-1/x', alerts: 2, agentIds: ['a-1'], status: 'open' });
    expect(logger.incidents()).toMatchObject([{ id: 'a-1/x', peakLevel: 'medium', tailProbability: 0.002 }]);
    // Alerts rank by tail probability, not by the order they came or their (equal) scores.
    expect(logger.alerts().map((a) => a.eventId)).toEqual(['e-1', 'e-0']);
    expect(logger.incident('a-1/x')!.alerts.map((a) => a.eventId)).toEqual(['e-1', 'e-0']);
    await logger.close();
  });

  it('announces an escalation once per rise of the level, across batches and restarts', async () => {
    const { logger, rows } = await loggerWithEvents(4);
    const path = logger.path;
    const record = (row: number, level: ThreatLevel, ids: string[]) =>
      logger.store.recordDecisions(
        [threat(row, level, 0.001, { id: 'a-1/y', opened: false, escalated: true, level, finding: false })],
        'low',
        at,
        undefined,
        new Map([['a-1/y', incident('a-1/y', level, 0.001, ids)]]),
      ).notices;
    expect(record(rows[0]!, 'medium', ['e-0']).map((n) => n.change)).toEqual(['opened']);
    expect(record(rows[1]!, 'medium', ['e-0', 'e-1'])).toEqual([]);
    const escalated = record(rows[2]!, 'critical', ['e-0', 'e-1', 'e-2']);
    expect(escalated.map((n) => [n.change, n.incidentLevel])).toEqual([['escalated', 'critical']]);
    await logger.close();
    // The announced level is stored: a new process does not announce it again.
    const again = await AuditLogger.open({ path });
    const notices = again.store.recordDecisions(
      [
        threat(rows[3]!, 'critical', 0.001, {
          id: 'a-1/y',
          opened: false,
          escalated: true,
          level: 'critical',
          finding: false,
        }),
      ],
      'low',
      at,
      undefined,
      new Map([['a-1/y', incident('a-1/y', 'critical', 0.001, ['e-0', 'e-1', 'e-2', 'e-3'])]]),
    ).notices;
    expect(notices).toEqual([]);
    expect(again.incidents()[0]).toMatchObject({ alerts: 4, peakLevel: 'critical' });
    await again.close();
  });

  it('announces a new finding about what the agent touched at the same level, and no repeat of it', async () => {
    const { logger, rows } = await loggerWithEvents(4);
    const record = (row: number, ref: Omit<IncidentRef, 'id' | 'level'>, ids: string[]) =>
      logger.store.recordDecisions(
        [threat(row, 'high', 0.001, { id: 'a-1/f', level: 'high', ...ref })],
        'low',
        at,
        undefined,
        new Map([['a-1/f', incident('a-1/f', 'high', 0.001, ids)]]),
      ).notices;
    const plain = { opened: false, escalated: false, finding: false };
    expect(
      record(rows[0]!, { ...plain, opened: true, escalated: true }, ['e-0']).map((n) => n.change),
    ).toEqual(['opened']);
    expect(record(rows[1]!, plain, ['e-0', 'e-1'])).toEqual([]);
    // A secret read joining the burst's incident at its level: heard of, once.
    const finding = record(rows[2]!, { ...plain, finding: true }, ['e-0', 'e-1', 'e-2']);
    expect(finding.map((n) => [n.eventId, n.change, n.incidentLevel])).toEqual([['e-2', 'finding', 'high']]);
    expect(record(rows[3]!, plain, ['e-0', 'e-1', 'e-2', 'e-3'])).toEqual([]);
    await logger.close();
  });

  it("stores a campaign's event as an alert even when it is no threat itself, and links earlier alerts", async () => {
    const { logger, rows } = await loggerWithEvents(6);
    // a-1's event alerted on its own first; a-2's mild event then made it a campaign.
    logger.store.recordDecisions(
      [
        threat(rows[0]!, 'high', 0.001, {
          id: 'a-1/z',
          opened: true,
          escalated: true,
          level: 'high',
          finding: false,
        }),
      ],
      'low',
      at,
      undefined,
      new Map([['a-1/z', incident('a-1/z', 'high', 0.001, ['e-0'])]]),
    );
    const campaignRef: IncidentRef = {
      id: 'campaign/x',
      opened: true,
      escalated: true,
      level: 'high',
      finding: false,
    };
    const { alerts, notices } = logger.store.recordDecisions(
      [
        {
          eventRow: rows[4]!,
          outcome: 'assessed',
          threatScore: 0.4,
          threatLevel: 'none',
          isThreat: false,
          tailProbability: 0.03,
          explanation: 'new destination',
          incident: null,
          campaign: campaignRef,
        },
      ],
      'low',
      at,
      undefined,
      new Map([['campaign/x', incident('campaign/x', 'high', 0.0005, ['e-0', 'e-4'], true)]]),
    );
    // Stored at the campaign's level, not the event's own `none`: a level filter finds it.
    expect(alerts).toMatchObject([
      { eventId: 'e-4', incidentId: null, campaignId: 'campaign/x', threatLevel: 'high' },
    ]);
    expect(logger.alerts({ level: 'high' }).map((a) => a.eventId)).toContain('e-4');
    expect(notices.map((n) => [n.change, n.incident.campaign, n.incident.agentIds])).toEqual([
      ['opened', true, ['a-1', 'a-2']],
    ]);
    expect(
      logger
        .incident('campaign/x')!
        .alerts.map((a) => a.eventId)
        .sort(),
    ).toEqual(['e-0', 'e-4']);
    expect(logger.incidents({ campaign: true }).map((i) => i.id)).toEqual(['campaign/x']);
    expect(logger.incidents({ campaign: false }).map((i) => i.id)).toEqual(['a-1/z']);
    expect(logger.incidents({ agentId: 'a-2' }).map((i) => i.id)).toEqual(['campaign/x']);
    expect(logger.incidents({ limit: 1 }).map((i) => i.id)).toEqual(['campaign/x']);
    await logger.close();
  });

  it('resolves an incident with a verdict on its open alerts, pending for the detector until applied', async () => {
    const { logger, rows } = await loggerWithEvents(3);
    const ref: IncidentRef = { id: 'a-1/r', opened: true, escalated: true, level: 'high', finding: false };
    const { alerts } = logger.store.recordDecisions(
      rows.map((row) => threat(row, 'high', 0.001, ref)),
      'low',
      at,
      undefined,
      new Map([['a-1/r', incident('a-1/r', 'high', 0.001, ['e-0', 'e-1', 'e-2'])]]),
    );
    logger.feedback(alerts[0]!.id, 'confirmed');
    expect(logger.resolveIncident('nope', 'normal')).toBe(false);
    expect(logger.resolveIncident('a-1/r', 'normal')).toBe(true);
    const { incident: resolved, alerts: after } = logger.incident('a-1/r')!;
    expect(resolved).toMatchObject({ status: 'resolved', resolution: 'normal' });
    // The analyst's earlier verdict on one alert stands; the open ones become false positives.
    expect(after.map((a) => a.status).sort()).toEqual(['confirmed', 'false_positive', 'false_positive']);
    expect(logger.store.pendingFeedback().map((f) => f.isAnomaly)).toEqual([true, false, false]);
    expect(logger.store.pendingResolutions()).toEqual([{ id: 'a-1/r', agentIds: ['a-1'] }]);
    logger.store.markResolutionApplied(['a-1/r']);
    expect(logger.store.pendingResolutions()).toEqual([]);
    // The detector still reporting it open does not reopen it.
    logger.store.recordDecisions(
      [],
      'low',
      at,
      undefined,
      new Map([['a-1/r', incident('a-1/r', 'critical', 0.0001, ['e-0'])]]),
    );
    expect(logger.store.incident('a-1/r')).toMatchObject({ status: 'resolved', peakLevel: 'critical' });
    expect(logger.store.stats().incidents).toEqual({ resolved: 1 });
    await logger.close();
  });

  it('upgrades a version 2 database: alerts get their event context, and incidents a table', async () => {
    const dir = await tempDir();
    const path = join(dir, 'audit.db');
    const v2 = new Database(path);
    v2.prepare('ATTACH DATABASE ? AS security').run(securityDatabasePath(path));
    migrate(v2, 2);
    v2.pragma('main.user_version = 2');
    v2.prepare(
      `INSERT INTO audit_events (id, event_id, session_id, timestamp, event_type, actor, tool_name, status, success,
         destination, metadata, logged_at)
       VALUES (1, 'e-1', 's-9', ?, 'tool_call', 'a-1', 'web_fetch', 'success', 1, 'x.example.org', '{}', ?)`,
    ).run(at, at);
    v2.prepare(
      `INSERT INTO security.security_alerts (event_row, event_id, actor, event_timestamp, created_at, threat_level,
         level_rank, threat_score, explanation)
       VALUES (1, 'e-1', 'a-1', ?, ?, 'critical', 4, 0.97, 'why')`,
    ).run(at, at);
    v2.close();
    const logger = await AuditLogger.open({ path });
    expect(logger.store.db.pragma('main.user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(logger.alerts()).toMatchObject([
      {
        eventId: 'e-1',
        tailProbability: null,
        incidentId: null,
        context: { tool: 'web_fetch', destination: 'x.example.org', sessionId: 's-9' },
      },
    ]);
    expect(logger.incidents()).toEqual([]);
    await logger.close();
  });
});

describe('open incidents the detector no longer knows', () => {
  it("are closed once alerts could no longer join them (an agent's weak one, past the week)", async () => {
    const { logger, rows } = await loggerWithEvents(2);
    const ref: IncidentRef = {
      id: 'a-1/old',
      opened: true,
      escalated: true,
      level: 'medium',
      finding: false,
    };
    logger.store.recordDecisions(
      [threat(rows[0]!, 'medium', 0.004, ref)],
      'low',
      at,
      undefined,
      new Map([['a-1/old', incident('a-1/old', 'medium', 0.004, ['e-0'])]]),
    );
    // A later event, within the day: the incident stays open.
    const within = logger.log({ timestamp: at + 20 * 3_600_000, event_type: 'tool_call', actor: 'a-2' }).id;
    const engine = await DetectionEngine.open({
      dbPath: logger.path,
      modelDir: join(await tempDir(), 'models'),
    });
    try {
      await engine.assessAndRecord([within], { all: false, alertAt: 'low', now: at });
      expect(logger.incident('a-1/old')!.incident.status).toBe('open');
      // Two days on, a weak alert may still join it (noise gathers for a week): still open.
      const days = logger.log({ timestamp: at + 50 * 3_600_000, event_type: 'tool_call', actor: 'a-2' }).id;
      await engine.assessAndRecord([days], { all: false, alertAt: 'low', now: at });
      expect(logger.incident('a-1/old')!.incident.status).toBe('open');
      // Eight days on, nothing can join it any more: closed.
      const later = logger.log({
        timestamp: at + 8 * 24 * 3_600_000,
        event_type: 'tool_call',
        actor: 'a-2',
      }).id;
      await engine.assessAndRecord([later], { all: false, alertAt: 'low', now: at });
      expect(logger.incident('a-1/old')!.incident.status).toBe('closed');
    } finally {
      await engine.close();
      await logger.close();
    }
  });
});
