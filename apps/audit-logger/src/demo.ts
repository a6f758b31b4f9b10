// `harombe-audit demo`: a simulated fleet's audit log. History is logged first (no models exist yet),
// the anomaly plugin trains every actor from the log, then the live days with attacks are logged and
// the alerts counted per scenario.
import { rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Fleet, FleetOptions } from '@harombe/agent-sim';
import { AnomalyPlugin } from './anomaly-plugin.js';
import { AuditLogger } from './audit-logger.js';

export interface DemoOptions {
  readonly dir: string;
  readonly seed: number;
  readonly fleet: (options: FleetOptions) => Fleet;
  readonly print: (line: string) => void;
}

export async function runDemo({ dir, seed, fleet: simulate, print }: DemoOptions): Promise<void> {
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
  const plugin = new AnomalyPlugin({
    modelDir,
    seed,
    timeZones,
    backfillOnStart: false,
    feedbackPollMs: 0,
    retrainIntervalMs: 0,
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
    const benign = logger
      .alerts({ status: 'open', limit: 100_000 })
      .filter((a) => labels.get(a.eventId) === 'benign-change');
    if (!feedbackGiven && benign.length > 0) {
      const first = benign.at(-1)!;
      logger.feedback(first.id, 'false_positive');
      await plugin.applyFeedback();
      feedbackGiven = true;
      print(
        `analyst: alert #${first.id} on ${first.actor}'s new tool is a false positive (the detector learns it)`,
      );
    }
  }
  print(
    `logged ${fleet.live.length} live events (logging alone took ${loggingMs.toFixed(0)} ms); all assessed within ${(performance.now() - liveStarted).toFixed(0)} ms`,
  );

  const alerts = logger.alerts({ limit: 1_000_000 });
  const alerted = new Set(alerts.map((a) => a.eventId));
  const rows = new Map<string, { events: number; alerted: number }>();
  for (const { event, label } of fleet.live) {
    const row = rows.get(label) ?? { events: 0, alerted: 0 };
    row.events++;
    if (alerted.has(event.event_id)) row.alerted++;
    rows.set(label, row);
  }
  print('');
  print('scenario                    events  alerts');
  for (const [label, row] of [...rows].sort(([a], [b]) => a.localeCompare(b))) {
    print(`${label.padEnd(26)} ${String(row.events).padStart(7)} ${String(row.alerted).padStart(7)}`);
  }
  if (feedbackGiven) {
    print(
      `benign change after the analyst's feedback: ${benignAfterFeedback.events} events, ${benignAfterFeedback.alerted} alerts`,
    );
  }
  print('');
  print('the strongest alert of each attack:');
  const strongest = new Map<string, (typeof alerts)[number]>();
  for (const a of alerts) {
    const label = labels.get(a.eventId) ?? 'normal';
    const best = strongest.get(label);
    if (label !== 'normal' && label !== 'benign-change' && (!best || a.threatScore > best.threatScore))
      strongest.set(label, a);
  }
  for (const [label, a] of [...strongest].sort(([x], [y]) => x.localeCompare(y))) {
    print(
      `  #${a.id} ${a.threatLevel.toUpperCase()} ${a.threatScore.toFixed(2)} ${a.actor} [${label}]: ${a.explanation}`,
    );
  }
  await logger.close();
  print(`try: node ${process.argv[1]} alerts --db ${resolve(path)} --level high`);
}
