// The harombe-ml commands as functions (bin.ts wires them to the command line).
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { generateFleet, type LabelledEvent, type Regime, toJsonl } from '@harombe/agent-sim';
import { groupByAgent, streamEvents } from '@harombe/event-log';
import {
  FileModelStore,
  rocAuc,
  type SecurityEvent,
  ThreatDetector,
  TimeZoneSchema,
} from '@harombe/security-ml';
import { z } from 'zod';
import { formatSummary, type RunResults, runLive } from './evaluate.js';
import { reading as readingEvents, skipReporter } from './events.js';
import { CliError, type Io } from './io.js';
import { progress } from './progress.js';
import { renderReport } from './report.js';
import { resultOf } from './results.js';
import { isDetectOutput, writeResultsReport } from './results-report.js';
import { openDetector, type ScanOptions, scan } from './scan.js';

/** The embedded default: models and reports under ./.harombe. */
export const DEFAULT_HOME = '.harombe';

export interface DemoOptions {
  seed: number;
  agents: number;
  historyDays: number;
  liveDays: number;
  home: string;
  contamination: number;
}

/** `harombe-ml demo`: simulate, train, persist, stream, apply feedback, summarise, report. */
export async function demo(options: DemoOptions, io: Io): Promise<RunResults> {
  const started = performance.now();
  const fleet = generateFleet({
    seed: options.seed,
    agents: options.agents,
    historyDays: options.historyDays,
    liveDays: options.liveDays,
  });
  io.out(
    `harombe-ml demo: ${fleet.personas.length} agents, ${options.historyDays} days of history (${fleet.history.length} events), ${options.liveDays} live days (${fleet.live.length} events, seed ${options.seed})`,
  );
  const modelDir = join(options.home, 'models');
  const threats = new ThreatDetector({
    store: new FileModelStore({ directory: modelDir }),
    contamination: options.contamination,
    seed: options.seed,
  });
  const trainStart = performance.now();
  const histories = groupByAgent(fleet.history);
  for (const persona of fleet.personas) {
    threats.train(persona.agentId, histories.get(persona.agentId) ?? [], { timeZone: persona.timeZone });
  }
  const trainMs = performance.now() - trainStart;
  for (const persona of fleet.personas) await threats.save(persona.agentId);
  io.out(
    `trained ${fleet.personas.length} agents (forest + baseline) in ${(trainMs / 1000).toFixed(2)} s; models saved in ${modelDir}`,
  );
  // The saved models reload to identical assessments, as a restarted service would see them.
  await verifyReload(threats, modelDir, fleet.live.slice(0, 200), options);
  io.out(`reloaded the saved models from ${modelDir}: identical assessments`);
  const bar = progress(io, 'demo: assessing', 'events', fleet.live.length);
  const results = runLive(threats, fleet.live, {
    title: `harombe security-ml demo (seed ${options.seed}, ${fleet.personas.length} agents)`,
    threshold: threats.detector.options.threshold,
    analystFeedback: true,
    onProgress: (n) => bar.update(n),
  });
  bar.stop();
  const benignAgent = fleet.injected['benign-change'];
  if (results.benign.feedbackGiven && benignAgent) {
    io.out(`analyst feedback: the first alert on ${benignAgent}'s new tool was confirmed as normal`);
  }
  for (const line of formatSummary(results)) io.out(line);
  const reportPath = join(options.home, 'report.html');
  writeReport(results, reportPath, join(options.home, 'results.json'));
  io.out('');
  io.out(
    `report: ${reportPath} (results: ${join(options.home, 'results.json')}); done in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return results;
}

/**
 * Loads the saved models into a second detector and checks that it scores a sample exactly as the
 * trained one (without recording anything, so the live run starts from the trained state).
 */
async function verifyReload(
  threats: ThreatDetector,
  modelDir: string,
  sample: readonly LabelledEvent[],
  options: DemoOptions,
): Promise<void> {
  const reloaded = new ThreatDetector({
    store: new FileModelStore({ directory: modelDir }),
    contamination: options.contamination,
    seed: options.seed,
  });
  for (const agentId of new Set(sample.map((e) => e.agentId))) await reloaded.load(agentId);
  for (const { agentId, event } of sample) {
    const a = threats.detector.detect(agentId, event, { record: false });
    const b = reloaded.detector.detect(agentId, event, { record: false });
    const ta = JSON.stringify(threats.learner.tailProbabilities(agentId, event));
    const tb = JSON.stringify(reloaded.learner.tailProbabilities(agentId, event));
    if (a.anomalyScore !== b.anomalyScore || a.rawScore !== b.rawScore || ta !== tb) {
      throw new CliError(`the reloaded model of ${agentId} disagrees with the saved one`);
    }
  }
}

export function writeReport(results: RunResults, reportPath: string, resultsPath?: string): void {
  mkdirSync(dirname(resolve(reportPath)), { recursive: true });
  writeFileSync(reportPath, renderReport(results));
  if (resultsPath) writeFileSync(resultsPath, `${JSON.stringify(results)}\n`);
}

/** `harombe-ml report`: the HTML report of `detect --format jsonl` output, or of a demo's results file. */
export async function report(
  options: { results: string; out: string; timeZones?: string; title?: string },
  io: Io,
): Promise<void> {
  if (!existsSync(options.results))
    throw new CliError(`cannot read results ${options.results}: no such file`);
  if (await isDetectOutput(options.results)) {
    const zones = options.timeZones ? readTimeZones(options.timeZones) : new Map<string, string>();
    const summary = await writeResultsReport(options.results, options.out, {
      zones,
      title: options.title ?? `harombe-ml report: ${basename(options.results)}`,
    });
    io.out(
      `report: ${options.out} (${summary.events} events of ${summary.agents} agents, ${summary.alerts} alerts in ${summary.incidents} incidents)`,
    );
    return;
  }
  if (options.timeZones) io.err('harombe-ml: --time-zones applies to detect results only; ignored');
  let results: RunResults;
  try {
    results = JSON.parse(readFileSync(options.results, 'utf8')) as RunResults;
  } catch (error) {
    throw new CliError(`cannot read results ${options.results}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!Array.isArray(results.timelines) || !Array.isArray(results.scenarios)) {
    throw new CliError(
      `${options.results} is neither detect --format jsonl output nor a harombe-ml demo results file`,
    );
  }
  writeReport(results, options.out);
  io.out(`report: ${options.out}`);
}

/** `harombe-ml simulate`: writes a fleet as JSONL (history and live, labelled). */
export function simulate(
  options: {
    seed: number;
    agents: number;
    historyDays: number;
    liveDays: number;
    /** `classic` (default) or `realistic` (see @harombe/agent-sim's `generateFleet`). */
    regime?: Regime;
    history: string;
    live: string;
    /** Where to write the agents' time zones as JSON (for train and report --time-zones). */
    timeZones?: string;
  },
  io: Io,
): void {
  const fleet = generateFleet({
    seed: options.seed,
    agents: options.agents,
    historyDays: options.historyDays,
    liveDays: options.liveDays,
    regime: options.regime ?? 'classic',
  });
  const bar = progress(io, 'simulate: writing', 'events', fleet.history.length + fleet.live.length);
  let written = 0;
  for (const [path, events] of [
    [options.history, fleet.history],
    [options.live, fleet.live],
  ] as const) {
    mkdirSync(dirname(resolve(path)), { recursive: true });
    writeFileSync(path, '');
    for (let i = 0; i < events.length; i += WRITE_CHUNK) {
      appendFileSync(path, toJsonl(events.slice(i, i + WRITE_CHUNK)));
      written += Math.min(WRITE_CHUNK, events.length - i);
      bar.update(written);
    }
  }
  bar.stop();
  const zones = Object.fromEntries(fleet.personas.map((p) => [p.agentId, p.timeZone]));
  io.out(
    `wrote ${fleet.history.length} history events to ${options.history} and ${fleet.live.length} live events to ${options.live}`,
  );
  if (options.timeZones) {
    writeFileSync(options.timeZones, `${JSON.stringify(zones, null, 2)}\n`);
    io.out(`agent time zones: ${options.timeZones}`);
  } else io.out(`agent time zones: ${JSON.stringify(zones)}`);
}

/** Events written at a time by simulate. */
const WRITE_CHUNK = 10_000;

/** `harombe-ml train`: trains and saves every agent found in a JSONL history, and the fleet model. */
export async function train(
  options: {
    events: string;
    store: string;
    contamination: number;
    timeZone?: string;
    timeZones?: string;
    strict: boolean;
  },
  io: Io,
): Promise<void> {
  const zones = options.timeZones ? readTimeZones(options.timeZones) : new Map<string, string>();
  const reading = progress(io, 'train: reading', 'events');
  const skips = skipReporter(options.events, io);
  const histories = new Map<string, SecurityEvent[]>();
  let read = 0;
  await readingEvents(async () => {
    for await (const { agentId, event } of streamEvents(options.events, {
      strict: options.strict,
      onSkip: skips.onSkip,
    })) {
      const list = histories.get(agentId);
      if (list) list.push(event);
      else histories.set(agentId, [event]);
      reading.update(++read);
    }
  }).finally(() => reading.stop());
  skips.finish();
  if (read === 0) throw new CliError(`no events in ${options.events}`);
  const threats = new ThreatDetector({
    store: new FileModelStore({ directory: options.store }),
    contamination: options.contamination,
  });
  const training = progress(io, 'train', 'agents', histories.size);
  let done = 0;
  try {
    for (const [agentId, list] of histories) {
      const timeZone = zones.get(agentId) ?? options.timeZone;
      const result = threats.train(agentId, list, timeZone ? { timeZone } : {});
      histories.delete(agentId); // what is trained need not stay in memory
      training.update(++done);
      if (!result.ml.trained) {
        io.err(`harombe-ml: ${agentId}: ${result.ml.reason}`);
        continue;
      }
      await threats.save(agentId);
      io.out(
        `${agentId}: trained on ${result.ml.events} events${result.baselineReady ? '' : ' (baseline needs more events)'}`,
      );
    }
  } finally {
    training.stop();
  }
  // Agents that appear later without a model of their own are scored by this one (cold start).
  if (await threats.saveFleetModel())
    io.out('fleet model saved: it scores agents without a model of their own');
  else
    io.err(
      'harombe-ml: too few events for a fleet model: agents without a model will follow --unknown-agents',
    );
}

/** `harombe-ml detect`: assesses JSONL events in event time, writing each result as soon as it is decided. */
export async function detect(options: ScanOptions & { format: 'table' | 'jsonl' }, io: Io): Promise<void> {
  if (options.format === 'table')
    io.out('line   level     score  agent                time                      explanation');
  const threats = await openDetector(options);
  for await (const { logged, assessment: a } of scan(threats, options, io, 'detect')) {
    if (options.format === 'jsonl') {
      io.out(JSON.stringify(resultOf(logged, a)));
    } else {
      io.out(
        `${String(logged.line).padEnd(6)} ${a.threatLevel.padEnd(9)} ${a.threatScore.toFixed(2)}   ${logged.agentId.padEnd(20)} ${a.timestamp.toISOString()}  ${a.explanation}`,
      );
    }
    // A slow reader: wait for the output to drain instead of buffering results in memory.
    const drained = io.backpressure?.();
    if (drained) await drained;
  }
}

/** `harombe-ml eval`: ROC-AUC, precision and recall at the threshold on labelled JSONL. */
export async function evaluate(
  options: ScanOptions,
  io: Io,
): Promise<{
  auc: number;
  precision: number;
  recall: number;
  /** Per label ("normal" and each attack name): its events, and how many were flagged. */
  byLabel: Record<string, { events: number; flagged: number }>;
}> {
  const scores: number[] = [];
  const labels: number[] = [];
  const byLabel = new Map<string, { events: number; flagged: number }>();
  const threats = await openDetector(options);
  for await (const { logged, assessment: a } of scan(threats, options, io, 'eval')) {
    const { label } = logged;
    if (label === undefined || label === 'benign-change') continue;
    const positive = label !== 'normal';
    scores.push(-Math.log(Math.max(a.tailProbability, 1e-300)));
    labels.push(positive ? 1 : 0);
    let counts = byLabel.get(label);
    if (counts === undefined) {
      counts = { events: 0, flagged: 0 };
      byLabel.set(label, counts);
    }
    counts.events++;
    if (a.isThreat) counts.flagged++;
  }
  if (labels.length === 0)
    throw new CliError(
      `no labelled events in ${options.events} (a "label" field: "normal" or an attack name)`,
    );
  // Normal work's flagged events are the false positives; every attack's, the true ones.
  let tp = 0;
  let fn = 0;
  for (const [label, { events, flagged }] of byLabel) {
    if (label === 'normal') continue;
    tp += flagged;
    fn += events - flagged;
  }
  const fp = byLabel.get('normal')?.flagged ?? 0;
  const auc = rocAuc(scores, labels);
  const precision = tp + fp > 0 ? tp / (tp + fp) : Number.NaN;
  const recall = tp + fn > 0 ? tp / (tp + fn) : Number.NaN;
  io.out(`events ${labels.length}, attacks ${tp + fn}, normal ${labels.length - tp - fn}`);
  io.out(
    `ROC-AUC ${auc.toFixed(4)}, precision ${precision.toFixed(4)}, recall ${recall.toFixed(4)} at threshold ${threats.detector.options.threshold}`,
  );
  // Each label's share flagged: recall of an attack, the false-positive rate of normal work.
  const names = [...byLabel.keys()].sort((a, b) =>
    a === 'normal' ? 1 : b === 'normal' ? -1 : a < b ? -1 : 1,
  );
  // Labels come from the input: control characters are shown as "?", never sent to the terminal.
  const shown = (name: string) => name.replace(/\p{Cc}/gu, '?');
  const width = Math.max(...names.map((n) => n.length));
  for (const name of names) {
    const { events, flagged } = byLabel.get(name)!;
    io.out(
      `  ${shown(name).padEnd(width)}  ${String(flagged).padStart(6)} of ${String(events).padEnd(6)} flagged (${((100 * flagged) / events).toFixed(1)}%)`,
    );
  }
  return { auc, precision, recall, byLabel: Object.fromEntries(byLabel) };
}

/** A JSON file mapping agent ids to IANA time zones (`--time-zones`), checked. */
export function readTimeZones(path: string): Map<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(`cannot read time zones ${path}: ${(error as Error).message.split('\n')[0]}`);
  }
  const parsed = TimeZonesSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new CliError(
      `time zones ${path}: ${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message} (expected {"agent id": "Europe/Berlin", ...})`,
    );
  }
  return new Map(Object.entries(parsed.data));
}

const TimeZonesSchema = z.record(z.string().min(1), TimeZoneSchema);
