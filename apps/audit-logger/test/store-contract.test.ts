// The AuditStore contract, run against both implementations: the same inputs give the same
// listings (events, alerts by tail, incidents, feedback and resolutions), writes are idempotent by
// event id, two writers at once (two connections or pools) neither duplicate nor lose a row, and
// retention deletes by event time.
import { join } from 'node:path';
import { type Incident, parseSecurityEvent, type ThreatLevel } from '@harombe/security-ml';
import { describe, expect, it } from 'vitest';
import { type AuditStore, type DecisionRecord, PostgresAuditStore, SqliteAuditStore } from '../src/index.js';
import { eventRow as eventRowOf } from '../src/store-rows.js';
import { tempDir } from './helpers.js';
import { freshConnection, pgUrl } from './postgres.js';

const at = Date.UTC(2026, 1, 2, 10);
const MINUTE = 60_000;

/** Opens a new, empty store; `again` opens a second connection (or pool) to the same one. */
interface Engine {
  readonly name: 'sqlite' | 'postgres';
  open(): Promise<{ store: AuditStore; again: () => Promise<AuditStore> }>;
}

const sqlite: Engine = {
  name: 'sqlite',
  async open() {
    const path = join(await tempDir(), 'audit.db');
    return { store: SqliteAuditStore.open(path), again: async () => SqliteAuditStore.open(path) };
  },
};

const postgres: Engine = {
  name: 'postgres',
  async open() {
    const connection = freshConnection();
    return {
      store: await PostgresAuditStore.open(connection),
      again: () => PostgresAuditStore.open(connection),
    };
  },
};

const engines = pgUrl ? [sqlite, postgres] : [sqlite];
if (!pgUrl) console.warn('store contract: PostgreSQL unavailable, the postgres half is SKIPPED');

/** Event `i` of two agents (a-2: events 0, 3 and 5), a call a minute, as the logger stores it. */
function row(i: number, actor = [0, 3, 5].includes(i) ? 'a-2' : 'a-1') {
  return eventRowOf(
    parseSecurityEvent({
      event_id: `e-${i}`,
      timestamp: at + i * MINUTE,
      event_type: 'tool_call',
      actor,
      tool_name: 'web_fetch',
      destination_domain: `host-${i}.example.org`,
      session_id: `s-${i}`,
      status: 'success',
      success: true,
      duration_ms: 100 + i,
      metadata: { i, tags: ['x', 'y'] },
    }),
  );
}

function incident(
  id: string,
  agentIds: string[],
  level: ThreatLevel,
  tail: number,
  eventIds: string[],
): Incident {
  return {
    id,
    agentIds,
    firstSeen: new Date(at),
    lastSeen: new Date(at + eventIds.length * MINUTE),
    alerts: eventIds.length,
    peakLevel: level,
    peakScore: 0.9,
    tailProbability: tail,
    reasons: ['unusual calls in the last hour'],
    campaign: agentIds.length > 1,
    status: 'open',
    eventIds,
    subjects: ['tool web_fetch'],
    linked: [],
  };
}

function threat(
  eventRow: number,
  level: ThreatLevel,
  tail: number,
  incidentId: string | null,
): DecisionRecord {
  return {
    eventRow,
    outcome: 'assessed',
    threatScore: 0.9,
    threatLevel: level,
    isThreat: true,
    tailProbability: tail,
    explanation: `event ${eventRow}`,
    incident: incidentId ? { id: incidentId, opened: false, escalated: false, level, finding: false } : null,
    campaign: null,
  };
}

/**
 * The same story on any store: six events, a LOW decision, two incidents (one escalating), a
 * verdict on an alert, a resolved incident. Returns every listing, for comparison across engines.
 */
async function story(store: AuditStore) {
  const rows: number[] = [];
  for (let i = 0; i < 6; i++) {
    const call =
      i === 0 ? { toolName: 'web_fetch', arguments: { url: 'https://a.example' }, success: true } : undefined;
    rows.push((await store.insertEvent(row(i), at + i, call)).id);
  }
  const first = incident('a-1/x', ['a-1'], 'medium', 0.01, ['e-1']);
  const batch1 = await store.recordDecisions(
    [
      threat(rows[1]!, 'medium', 0.01, 'a-1/x'),
      { eventRow: rows[2]!, outcome: 'assessed', threatScore: 0.5, threatLevel: 'low', isThreat: false },
      { eventRow: rows[3]!, outcome: 'skipped', reason: 'detection queue full' },
    ],
    'low',
    at,
    rows[3],
    new Map([['a-1/x', first]]),
  );
  const escalated = incident('a-1/x', ['a-1'], 'critical', 0.0001, ['e-1', 'e-4']);
  const other = incident('a-2/y', ['a-2'], 'high', 0.001, ['e-5']);
  const batch2 = await store.recordDecisions(
    [threat(rows[4]!, 'critical', 0.0001, 'a-1/x'), threat(rows[5]!, 'high', 0.001, 'a-2/y')],
    'low',
    at + MINUTE,
    rows[5],
    new Map([
      ['a-1/x', escalated],
      ['a-2/y', other],
    ]),
  );
  const alerts = await store.alerts();
  const feedbackGiven = await store.setFeedback(
    alerts.find((a) => a.eventId === 'e-5')!.id,
    'false_positive',
    at,
  );
  const pendingFeedback = await store.pendingFeedback();
  await store.markFeedbackApplied(pendingFeedback.map((f) => f.alertId));
  const resolved = await store.resolveIncident('a-1/x', 'anomaly', at + 2 * MINUTE);
  const pendingResolutions = await store.pendingResolutions();
  const afterResolution = await store.pendingFeedback();
  await store.markResolutionApplied(pendingResolutions.map((r) => r.id));
  await store.markFeedbackApplied(afterResolution.map((f) => f.alertId));
  return {
    rows,
    notices: [...batch1.notices, ...batch2.notices].map((n) => [n.eventId, n.change, n.incidentLevel]),
    alerts: await store.alerts(),
    highAlerts: await store.alerts({ level: 'high' }),
    openAlerts: await store.alerts({ status: 'open' }),
    incidents: await store.incidents(),
    incidentsOfA2: await store.incidents({ agentId: 'a-2' }),
    campaigns: await store.incidents({ campaign: true }),
    incidentAlerts: await store.incidentAlerts('a-1/x'),
    feedbackGiven,
    pendingFeedback,
    afterResolution: afterResolution.map((f) => [f.alertId, f.isAnomaly]),
    resolved,
    pendingResolutions,
    pendingAfter: [await store.pendingFeedback(), await store.pendingResolutions()],
    event: await store.event('e-0'),
    alertOf: await store.alertOf('e-4'),
    eventsByRows: await store.eventsByRows([rows[5]!, rows[0]!, 9_999]),
    unassessed: await store.unassessed(10),
    assessedThrough: await store.assessedThrough(),
    actors: await store.actors(),
    training: (await store.trainingEvents('a-2', 30)).map((e) => e.event_id),
    stats: await store.stats(),
  };
}

describe.each(engines)('the $name audit store', (engine) => {
  it('lists alerts by tail, incidents, feedback and resolutions as recorded', async () => {
    const { store } = await engine.open();
    const s = await story(store);
    // Most serious first: the smallest tail probability.
    expect(s.alerts.map((a) => [a.eventId, a.threatLevel, a.tailProbability, a.incidentId])).toEqual([
      ['e-4', 'critical', 0.0001, 'a-1/x'],
      ['e-5', 'high', 0.001, 'a-2/y'],
      ['e-1', 'medium', 0.01, 'a-1/x'],
    ]);
    expect(s.alerts[0]!.context).toEqual({
      eventType: 'tool_call',
      tool: 'web_fetch',
      destination: 'host-4.example.org',
      path: null,
      sessionId: 's-4',
    });
    expect(s.highAlerts.map((a) => a.eventId)).toEqual(['e-4', 'e-5']);
    expect(s.notices).toEqual([
      ['e-1', 'opened', 'medium'],
      ['e-4', 'escalated', 'critical'],
      ['e-5', 'opened', 'high'],
    ]);
    expect(s.incidents.map((i) => [i.id, i.peakLevel, i.alerts, i.status, i.resolution])).toEqual([
      ['a-1/x', 'critical', 2, 'resolved', 'anomaly'],
      ['a-2/y', 'high', 1, 'open', null],
    ]);
    expect(s.incidentsOfA2.map((i) => i.id)).toEqual(['a-2/y']);
    expect(s.campaigns).toEqual([]);
    expect(s.incidentAlerts.map((a) => a.eventId)).toEqual(['e-4', 'e-1']);
    // The verdict on e-5, then the resolution's verdict on the incident's open alerts.
    expect(s.feedbackGiven).toBe(true);
    expect(s.pendingFeedback.map((f) => [f.actor, f.isAnomaly, f.event.event_id])).toEqual([
      ['a-2', false, 'e-5'],
    ]);
    expect(s.afterResolution).toHaveLength(2);
    expect(s.afterResolution.every(([, isAnomaly]) => isAnomaly)).toBe(true);
    expect(s.pendingResolutions).toEqual([{ id: 'a-1/x', agentIds: ['a-1'] }]);
    expect(s.pendingAfter).toEqual([[], []]);
    expect(s.openAlerts).toEqual([]);
    expect(s.event).toMatchObject({ event_id: 'e-0', actor: 'a-2', metadata: { i: 0, tags: ['x', 'y'] } });
    expect(s.alertOf).toMatchObject({ eventId: 'e-4', status: 'confirmed' });
    expect(s.eventsByRows.items.map((i) => i.event.event_id)).toEqual(['e-5', 'e-0']);
    expect(s.unassessed).toEqual([s.rows[3]]);
    expect(s.assessedThrough).toBe(s.rows[5]);
    expect(s.actors).toEqual(['a-1', 'a-2']);
    // a-2 learns its history (e-0, never assessed) and the false positive e-5, not the skipped e-3.
    expect(s.training).toEqual(['e-0', 'e-5']);
    expect(s.stats).toMatchObject({
      events: 6,
      toolCalls: 1,
      actors: 2,
      decisions: { assessed: 4, skipped: 1 },
      alertsByLevel: { critical: 1, high: 1, medium: 1 },
    });
    await store.close();
  });

  it('is idempotent by event id: a retried event, decision or alert is stored once', async () => {
    const { store } = await engine.open();
    const first = await store.insertEvent(row(1), at);
    const retried = await store.insertEvent({ ...row(1), actor: 'someone-else' }, at);
    expect(first.duplicate).toBe(false);
    expect(retried).toEqual({ id: first.id, duplicate: true });
    expect(await store.event('e-1')).toMatchObject({ actor: 'a-1' });
    const decisions = [threat(first.id, 'high', 0.001, 'a-1/x')];
    const incidents = new Map([['a-1/x', incident('a-1/x', ['a-1'], 'high', 0.001, ['e-1'])]]);
    const once = await store.recordDecisions(decisions, 'low', at, first.id, incidents);
    const twice = await store.recordDecisions(decisions, 'low', at, first.id, incidents);
    expect(once.alerts).toHaveLength(1);
    expect(once.notices).toHaveLength(1);
    expect(twice).toEqual({ alerts: [], notices: [] });
    expect(await store.stats()).toMatchObject({ events: 1, decisions: { assessed: 1 }, alerts: { open: 1 } });
    await store.close();
  });

  it('takes two writers at once without duplicating or losing a row', async () => {
    const { store, again } = await engine.open();
    const other = await again();
    // Overlapping halves: events 0-299 by one writer, 150-449 by the other, interleaved.
    const write = async (target: AuditStore, from: number) => {
      const ids = new Map<string, number>();
      for (let i = from; i < from + 300; i++) {
        const inserted = await target.insertEvent(row(i), at);
        ids.set(`e-${i}`, inserted.id);
      }
      return ids;
    };
    const [a, b] = await Promise.all([write(store, 0), write(other, 150)]);
    // Both writers got the one row of each shared event.
    for (let i = 150; i < 300; i++) expect(a.get(`e-${i}`)).toBe(b.get(`e-${i}`));
    const ids = new Set([...a.values(), ...b.values()]);
    expect(ids.size).toBe(450);
    expect((await store.stats()).events).toBe(450);
    const found = await store.eventsByRows([...ids]);
    expect(new Set(found.items.map((i) => i.event.event_id)).size).toBe(450);
    await other.close();
    await store.close();
  });

  it('deletes what is older than the retention cut, in event time, with its decisions and alerts', async () => {
    const { store } = await engine.open();
    const rows: number[] = [];
    for (let i = 0; i < 10; i++) rows.push((await store.insertEvent(row(i * 60), at)).id);
    await store.recordDecisions(
      [threat(rows[0]!, 'high', 0.001, null), threat(rows[9]!, 'high', 0.001, null)],
      'low',
      at,
      rows[9],
    );
    expect(await store.newestEventTime()).toBe(at + 540 * MINUTE);
    const outcome = await store.deleteBefore(at + 300 * MINUTE);
    expect(outcome).toMatchObject({ events: 5, alerts: 1 });
    expect(await store.stats()).toMatchObject({ events: 5, alerts: { open: 1 } });
    expect((await store.alerts()).map((a) => a.eventId)).toEqual(['e-540']);
    await store.close();
  });

  it('lets one process lead at a time', async () => {
    const { store, again } = await engine.open();
    if (engine.name === 'sqlite') {
      // One process: it always leads.
      expect(await store.lead('job', async () => 1)).toEqual({ led: true, value: 1 });
      await store.close();
      return;
    }
    const other = await again();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let granted!: () => void;
    const holding = new Promise<void>((resolve) => {
      granted = resolve;
    });
    const leading = store.lead('job', () => {
      granted();
      return held.then(() => 'first');
    });
    // The second asks once the first runs under its lock.
    await holding;
    expect(await other.lead('job', async () => 'second')).toEqual({ led: false });
    release();
    expect(await leading).toEqual({ led: true, value: 'first' });
    expect(await other.lead('job', async () => 'second')).toEqual({ led: true, value: 'second' });
    await other.close();
    await store.close();
  });
});

describe.skipIf(!pgUrl)('SQLite and PostgreSQL side by side', () => {
  it('give the same listings for the same inputs', async () => {
    const [a, b] = [await sqlite.open(), await postgres.open()];
    const [onSqlite, onPostgres] = [await story(a.store), await story(b.store)];
    expect(onPostgres).toEqual(onSqlite);
    await a.store.close();
    await b.store.close();
  });
});
