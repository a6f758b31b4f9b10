import { generateFleet } from '@harombe/agent-sim';
import { describe, expect, it } from 'vitest';
import { type AlertFacts, IncidentTracker } from '../src/incidents.js';
import {
  fisherCombined,
  MemoryModelStore,
  ThreatDetector,
  type ThreatDetectorOptions,
  ValidationError,
} from '../src/index.js';
import { HOUR, now, specHistory } from './helpers.js';

const MINUTE = 60_000;

function trained(options: ThreatDetectorOptions = {}, store = new MemoryModelStore()) {
  const threats = new ThreatDetector({ store, contamination: 0.01, seed: 7, ...options });
  threats.train('agent-123', specHistory);
  return threats;
}

/** The spec's anomalous call (3 AM, 50 resources, 5 s, failed, rare type), at `at`. */
const odd = (at: number, extra: Record<string, unknown> = {}) => ({
  timestamp: new Date(at),
  event_type: 'file_operation',
  resource_count: 50,
  duration_ms: 5000,
  success: false,
  ...extra,
});

describe('incidents of one agent', () => {
  it('files alerts close in event time into one incident, and opens another after a quiet day', () => {
    const threats = trained();
    const start = now + 13 * HOUR;
    const refs = [0, 10, 25, 50].map(
      (m, i) => threats.assess('agent-123', odd(start + m * MINUTE, { event_id: `e${i}` })).incident,
    );
    expect(refs.every((r) => r !== null)).toBe(true);
    expect(new Set(refs.map((r) => r!.id)).size).toBe(1);
    expect(refs.map((r) => r!.opened)).toEqual([true, false, false, false]);
    const later = threats.assess('agent-123', odd(start + 3 * 24 * HOUR, { event_id: 'e9' }));
    expect(later.incident!.opened).toBe(true);
    expect(later.incident!.id).not.toBe(refs[0]!.id);
    const [first] = threats.incidents({ agentId: 'agent-123' }).filter((i) => i.id === refs[0]!.id);
    expect(first).toMatchObject({
      agentIds: ['agent-123'],
      alerts: 4,
      campaign: false,
      eventIds: ['e0', 'e1', 'e2', 'e3'],
      firstSeen: new Date(start),
      lastSeen: new Date(start + 50 * MINUTE),
    });
    expect(first!.reasons.length).toBeGreaterThan(0);
    expect(first!.reasons.join(' ')).not.toMatch(/\(\d\.\d\d\)/);
  });

  it('keeps a second, unrelated serious attack later that day apart from the first', () => {
    const threats = trained();
    const morning = threats.assess('agent-123', odd(now + 13 * HOUR, { tool_name: 'shell' })).incident!;
    const evening = threats.assess(
      'agent-123',
      odd(now + 21 * HOUR, {
        event_type: 'network_request',
        tool_name: 'http_post',
        destination_domain: 'drop.example.net',
      }),
    );
    expect(evening.isThreat).toBe(true);
    expect(evening.incident!.opened).toBe(true);
    expect(evening.incident!.id).not.toBe(morning.id);
  });

  it('an event stamped far ahead does not close the open incidents', () => {
    const threats = trained();
    const first = threats.assess('agent-123', odd(now + 13 * HOUR)).incident!;
    const ahead = threats.assess('agent-123', odd(now + 400 * 24 * HOUR));
    expect(ahead.eventTime).toBe('ahead');
    expect(threats.incident(first.id)!.status).toBe('open');
  });

  it('gives every threat an incident and no ordinary event one', () => {
    const threats = trained();
    for (let i = 0; i < 40; i++) {
      const a = threats.assess('agent-123', {
        timestamp: new Date(now + HOUR + i * MINUTE),
        event_type: 'tool_call',
        resource_count: 3,
        duration_ms: 200,
      });
      expect(a.incident === null).toBe(!a.isThreat);
    }
    expect(threats.assess('agent-123', odd(now + 13 * HOUR)).incident).not.toBeNull();
  });

  it('carries the event context in every assessment', () => {
    const threats = trained();
    const a = threats.assess(
      'agent-123',
      odd(now + 13 * HOUR, {
        event_id: 'ev-1',
        tool_name: 'read_file',
        file_path: '/home/u/.ssh/id_rsa',
        session_id: 's-9',
      }),
    );
    expect(a.context).toEqual({
      eventId: 'ev-1',
      eventType: 'file_operation',
      tool: 'read_file',
      path: '/home/u/.ssh/id_rsa',
      sessionId: 's-9',
    });
  });

  it('keeps an open incident across save and load: a later alert joins it', async () => {
    const store = new MemoryModelStore();
    const threats = trained({}, store);
    const start = now + 13 * HOUR;
    const first = threats.assess('agent-123', odd(start)).incident!;
    await threats.save('agent-123');
    const restarted = new ThreatDetector({ store, contamination: 0.01, seed: 7 });
    await restarted.load('agent-123');
    const next = restarted.assess('agent-123', odd(start + 20 * MINUTE)).incident!;
    expect(next).toMatchObject({ id: first.id, opened: false });
    expect(restarted.incident(first.id)!.alerts).toBe(2);
  });

  it('resolving an incident makes the next alert open a new one', () => {
    const threats = trained();
    const first = threats.assess('agent-123', odd(now + 13 * HOUR)).incident!;
    expect(threats.resolveIncident(first.id)).toBe(true);
    expect(threats.resolveIncident('nope')).toBe(false);
    const next = threats.assess('agent-123', odd(now + 13 * HOUR + MINUTE)).incident!;
    expect(next.opened).toBe(true);
    expect(threats.incident(first.id)!.status).toBe('resolved');
  });

  it('keeps at most maxIncidents in memory, and every id an assessment reports can be read', () => {
    const threats = trained({ incidents: { maxIncidents: 3, gapMs: 0, subjectWindowMs: 0 } });
    for (let d = 0; d < 10; d++) {
      const { incident } = threats.assess('agent-123', odd(now + 13 * HOUR + d * 24 * HOUR));
      expect(threats.incident(incident!.id)).toBeDefined();
    }
    expect(threats.incidents()).toHaveLength(3);
  });

  it('rejects bad incident options and queries with a ValidationError', () => {
    expect(() => trained({ incidents: { gapMs: -1 } })).toThrow(ValidationError);
    expect(() => trained({ incidents: { campaignAgents: 1 } })).toThrow(ValidationError);
    expect(() => trained().incidents({ status: 'maybe' as 'open' })).toThrow(ValidationError);
  });
});

describe('weak alerts and findings', () => {
  const DAY = 24 * HOUR;
  const tracker = () =>
    new IncidentTracker(undefined, () => ({ score: 0.5, level: 'medium', isThreat: false }));
  const alert = (at: number, extra: Partial<AlertFacts> = {}): AlertFacts => ({
    agentId: 'a',
    at,
    eventId: `e${at}`,
    score: 0.8,
    level: 'medium',
    tail: 0.001,
    reason: 'unusual duration (http_get)',
    subjects: ['tool http_get'],
    clockConfirmed: true,
    ...extra,
  });

  it("gathers an agent's stray weak alerts of a week into one incident, open for that week", () => {
    const t = tracker();
    const first = t.alert(alert(now));
    // Unrelated weak alerts days apart: one incident, not one a day.
    const third = t.alert(
      alert(now + 3 * DAY, { subjects: ['tool db_query'], reason: 'unusual time of day' }),
    );
    const sixth = t.alert(alert(now + 6 * DAY, { subjects: ['tool shell'] }));
    expect(first.opened).toBe(true);
    expect([third.id, sixth.id]).toEqual([first.id, first.id]);
    expect(third.opened || sixth.opened).toBe(false);
    expect(t.get(first.id)!.status).toBe('open');
    // More than a week after its last alert: closed, and the next weak alert opens another.
    const later = t.alert(alert(now + 13.5 * DAY, { subjects: ['tool shell'] }));
    expect(later.opened).toBe(true);
    expect(t.get(first.id)!.status).toBe('closed');
    expect(t.windowMs).toBe(7 * DAY);
  });

  it('keeps a serious incident to its day: a weak alert days later opens its own', () => {
    const t = tracker();
    const serious = t.alert(alert(now, { level: 'critical' }));
    const weak = t.alert(alert(now + 2 * DAY, { subjects: ['tool shell'] }));
    expect(weak.opened).toBe(true);
    expect(weak.id).not.toBe(serious.id);
    expect(t.get(serious.id)!.status).toBe('closed');
  });

  it('never gathers an alert about content into stray noise; its tool alone does not relate it', () => {
    const t = tracker();
    const noise = t.alert(alert(now));
    const secret = t.alert(
      alert(now + 5 * HOUR, {
        aboutContent: true,
        reason: 'credential location read (catalogue: env-file)',
        subjects: ['location /srv/app', 'catalogue env-file', 'tool http_get'],
      }),
    );
    expect(secret.opened).toBe(true);
    expect(secret.id).not.toBe(noise.id);
    // The same subject later that day joins it, as a finding only when the words are new.
    const again = t.alert(
      alert(now + 9 * HOUR, {
        aboutContent: true,
        reason: 'credential location read (catalogue: env-file)',
        subjects: ['catalogue env-file', 'tool http_get'],
      }),
    );
    expect(again).toMatchObject({ id: secret.id, opened: false, finding: false });
  });

  it('reports a finding when an alert about content joins an incident with words it did not have', () => {
    const t = tracker();
    const burst = t.alert(alert(now, { level: 'high', reason: 'unusual calls in the last hour' }));
    expect(burst.finding).toBe(false);
    const read = t.alert(
      alert(now + 10 * 60_000, {
        aboutContent: true,
        reason: 'credential location read (catalogue: ssh-key)',
        subjects: ['catalogue ssh-key', 'tool read_file'],
      }),
    );
    expect(read).toMatchObject({ id: burst.id, opened: false, escalated: false, finding: true });
    // A statistical outlier with new words is no finding.
    const odd = t.alert(alert(now + 20 * 60_000, { reason: 'unusual duration (shell)' }));
    expect(odd).toMatchObject({ id: burst.id, finding: false });
  });
});

describe('fisherCombined', () => {
  it('is the chi-squared tail of -2 sum ln p with 2k degrees of freedom', () => {
    expect(fisherCombined([0.3])).toBeCloseTo(0.3, 12);
    // k = 2: x = -2 ln(0.01 * 0.02); P = e^(-x/2) (1 + x/2).
    const half = -Math.log(0.01 * 0.02);
    expect(fisherCombined([0.01, 0.02])).toBeCloseTo(Math.exp(-half) * (1 + half), 12);
    expect(fisherCombined([])).toBe(1);
    // Several mild signals add up to strong evidence.
    expect(fisherCombined([0.02, 0.02, 0.02, 0.02])).toBeLessThan(1e-3);
    // Never 0 or NaN, however many or however small (computed in logs).
    const extreme = fisherCombined(Array.from({ length: 500 }, () => 1e-200));
    expect(extreme).toBeGreaterThan(0);
    expect(Number.isFinite(fisherCombined(Array.from({ length: 2000 }, () => 0.5)))).toBe(true);
    expect(fisherCombined(Array.from({ length: 2000 }, () => 0.5))).toBeGreaterThan(0.5);
  });
});

describe('incidents on a realistic fleet', () => {
  const fleet = generateFleet({ regime: 'realistic', seed: 3, agents: 8, historyDays: 21, liveDays: 4 });
  const threats = new ThreatDetector({ store: new MemoryModelStore(), contamination: 0.01, seed: 3 });
  for (const persona of fleet.personas) {
    const history = fleet.history.filter((e) => e.agentId === persona.agentId).map((e) => e.event);
    threats.train(persona.agentId, history, { timeZone: persona.timeZone });
  }
  const results = fleet.live.map(({ agentId, event, label }) => ({
    label,
    agentId,
    assessment: threats.assess(agentId, event),
  }));

  it('files each attack (one class at one agent) into exactly one incident', () => {
    const byAttack = new Map<string, Set<string>>();
    for (const { label, agentId, assessment } of results) {
      expect(assessment.incident === null).toBe(!assessment.isThreat);
      if (label === 'normal' || label === 'campaign' || !assessment.incident) continue;
      const key = `${label}/${agentId}`;
      if (!byAttack.has(key)) byAttack.set(key, new Set());
      byAttack.get(key)!.add(assessment.incident.id);
    }
    expect(byAttack.size).toBeGreaterThanOrEqual(4);
    for (const [attack, ids] of byAttack)
      expect({ attack, incidents: ids.size }).toEqual({ attack, incidents: 1 });
  });

  it('links the agents reaching one never-seen domain within an hour into one campaign', () => {
    const campaign = fleet.campaign!;
    expect(campaign.agentIds.length).toBeGreaterThanOrEqual(2);
    const found = threats
      .incidents({ campaign: true })
      .filter((i) => i.subjects.includes(`destination ${campaign.destination}`));
    expect(found).toHaveLength(1);
    expect([...found[0]!.agentIds].sort()).toEqual([...campaign.agentIds].sort());
    expect(found[0]!.reasons[0]).toContain(campaign.destination);
    // No campaign links only ordinary work.
    const labels = new Map(fleet.live.map((e) => [e.event.event_id, e.label]));
    for (const c of threats.incidents({ campaign: true }))
      expect(c.eventIds.some((id) => labels.get(id) !== 'normal')).toBe(true);
  });

  it('lists incidents most serious first', () => {
    const listed = threats.incidents();
    expect(listed.length).toBeGreaterThan(0);
    for (let i = 1; i < listed.length; i++)
      expect(listed[i - 1]!.tailProbability).toBeLessThanOrEqual(listed[i]!.tailProbability);
  });
});
