// `harombe-audit demo`: a simulated fleet's audit log. History is logged first (no models exist yet),
// the anomaly plugin trains every actor from the log, then the live days with attacks are logged; the
// alerts and incidents are counted per scenario and the incidents listed, most serious first.
import { rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Fleet, FleetOptions } from '@harombe/agent-sim';
import type { Logger } from 'pino';
import { AnomalyPlugin } from './anomaly-plugin.js';
import { AuditLogger } from './audit-logger.js';
import type { Alert, AlertNotice, IncidentRecord } from './audit-store.js';
import { formatIncident } from './format.js';

export interface DemoOptions {
  readonly dir: string;
  readonly seed: number;
  readonly fleet: (options: FleetOptions) => Fleet;
  readonly print: (line: string) => void;
  /** The plugin's structured logs. Default: the plugin's (pino to standard output at `info`). */
  readonly log?: Logger;
}

/** Per scenario label: its live events, the alerts they raised, the incidents those alerts are in. */
export interface ScenarioCount {
  readonly events: number;
  readonly alerts: number;
  readonly incidents: number;
  /** `onAlert` calls for the scenario's alerts. */
  readonly notices: number;
}

/** What the demo stored and announced, for callers (tests) to check. */
export interface DemoResult {
  readonly alerts: Alert[];
  readonly incidents: IncidentRecord[];
  readonly notices: AlertNotice[];
  readonly scenarios: ReadonlyMap<string, ScenarioCount>;
}

export async function runDemo({ dir, seed, fleet: simulate, print, log }: DemoOptions): Promise<DemoResult> {
  rmSync(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const path = join(dir, 'audit.db');
  const modelDir = join(dir, 'models');
  const fleet = simulate({ seed });
  const withArguments = (e: (typeof fleet.history)[number]['event']) =>
    e.file_path
      ? { arguments: { path: e.file_path } }
      : e.destination_domain
        ? { arguments: { host: e.destination_domain } }
        : {};

  const history = await AuditLogger.open({ path });
  for (const { event } of fleet.history) history.log(event, withArguments(event));
  // One event with secrets in it, to show what is stored.
  const secretive = history.log({
    timestamp: fleet.history.at(-1)!.event.timestamp,
    event_type: 'tool_call',
    actor: fleet.personas[0]!.agentId,
    tool_name: 'http_request',
    action: 'curl -H "Authorization: Bearer sk-proj-Zx81mQ2vLr5Tn7Kp0Wd3Ya9Bc4Ef6Gh" https://api.example.com',
    metadata: { password: 'hunter2', note: 'card 4111 1111 1111 1111' },
  });
  await history.close();
  print(`logged ${fleet.history.length} history events of ${fleet.personas.length} agents in ${path}`);
  print(
    `stored with secrets redacted: action "${secretive.event.action}", metadata ${JSON.stringify(secretive.event.metadata)}`,
  );

  const labels = new Map(fleet.live.map((e) => [e.event.event_id, e.label]));
  const timeZones = Object.fromEntries(fleet.personas.map((p) => [p.agentId, p.timeZone]));
  let feedbackGiven = false;
  const benignAfterFeedback = { events: 0, alerted: 0 };
  const notices: AlertNotice[] = [];
  const plugin = new AnomalyPlugin({
    modelDir,
    seed,
    timeZones,
    backfillOnStart: false,
    feedbackPollMs: 0,
    retrainIntervalMs: 0,
    onAlert: (notice) => notices.push(notice),
    ...(log ? { log } : {}),
  });
  const started = performance.now();
  const logger = await AuditLogger.open({ path, plugins: [plugin] });
  print(
    `anomaly plugin ready: every actor trained from the log in ${((performance.now() - started) / 1000).toFixed(2)} s`,
  );
  // The live days arrive day by day; the analyst looks at the alerts after each day.
  const liveStarted = performance.now();
  let loggingMs = 0;
  const days = new Map<string, Array<(typeof fleet.live)[number]>>();
  for (const e of fleet.live) {
    const day = e.event.timestamp.slice(0, 10);
    days.set(day, [...(days.get(day) ?? []), e]);
  }
  for (const events of days.values()) {
    const dayStarted = performance.now();
    for (const { event } of events) logger.log(event, withArguments(event));
    loggingMs += performance.now() - dayStarted;
    await plugin.drain();
    if (feedbackGiven) {
      for (const { event, label } of events) {
        if (label !== 'benign-change') continue;
        benignAfterFeedback.events++;
        if (logger.store.alertOf(event.event_id)) benignAfterFeedback.alerted++;
      }
    }
    // The analyst resolves the benign change's first incident as normal: its alerts are false
    // positives, the detector learns each of their events.
    const benign = logger
      .alerts({ status: 'open', limit: 100_000 })
      .find((a) => labels.get(a.eventId) === 'benign-change' && a.incidentId !== null);
    if (!feedbackGiven && benign) {
      const { incident, alerts } = logger.incident(benign.incidentId!)!;
      logger.resolveIncident(incident.id, 'normal');
      await plugin.applyFeedback();
      feedbackGiven = true;
      print(
        `analyst: incident ${incident.id} (${benign.actor}'s new tool, ${alerts.length} alerts) resolved as normal (the detector learns its events)`,
      );
    }
  }
  print(
    `logged ${fleet.live.length} live events (logging alone took ${loggingMs.toFixed(0)} ms); all assessed within ${(performance.now() - liveStarted).toFixed(0)} ms`,
  );

  const alerts = logger.alerts({ limit: 1_000_000 });
  const incidents = logger.incidents({ limit: 1_000_000 });
  const scenarios = countByScenario(fleet, alerts, notices);
  print('');
  print('scenario                    events  alerts  incidents  onAlert');
  for (const [label, row] of [...scenarios].sort(([a], [b]) => a.localeCompare(b))) {
    print(
      `${label.padEnd(26)} ${String(row.events).padStart(7)} ${String(row.alerts).padStart(7)} ${String(row.incidents).padStart(10)} ${String(row.notices).padStart(8)}`,
    );
  }
  if (feedbackGiven) {
    print(
      `benign change after the analyst's verdict: ${benignAfterFeedback.events} events, ${benignAfterFeedback.alerted} alerts`,
    );
  }
  print(`${alerts.length} alerts in ${incidents.length} incidents; onAlert called ${notices.length} times`);
  print('');
  print('incidents, most serious first (the scenario of most of their alerts in brackets):');
  const scenarioOf = majorityLabels(alerts, (eventId) => labels.get(eventId) ?? 'normal');
  for (const incident of incidents.slice(0, 12)) {
    print(`  [${scenarioOf.get(incident.id) ?? '?'}] ${formatIncident(incident).replace('\n', '\n  ')}`);
  }
  if (incidents.length > 12) print(`  ... ${incidents.length - 12} more`);
  await logger.close();
  print(`try: node ${process.argv[1]} incidents --db ${resolve(path)} --status open`);
  print(`     node ${process.argv[1]} incidents show '${incidents[0]?.id ?? 'ID'}' --db ${resolve(path)}`);
  return { alerts, incidents, notices, scenarios };
}

/** Each incident's (and campaign's) most frequent label among its alerts' events. */
function majorityLabels(alerts: readonly Alert[], labelOf: (eventId: string) => string): Map<string, string> {
  const counts = new Map<string, Map<string, number>>();
  for (const a of alerts) {
    for (const id of [a.incidentId, a.campaignId]) {
      if (id === null) continue;
      const byLabel = counts.get(id) ?? new Map<string, number>();
      const label = labelOf(a.eventId);
      byLabel.set(label, (byLabel.get(label) ?? 0) + 1);
      counts.set(id, byLabel);
    }
  }
  return new Map([...counts].map(([id, byLabel]) => [id, [...byLabel].sort((x, y) => y[1] - x[1])[0]![0]]));
}

/** Per scenario label: events, alerts, distinct incidents and campaigns of those alerts, onAlert calls. */
function countByScenario(
  fleet: Fleet,
  alerts: readonly Alert[],
  notices: readonly AlertNotice[],
): Map<string, ScenarioCount> {
  const byEvent = new Map(alerts.map((a) => [a.eventId, a]));
  const announced = new Map<string, number>();
  for (const n of notices) announced.set(n.eventId, (announced.get(n.eventId) ?? 0) + 1);
  const rows = new Map<string, { events: number; alerts: number; incidents: Set<string>; notices: number }>();
  for (const { event, label } of fleet.live) {
    const row = rows.get(label) ?? { events: 0, alerts: 0, incidents: new Set<string>(), notices: 0 };
    row.events++;
    const alert = byEvent.get(event.event_id);
    if (alert) {
      row.alerts++;
      for (const id of [alert.incidentId, alert.campaignId]) if (id !== null) row.incidents.add(id);
      row.notices += announced.get(event.event_id) ?? 0;
    }
    rows.set(label, row);
  }
  return new Map(
    [...rows].map(([label, r]) => [
      label,
      { events: r.events, alerts: r.alerts, incidents: r.incidents.size, notices: r.notices },
    ]),
  );
}
