import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { SCENARIOS } from '@harombe/agent-sim';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AlertNotice, AnomalyPlugin, AuditLogger, AuditMetrics, DetectionEngine } from '../src/index.js';
import { fleet, tempDir, timeZones, withHistory } from './helpers.js';

const labelOf = new Map(fleet.live.map((e) => [e.event.event_id, e.label]));
const labels = (eventId: string) => labelOf.get(eventId);

describe('the anomaly plugin on a simulated fleet', () => {
  let dir: string;
  let path: string;
  let logger: AuditLogger;
  let plugin: AnomalyPlugin;
  const announced: AlertNotice[] = [];
  const labels = new Map(fleet.live.map((e) => [e.event.event_id, e.label]));
  const metrics = new AuditMetrics();
  const logLines: Array<{ msg: string; incidentId?: string; tool?: string }> = [];

  beforeAll(async () => {
    ({ dir, path } = await withHistory());
    plugin = new AnomalyPlugin({
      modelDir: join(dir, 'models'),
      timeZones,
      seed: 7,
      backfillOnStart: false,
      feedbackPollMs: 0,
      onAlert: (a) => announced.push(a),
      metrics,
      log: pino({ level: 'info' }, { write: (line: string) => logLines.push(JSON.parse(line)) }),
    });
    logger = await AuditLogger.open({ path, plugins: [plugin] });
    for (const { event } of fleet.live) logger.log(event);
    // Logging returned for every event before detection caught up: nothing was assessed in between.
    expect(plugin.stats().assessed).toBe(0);
    await plugin.drain();
  });
  afterAll(() => logger.close());

  it('trains every actor from the log and assesses every live event', () => {
    expect(plugin.stats()).toMatchObject({
      assessed: fleet.live.length,
      skipped: 0,
      failed: 0,
      backfilled: 0,
      workerUp: true,
    });
    // Decisions are stored for what matters: every threat (each raised an alert), and every event
    // scored LOW without being one, which retraining must leave out. Nothing for the rest.
    const stored = logger.store.db
      .prepare(
        `SELECT COUNT(*) AS n, SUM(is_threat) AS threats, MIN(level_rank) AS lowest FROM security_decisions
         WHERE outcome = 'assessed'`,
      )
      .get() as { n: number; threats: number; lowest: number };
    const { decisions, alerts } = logger.store.stats();
    expect(decisions).toEqual({ assessed: stored.n });
    expect(stored.threats).toBe(alerts.open);
    expect(stored.n).toBeGreaterThan(stored.threats);
    expect(stored.lowest).toBe(1);
  });

  it('raises alerts for >= 90% of each injected attack and <= 2% of normal events (contamination 0.01)', () => {
    const alerted = new Set(logger.alerts({ limit: 1_000_000 }).map((a) => a.eventId));
    for (const scenario of SCENARIOS) {
      const events = fleet.live.filter((e) => e.label === scenario);
      expect(events.length, scenario).toBeGreaterThan(0);
      const rate = events.filter((e) => alerted.has(e.event.event_id)).length / events.length;
      expect(rate, scenario).toBeGreaterThanOrEqual(0.9);
    }
    const normal = fleet.live.filter((e) => e.label === 'normal');
    const falseAlarms = normal.filter((e) => alerted.has(e.event.event_id)).length / normal.length;
    expect(falseAlarms).toBeLessThanOrEqual(0.02);
  });

  it('groups each attack into one incident, and announces incidents, not alerts', () => {
    const alerts = logger.alerts({ limit: 1_000_000 });
    for (const scenario of SCENARIOS) {
      const incidents = new Set(
        alerts.filter((a) => labels.get(a.eventId) === scenario).map((a) => a.incidentId),
      );
      expect([...incidents], scenario).toHaveLength(1);
      expect([...incidents][0], scenario).not.toBeNull();
    }
    // The call burst: over a hundred alerts, one incident, at most a few onAlert calls (it opens,
    // then its level rises at most three times).
    const burst = alerts.filter((a) => labels.get(a.eventId) === 'call-burst');
    expect(burst.length).toBeGreaterThan(100);
    const burstNotices = announced.filter((n) => n.incident.id === burst[0]!.incidentId);
    expect(burstNotices.length).toBeGreaterThanOrEqual(1);
    expect(burstNotices.length).toBeLessThanOrEqual(4);
    expect(burstNotices.map((n) => n.change)).toEqual([
      'opened',
      ...burstNotices.slice(1).map(() => 'escalated'),
    ]);
    // Each incident is announced when it opens and when its level rises, never twice at a level;
    // besides, at most once per new finding (an incident keeps eight reasons at most).
    const byIncident = new Map<string, AlertNotice[]>();
    for (const n of announced) byIncident.set(n.incident.id, [...(byIncident.get(n.incident.id) ?? []), n]);
    for (const [id, notices] of byIncident) {
      const levels = notices.filter((n) => n.change !== 'finding');
      expect(levels[0]?.change, id).toBe('opened');
      const ranks = levels.map((n) => ['none', 'low', 'medium', 'high', 'critical'].indexOf(n.incidentLevel));
      expect(ranks, id).toEqual([...new Set(ranks)].sort((a, b) => a - b));
      expect(notices.length - levels.length, id).toBeLessThanOrEqual(8);
    }
    expect(byIncident.size).toBe(logger.incidents({ limit: 1_000_000 }).length);
    expect(announced.length).toBeLessThan(alerts.length / 10);
    // Every announced payload is a stored alert of its incident.
    for (const n of announced) expect(logger.store.alert(n.id)).toMatchObject({ eventId: n.eventId });
  });

  it('lists alerts and incidents most serious first, by tail probability', () => {
    const alerts = logger.alerts({ limit: 1_000_000 });
    const tails = alerts.map((a) => a.tailProbability!);
    expect(tails.every((t) => t >= 0 && t <= 1)).toBe(true);
    expect(tails).toEqual([...tails].sort((a, b) => a - b));
    const incidents = logger.incidents({ limit: 1_000_000 });
    const incidentTails = incidents.map((i) => i.tailProbability);
    expect(incidentTails).toEqual([...incidentTails].sort((a, b) => a - b));
    const shellAgent = fleet.injected['new-tool-shell']!;
    expect(logger.incidents({ agentId: shellAgent }).every((i) => i.agentIds.includes(shellAgent))).toBe(
      true,
    );
  });

  it('counts alerts and incidents by level in its metrics, and logs incidents with their context', async () => {
    const text = await metrics.registry.metrics();
    const sum = (name: string) =>
      [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)$`, 'gm'))].reduce(
        (n, m) => n + Number(m[1]),
        0,
      );
    expect(sum('harombe_audit_alerts_total')).toBe(logger.alerts({ limit: 1_000_000 }).length);
    expect(sum('harombe_audit_incidents_total')).toBe(announced.length);
    expect(sum('harombe_audit_events_assessed_total')).toBe(fleet.live.length);
    expect(sum('harombe_audit_detection_seconds_count')).toBe(fleet.live.length);
    expect(text).toMatch(/^harombe_audit_queue_depth 0$/m);
    expect(text).toMatch(/^harombe_audit_worker_up 1$/m);
    const critical = announced.filter((n) => n.change === 'opened' && n.incidentLevel === 'critical').length;
    expect(text).toContain(
      `harombe_audit_incidents_total{change="opened",kind="agent",level="critical"} ${critical}`,
    );
    const opened = logLines.filter((l) => l.msg === 'incident opened');
    expect(opened.map((l) => l.incidentId).sort()).toEqual(
      announced
        .filter((n) => n.change === 'opened' && !n.incident.campaign)
        .map((n) => n.incident.id)
        .sort(),
    );
    expect(logLines.some((l) => l.msg === 'anomaly detection ready')).toBe(true);
  });

  it('stores each alert with level, score, explanation and its event', () => {
    const alerts = logger.alerts({ limit: 1_000_000 });
    const shell = alerts.find((a) => labels.get(a.eventId) === 'new-tool-shell')!;
    expect(shell).toMatchObject({ status: 'open', actor: fleet.injected['new-tool-shell'] });
    expect(['high', 'critical']).toContain(shell.threatLevel);
    expect(shell.explanation).toContain('shell_execute');
    expect(shell.context).toMatchObject({ tool: 'shell_execute' });
    expect(logger.store.event(shell.eventId)).toMatchObject({ tool_name: 'shell_execute' });
  });

  it('filters alerts by level and time, and applies an analyst verdict given by another process', async () => {
    const high = logger.alerts({ level: 'high', limit: 1_000_000 });
    expect(high.every((a) => a.threatLevel === 'high' || a.threatLevel === 'critical')).toBe(true);
    const since = new Date(fleet.liveStart + 3 * 86_400_000);
    expect(logger.alerts({ since, limit: 1_000_000 }).every((a) => a.eventTimestamp >= since)).toBe(true);

    // The benign change: an agent adopted a new tool for good. An analyst (the CLI, another
    // connection) calls its first alert a false positive.
    const benign = logger
      .alerts({ limit: 1_000_000 })
      .filter((a) => labels.get(a.eventId) === 'benign-change')
      .sort((a, b) => a.id - b.id)[0]!;
    const analyst = await AuditLogger.open({ path });
    expect(analyst.feedback(benign.id, 'false_positive')).toBe(true);
    expect(analyst.feedback(999_999, 'confirmed')).toBe(false);
    await analyst.close();
    expect(await plugin.applyFeedback()).toBe(1);
    expect(await plugin.applyFeedback()).toBe(0);
    // The same use of the new tool, a day later, raises no alert now.
    const again = fleet.live.find((e) => e.event.event_id === benign.eventId)!.event;
    const next = logger.log({
      ...again,
      event_id: 'benign-again',
      timestamp: new Date(Date.parse(again.timestamp) + 86_400_000).toISOString(),
    });
    await plugin.drain();
    expect(logger.store.alertOf(next.eventId)).toBeUndefined();
  });

  it('resolves an incident given by another process: the detector opens a new one for the next alert', async () => {
    const weekend = logger
      .alerts({ limit: 1_000_000 })
      .filter((a) => labels.get(a.eventId) === 'weekend-activity');
    const id = weekend[0]!.incidentId!;
    const analyst = await AuditLogger.open({ path });
    expect(analyst.resolveIncident(id, 'anomaly')).toBe(true);
    await analyst.close();
    // Its open alerts confirmed, and the resolution: all applied.
    expect(await plugin.applyFeedback()).toBe(weekend.length + 1);
    expect(logger.store.pendingResolutions()).toEqual([]);
    expect(logger.incident(id)!.alerts.every((a) => a.status === 'confirmed')).toBe(true);
    // The same weekend activity ten minutes after the incident's last alert alerts again (confirmed
    // anomalies stay flagged), in a new incident: the resolved one takes no more alerts.
    const last = weekend.reduce((a, b) => (a.eventTimestamp > b.eventTimestamp ? a : b));
    const again = fleet.live.find((e) => e.event.event_id === last.eventId)!.event;
    const next = logger.log({
      ...again,
      event_id: 'weekend-again',
      timestamp: new Date(last.eventTimestamp.getTime() + 600_000).toISOString(),
    });
    await plugin.drain();
    const alert = logger.store.alertOf(next.eventId)!;
    expect(alert.incidentId).not.toBeNull();
    expect(alert.incidentId).not.toBe(id);
    expect(logger.store.incident(id)!.status).toBe('resolved');
    expect(announced.at(-1)).toMatchObject({ eventId: 'weekend-again', change: 'opened' });
  });
});

describe('retraining from the log', () => {
  it('trains every actor again, leaving out events whose alerts stand and keeping false positives', async () => {
    const { dir, path } = await withHistory();
    const plugin = new AnomalyPlugin({
      modelDir: join(dir, 'models'),
      timeZones,
      backfillOnStart: false,
      feedbackPollMs: 0,
    });
    const logger = await AuditLogger.open({ path, plugins: [plugin] });
    for (const { event } of fleet.live) logger.log(event);
    await plugin.drain();
    const shellAgent = fleet.injected['new-tool-shell']!;
    const shell = logger
      .alerts({ limit: 100_000 })
      .filter((a) => a.actor === shellAgent && labels(a.eventId) === 'new-tool-shell');
    expect(shell.length).toBeGreaterThan(1);
    logger.feedback(shell[0]!.id, 'false_positive');
    const training = new Set(logger.store.trainingEvents(shellAgent, 60).map((e) => e.event_id));
    expect(training.has(shell[0]!.eventId)).toBe(true);
    for (const a of shell.slice(1)) expect(training.has(a.eventId)).toBe(false);

    const summary = await plugin.retrain();
    expect(summary.trained.sort()).toEqual(fleet.personas.map((p) => p.agentId).sort());
    expect(summary.skipped).toEqual([]);
    await logger.close();
  });

  it('leaves out events scored LOW or above that raised no alert, and mixes in the reference history', async () => {
    const { dir, path } = await withHistory();
    const plugin = new AnomalyPlugin({ modelDir: join(dir, 'models'), timeZones, feedbackPollMs: 0 });
    const logger = await AuditLogger.open({ path, plugins: [plugin] });
    for (const { event } of fleet.live) logger.log(event);
    await plugin.drain();
    // Events the detector scored LOW without calling them threats: no alert, but a decision.
    const low = logger.store.db
      .prepare(
        `SELECT e.actor, e.event_id FROM security_decisions d JOIN audit_events e ON e.id = d.event_row
         WHERE d.threat_level = 'low' AND d.is_threat = 0`,
      )
      .all() as Array<{ actor: string; event_id: string }>;
    expect(low.length).toBeGreaterThan(20);
    for (const persona of fleet.personas) {
      const actor = persona.agentId;
      const training = new Set(logger.store.trainingEvents(actor, 30).map((e) => e.event_id));
      for (const event of low.filter((e) => e.actor === actor))
        expect(training.has(event.event_id)).toBe(false);
      // The normal live events the detector was sure of are learned.
      const sure = fleet.live.filter(
        (e) => e.agentId === actor && e.label === 'normal' && !logger.store.alertOf(e.event.event_id),
      );
      const learned = sure.filter((e) => training.has(e.event.event_id)).length;
      expect(learned / sure.length, actor).toBeGreaterThan(0.9);
    }
    // Two windows of three days: the last of the live week, and the last of the history the detector
    // started on (the reference), nothing between.
    const DAY = 86_400_000;
    const actor = fleet.personas[0]!.agentId;
    const times = (events: readonly { agentId: string; event: { timestamp: string } }[]) =>
      events.filter((e) => e.agentId === actor).map((e) => Date.parse(e.event.timestamp));
    const historyNewest = Math.max(...times(fleet.history));
    const newest = Math.max(...times(fleet.live));
    const window = logger.store.trainingEvents(actor, 3).map((e) => Number(e.timestamp));
    const reference = window.filter((t) => t <= historyNewest);
    const recent = window.filter((t) => t > historyNewest);
    expect(reference.length).toBeGreaterThan(50);
    expect(recent.length).toBeGreaterThan(50);
    expect(Math.min(...reference)).toBeGreaterThanOrEqual(historyNewest - 3 * DAY);
    expect(Math.min(...recent)).toBeGreaterThanOrEqual(newest - 3 * DAY);
    await logger.close();
  });
});

describe('back-pressure and failures', () => {
  it('stores every event when the queue is full, marks the overflow skipped, and catches up on it in batches', async () => {
    const { dir, path } = await withHistory();
    const plugin = new AnomalyPlugin({
      modelDir: join(dir, 'models'),
      queueCapacity: 5,
      backfillOnStart: false,
      feedbackPollMs: 0,
    });
    const logger = await AuditLogger.open({ path, plugins: [plugin] });
    const burst = fleet.live.slice(0, 50);
    for (const { event } of burst) logger.log(event);
    expect(logger.store.stats().events).toBe(fleet.history.length + 50);
    expect(plugin.stats()).toMatchObject({ queued: 50, catchingUp: true });
    await new Promise((resolve) => setImmediate(resolve));
    // Sent: five events to assess, 45 to store as skipped.
    expect(plugin.stats()).toMatchObject({ queued: 0, inFlight: 5 });
    await plugin.drain();
    // Five assessed at once, the 45 skipped ones in batches of five once the queue had drained.
    expect(plugin.stats()).toMatchObject({ assessed: 50, skipped: 45, backfilled: 45, catchingUp: false });
    expect(logger.store.stats().decisions.skipped).toBeUndefined();
    // Nothing is left: a backfill asked for now finds nothing.
    expect(await plugin.backfill()).toBe(0);
    await logger.close();
  });

  it('keeps logging when the detection worker dies, and catches up after a restart', async () => {
    const { dir, path } = await withHistory();
    const errors: Error[] = [];
    const options = {
      modelDir: join(dir, 'models'),
      feedbackPollMs: 0,
      onError: (e: Error) => errors.push(e),
    };
    const plugin = new AnomalyPlugin({ ...options, backfillOnStart: false });
    const logger = await AuditLogger.open({ path, plugins: [plugin] });
    await (plugin as unknown as { worker: Worker }).worker.terminate();
    await expect.poll(() => plugin.stats().workerUp, { timeout: 5_000 }).toBe(false);
    expect(errors[0]?.message).toMatch(/detection worker exited/);
    for (const { event } of fleet.live.slice(0, 20)) logger.log(event);
    expect(logger.store.stats().events).toBe(fleet.history.length + 20);
    expect(logger.store.stats().decisions).toEqual({ skipped: 20 });
    await logger.close();

    // The next start backfills what the dead worker never assessed.
    const restarted = new AnomalyPlugin(options);
    const again = await AuditLogger.open({ path, plugins: [restarted] });
    expect(restarted.stats().assessed).toBe(20);
    expect(again.store.stats().decisions.skipped).toBeUndefined();
    await again.close();
  });

  it('assesses at the next start what was logged while no detection ran, but not the history it first found', async () => {
    const { dir, path } = await withHistory();
    const options = { modelDir: join(dir, 'models'), timeZones, feedbackPollMs: 0 };
    const live = fleet.live.map((e) => e.event);
    // First start on a log with history: that history is for training, not assessed.
    const first = new AnomalyPlugin(options);
    const logger = await AuditLogger.open({ path, plugins: [first] });
    expect(first.stats().assessed).toBe(0);
    for (const event of live.slice(0, 30)) logger.log(event);
    await first.drain();
    expect(first.stats().assessed).toBe(30);
    await logger.close();

    // Events committed while no detection ran: as after a crash with events still queued for the
    // worker, or a run without the plugin. None has a decision.
    const bare = await AuditLogger.open({ path });
    for (const event of live.slice(30, 55)) bare.log(event);
    await bare.close();

    const second = new AnomalyPlugin(options);
    const again = await AuditLogger.open({ path, plugins: [second] });
    expect(second.stats()).toMatchObject({ assessed: 25, skipped: 0, failed: 0 });
    expect(again.store.stats().decisions.skipped).toBeUndefined();
    expect(again.store.assessedThrough()).toBe(again.store.stats().events);
    await again.close();

    // Logged on purpose as history (`harombe-audit ingest --no-detect`): never assessed.
    const history = await AuditLogger.open({ path });
    for (const event of live.slice(55, 65)) history.log(event);
    history.store.catchUp(undefined, Date.now());
    await history.close();
    const third = new AnomalyPlugin(options);
    const last = await AuditLogger.open({ path, plugins: [third] });
    expect(third.stats().assessed).toBe(0);
    await last.close();
  });

  it('reloads actors evicted from a small model cache instead of falling back to the fleet model', async () => {
    const { dir, path } = await withHistory();
    const plugin = new AnomalyPlugin({
      modelDir: join(dir, 'models'),
      maxModelsInMemory: 2,
      recordAllDecisions: true,
      feedbackPollMs: 0,
    });
    const logger = await AuditLogger.open({ path, plugins: [plugin] });
    const normal = fleet.live.filter((e) => e.label === 'normal').slice(0, 200);
    expect(new Set(normal.map((e) => e.agentId)).size).toBeGreaterThan(2);
    for (const { event } of normal) logger.log(event);
    await plugin.drain();
    const coldStarts = logger.store.db
      .prepare('SELECT COUNT(*) AS n FROM security_decisions WHERE cold_start = 1')
      .get() as { n: number };
    expect(coldStarts.n).toBe(0);
    expect(plugin.stats().assessed).toBe(200);
    await logger.close();
  });

  it('stores a decision for every event with recordAllDecisions', async () => {
    const { dir, path } = await withHistory();
    const plugin = new AnomalyPlugin({
      modelDir: join(dir, 'models'),
      recordAllDecisions: true,
      feedbackPollMs: 0,
    });
    const logger = await AuditLogger.open({ path, plugins: [plugin] });
    for (const { event } of fleet.live.slice(0, 30)) logger.log(event);
    await plugin.drain();
    expect(logger.store.stats().decisions).toEqual({ assessed: 30 });
    const row = logger.store.db.prepare('SELECT * FROM security_decisions LIMIT 1').get() as Record<
      string,
      unknown
    >;
    expect(row).toMatchObject({
      outcome: 'assessed',
      threat_level: expect.any(String),
      explanation: expect.any(String),
    });
    await logger.close();
  });
});

describe('the detection engine reading events by row', () => {
  it('assesses the rows given, in their order, skips events without an actor and fails rows without an event', async () => {
    const dir = await tempDir();
    const path = join(dir, 'audit.db');
    const logger = await AuditLogger.open({ path });
    const at = Date.UTC(2026, 2, 2, 10);
    const first = logger.log({
      timestamp: at,
      event_type: 'tool_call',
      actor: 'a-1',
      tool_name: 'web_fetch',
    });
    const anonymous = logger.log({ timestamp: at + 1000, event_type: 'tool_call' });
    const second = logger.log({ timestamp: at + 2000, event_type: 'tool_call', actor: 'a-2' });
    const engine = await DetectionEngine.open({ dbPath: path, modelDir: join(dir, 'models') });
    try {
      const decisions = await engine.assessRows([second.id, anonymous.id, first.id, 9_999], true);
      // No model and no fleet model for a-1 and a-2: skipped, saying so (unknownAgents: warn).
      expect(decisions.map((d) => [d.eventRow, d.outcome])).toEqual([
        [second.id, 'skipped'],
        [first.id, 'skipped'],
        [anonymous.id, 'skipped'],
        [9_999, 'failed'],
      ]);
      expect(decisions[0]!.reason).toBe('no model for actor a-2 and no fleet model (unknownAgents: warn)');
      // Turned away by the policy, so not recorded: a retry (a catch-up) does not count it twice.
      expect(engine.threats.learner.lastEventAt('a-1')).toBeUndefined();
      expect(engine.threats.learner.lastEventAt('a-2')).toBeUndefined();
    } finally {
      await engine.close();
      await logger.close();
    }
  });
});

describe('the detection engine storing a batch', () => {
  it('stores a batch larger than an argument list can hold, and moves the assessed-through mark to its newest row', async () => {
    const dir = await tempDir();
    const path = join(dir, 'audit.db');
    const logger = await AuditLogger.open({ path });
    logger.log({ timestamp: Date.UTC(2026, 2, 2, 10), event_type: 'tool_call', actor: 'a-1' });
    const engine = await DetectionEngine.open({ dbPath: path, modelDir: join(dir, 'models') });
    try {
      // 250,000 row ids (all but one without an event): more than `Math.max(...rows)` accepts.
      const rows = Array.from({ length: 250_000 }, (_, i) => i + 1);
      const outcome = await engine.assessAndRecord(rows, { all: false, alertAt: 'low', now: 0 });
      // a-1 has no model and there is no fleet model: skipped (unknownAgents: warn).
      expect(outcome).toMatchObject({ assessed: 0, failed: rows.length - 1, skipped: 1 });
      expect(logger.store.assessedThrough()).toBe(rows.length);
    } finally {
      await engine.close();
      await logger.close();
    }
  });
});

describe('the detection engine with a bound on actors in memory', () => {
  it('keeps at most maxModelsInMemory actors (forest and baseline), with the same verdicts as without the bound', async () => {
    const dir = await tempDir();
    const path = join(dir, 'audit.db');
    const actors = fleet.personas.slice(0, 3).map((p) => p.agentId);
    const logger = await AuditLogger.open({ path });
    for (const { agentId, event } of fleet.history) if (actors.includes(agentId)) logger.log(event);
    const rows = fleet.live
      .filter((e) => actors.includes(e.agentId))
      .slice(0, 120)
      .map(({ event }) => logger.log(event).id);
    const engine = (bound?: number) =>
      DetectionEngine.open({
        dbPath: path,
        modelDir: join(dir, `models-${bound ?? 'all'}`),
        timeZones,
        seed: 7,
        ...(bound === undefined ? {} : { maxModelsInMemory: bound }),
      });
    const bounded = await engine(1);
    const unbounded = await engine();
    try {
      await bounded.prepare(true);
      await unbounded.prepare(true);
      for (let i = 0; i < rows.length; i += 8) {
        const batch = rows.slice(i, i + 8);
        const [a, b] = [await bounded.assessRows(batch, true), await unbounded.assessRows(batch, true)];
        expect(bounded.threats.learner.agentIds.length).toBeLessThanOrEqual(1);
        // The same verdicts. Scores can differ a little: saving an actor refreshes its baseline
        // profile, which the unbounded engine does up to 10% of the window later.
        expect(a.map((d) => [d.eventRow, d.outcome, d.threatLevel, d.isThreat, d.coldStart])).toEqual(
          b.map((d) => [d.eventRow, d.outcome, d.threatLevel, d.isThreat, d.coldStart]),
        );
      }
      expect(unbounded.threats.learner.agentIds).toHaveLength(3);
    } finally {
      await bounded.close();
      await unbounded.close();
      await logger.close();
    }
  });
});
