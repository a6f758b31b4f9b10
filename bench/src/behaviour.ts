// Behaviour bench: ThreatDetector (contamination 0.01) on simulated fleets of both regimes of
// @harombe/agent-sim, several seeds. Per agent it trains on the history, then assesses the live
// period in time order, and reports recall per attack class, the share of normal events flagged, and
// ROC-AUC of the threat score (ties counted half, and against the detector), per seed and pooled.
// The last line is one JSON object with the pooled figures.
//
// Usage (needs built packages): pnpm behaviour [--seeds 3 | --seeds 7,11,13] [--agents 10]
//   [--history 28] [--live 7] [--regime both|realistic|classic]
import {
  ATTACK_CLASSES,
  type Fleet,
  FleetOptionsSchema,
  generateFleet,
  type Regime,
  SCENARIOS,
} from '@harombe/agent-sim';
import { parseOrThrow, ValidationError } from '@harombe/models';
import { MemoryModelStore, ThreatDetector } from '@harombe/security-ml';
import {
  type Filed,
  type IncidentFigures,
  incidentFigures,
  incidentLine,
  incidentMisses,
  pooledIncidents,
} from './behaviour/incidents.js';
import { figures, misses, pct, type RunFigures, type Scored, TARGETS } from './behaviour/metrics.js';

const BURST_GRACE_MS = 5 * 60_000;
const CONTAMINATION = 0.01;

// The bench's options are the simulator's own (same bounds), plus seeds and regimes.
const ArgsSchema = FleetOptionsSchema.pick({ agents: true, historyDays: true, liveDays: true })
  .extend({
    seeds: FleetOptionsSchema.shape.seed.unwrap().array().min(1).max(100),
    regimes: FleetOptionsSchema.shape.regime.unwrap().array().min(1),
  })
  .strict();

function parseArgs(argv: readonly string[]) {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (!flag.startsWith('--') || value === undefined) {
      throw new ValidationError('behaviour arguments', [
        { path: flag, code: 'invalid_argument', message: 'expected --flag value pairs' },
      ]);
    }
    flags.set(flag.slice(2), value);
    i++;
  }
  const known = new Set(['seeds', 'agents', 'history', 'live', 'regime']);
  for (const key of flags.keys()) {
    if (!known.has(key)) {
      throw new ValidationError('behaviour arguments', [
        {
          path: `--${key}`,
          code: 'unrecognized_keys',
          message: `unknown flag; use ${[...known].map((k) => `--${k}`).join(', ')}`,
        },
      ]);
    }
  }
  const seedsText = flags.get('seeds') ?? '3';
  const seeds = seedsText.includes(',')
    ? seedsText.split(',').map(Number)
    : Array.from({ length: Number(seedsText) }, (_, i) => i + 1);
  const regime = flags.get('regime') ?? 'both';
  return parseOrThrow(
    ArgsSchema,
    {
      seeds,
      agents: Number(flags.get('agents') ?? 10),
      historyDays: Number(flags.get('history') ?? 28),
      liveDays: Number(flags.get('live') ?? 7),
      regimes: regime === 'both' ? ['realistic', 'classic'] : [regime],
    },
    'behaviour arguments',
  );
}

interface Run {
  readonly seed: number;
  readonly events: Scored[];
  readonly bursts: { total: number; detectedWithin5Min: number };
  readonly figures: RunFigures;
  readonly incidents: IncidentFigures;
  readonly historyEvents: number;
  /** Realistic: ordinary-looking calls to an attacker's domain planted in history (trained on). */
  readonly poisoningSeeds: number;
  readonly trainMs: number;
  readonly assessMs: number;
}

function attackClassesOf(regime: Regime): readonly string[] {
  return regime === 'realistic' ? ATTACK_CLASSES : SCENARIOS;
}

function run(regime: Regime, seed: number, args: ReturnType<typeof parseArgs>): Run {
  const fleet: Fleet = generateFleet({
    regime,
    seed,
    agents: args.agents,
    historyDays: args.historyDays,
    liveDays: args.liveDays,
  });
  const threats = new ThreatDetector({ store: new MemoryModelStore(), contamination: CONTAMINATION, seed });
  const trainStart = performance.now();
  for (const persona of fleet.personas) {
    const history = fleet.history.filter((e) => e.agentId === persona.agentId).map((e) => e.event);
    threats.train(persona.agentId, history, { timeZone: persona.timeZone });
  }
  const trainMs = performance.now() - trainStart;
  // Daytime bursts are judged by their events after their first five minutes; whether each burst
  // was flagged within those five minutes is counted apart.
  const burstStart = new Map<string, number>();
  for (const incident of fleet.incidents ?? []) {
    if (incident.label === 'daytime-burst') burstStart.set(incident.agentId, incident.start);
  }
  const earlyFlag = new Set<string>();
  const events: Scored[] = [];
  const filed: Filed[] = [];
  const assessStart = performance.now();
  for (const { agentId, event, label } of fleet.live) {
    const assessment = threats.assess(agentId, event);
    let judged = true;
    if (label === 'daytime-burst') {
      const start = burstStart.get(agentId)!;
      judged = Date.parse(event.timestamp) >= start + BURST_GRACE_MS;
      if (!judged && assessment.isThreat) earlyFlag.add(agentId);
    }
    events.push({ label, score: assessment.threatScore, flagged: assessment.isThreat, judged });
    filed.push({ agentId, label, at: Date.parse(event.timestamp), incident: assessment.incident });
  }
  const assessMs = performance.now() - assessStart;
  const labelOfEvent = new Map(fleet.live.map((e) => [e.event.event_id, e.label as string]));
  const bursts = { total: burstStart.size, detectedWithin5Min: earlyFlag.size };
  return {
    seed,
    events,
    bursts,
    figures: figures(events, attackClassesOf(regime), bursts),
    incidents: incidentFigures(
      filed,
      'campaign',
      threats.incidents({ campaign: true }),
      labelOfEvent,
      args.liveDays * 86_400_000,
    ),
    historyEvents: fleet.history.length,
    poisoningSeeds: fleet.history.filter((e) => e.label === 'poisoning-seed').length,
    trainMs,
    assessMs,
  };
}

const num = (x: number, digits = 3) => (Number.isNaN(x) ? '-' : x.toFixed(digits));
const count = (x: number) => x.toLocaleString('en-US');

function table(f: RunFigures, indent = '  '): string[] {
  const lines = [
    `${indent}${'class'.padEnd(24)} ${'events'.padStart(7)} ${'flagged'.padStart(7)} ${'recall'.padStart(7)} ${'AUC'.padStart(6)} ${'ties-against'.padStart(12)}`,
  ];
  for (const [label, c] of Object.entries(f.classes)) {
    const name = label === 'daytime-burst' ? 'daytime-burst (>5 min)' : label;
    lines.push(
      `${indent}${name.padEnd(24)} ${count(c.events).padStart(7)} ${count(c.flagged).padStart(7)} ${pct(c.recall).padStart(7)} ${num(c.auc).padStart(6)} ${num(c.aucTiesAgainst).padStart(12)}`,
    );
  }
  if (f.bursts.total) {
    lines.push(
      `${indent}bursts flagged within their first 5 min: ${f.bursts.detectedWithin5Min}/${f.bursts.total}`,
    );
  }
  for (const [label, o] of Object.entries(f.other)) {
    lines.push(
      `${indent}${label} (not scored): ${count(o.flagged)}/${count(o.events)} flagged (${pct(o.flagged / o.events)})`,
    );
  }
  lines.push(
    `${indent}normal: ${count(f.normal.flagged)}/${count(f.normal.events)} flagged (${pct(f.normal.rate)});  all attacks vs normal: AUC ${num(f.auc)}, ties-against ${num(f.aucTiesAgainst)}`,
  );
  return lines;
}

function pooledJson(f: RunFigures) {
  const round = (x: number) => (Number.isNaN(x) ? null : Math.round(x * 10_000) / 10_000);
  return {
    recall: Object.fromEntries(Object.entries(f.classes).map(([label, c]) => [label, round(c.recall)])),
    ...(f.bursts.total ? { burstsWithin5Min: round(f.bursts.detectedWithin5Min / f.bursts.total) } : {}),
    normalFlagged: round(f.normal.rate),
    auc: round(f.auc),
    aucTiesAgainst: round(f.aucTiesAgainst),
    pass: misses(f).length === 0,
  };
}

const args = parseArgs(process.argv.slice(2));
const started = performance.now();
console.log(
  `behaviour bench: ThreatDetector (contamination ${CONTAMINATION}) per agent; ${args.agents} agents, ${args.historyDays} days of history, ${args.liveDays} live days; seeds ${args.seeds.join(',')}`,
);
console.log(
  `targets: each class recall >= ${TARGETS.recall * 100}% (daytime-burst: its events after the first 5 min; and >= ${TARGETS.burstsWithin5Min * 100}% of bursts flagged within 5 min), normal flagged <= ${TARGETS.normal * 100}%, ROC-AUC >= ${TARGETS.auc}, ties-against >= ${TARGETS.aucTiesAgainst}`,
);
const summary: Record<string, unknown> = {
  seeds: args.seeds,
  agents: args.agents,
  historyDays: args.historyDays,
  liveDays: args.liveDays,
};
for (const regime of args.regimes) {
  console.log(`\n== ${regime} regime ==`);
  const runs: Run[] = [];
  for (const seed of args.seeds) {
    const r = run(regime, seed, args);
    runs.push(r);
    console.log(
      `seed ${seed}: ${count(r.historyEvents)} history events${r.poisoningSeeds ? ` (${r.poisoningSeeds} poisoning seeds, trained on)` : ''}, ${count(r.events.length)} live; trained in ${(r.trainMs / 1000).toFixed(1)} s, assessed in ${(r.assessMs / 1000).toFixed(1)} s`,
    );
    for (const line of table(r.figures)) console.log(line);
    console.log(`  ${incidentLine(r.incidents)}`);
  }
  const bursts = {
    total: runs.reduce((s, r) => s + r.bursts.total, 0),
    detectedWithin5Min: runs.reduce((s, r) => s + r.bursts.detectedWithin5Min, 0),
  };
  const pooled = figures(
    runs.flatMap((r) => r.events),
    attackClassesOf(regime),
    bursts,
  );
  console.log(`pooled over ${runs.length} seeds:`);
  for (const line of table(pooled)) console.log(line);
  const incidents = pooledIncidents(
    runs.map((r) => r.incidents),
    runs.map(() => args.liveDays / 7),
  );
  console.log(`  ${incidentLine(incidents)}`);
  const missed = [...misses(pooled), ...incidentMisses(incidents)];
  console.log(missed.length ? `verdict: FAIL (${missed.join('; ')})` : 'verdict: PASS');
  summary[regime] = { ...pooledJson(pooled), incidents, pass: missed.length === 0 };
}
summary.seconds = Math.round((performance.now() - started) / 100) / 10;
console.log(JSON.stringify(summary));
