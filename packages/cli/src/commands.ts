// The harombe-ml commands as functions (bin.ts wires them to the command line).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { generateFleet, type LabelledEvent, toJsonl } from '@harombe/agent-sim';
import { groupByAgent } from '@harombe/event-log';
import { FileModelStore, HarombeError, NotFoundError, rocAuc, ThreatDetector } from '@harombe/security-ml';
import { SingleBar } from 'cli-progress';
import { formatSummary, type RunResults, runLive } from './evaluate.js';
import { readEvents } from './events.js';
import { CliError, type Io } from './io.js';
import { renderReport } from './report.js';

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

function progress(io: Io, total: number, label: string): { update(n: number): void; stop(): void } {
  if (!io.interactive) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({
    format: `${label} [{bar}] {percentage}% | {value}/{total} events`,
    hideCursor: true,
    stream: process.stderr,
  });
  bar.start(total, 0);
  return {
    update: (n) => {
      if (n % 50 === 0 || n === total) bar.update(n);
    },
    stop: () => bar.stop(),
  };
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
  const bar = progress(io, fleet.live.length, 'assessing');
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

/** `harombe-ml report`: re-renders the HTML report from a results file. */
export function report(options: { results: string; out: string }, io: Io): void {
  let results: RunResults;
  try {
    results = JSON.parse(readFileSync(options.results, 'utf8')) as RunResults;
  } catch (error) {
    throw new CliError(`cannot read results ${options.results}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (!Array.isArray(results.timelines) || !Array.isArray(results.scenarios)) {
    throw new CliError(`${options.results} is not a harombe-ml results file`);
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
    history: string;
    live: string;
  },
  io: Io,
): void {
  const fleet = generateFleet({
    seed: options.seed,
    agents: options.agents,
    historyDays: options.historyDays,
    liveDays: options.liveDays,
  });
  for (const [path, events] of [
    [options.history, fleet.history],
    [options.live, fleet.live],
  ] as const) {
    mkdirSync(dirname(resolve(path)), { recursive: true });
    writeFileSync(path, toJsonl(events));
  }
  const zones = Object.fromEntries(fleet.personas.map((p) => [p.agentId, p.timeZone]));
  io.out(
    `wrote ${fleet.history.length} history events to ${options.history} and ${fleet.live.length} live events to ${options.live}`,
  );
  io.out(`agent time zones: ${JSON.stringify(zones)}`);
}

/** `harombe-ml train`: trains and saves every agent found in a JSONL history. */
export async function train(
  options: { events: string; store: string; contamination: number; timeZone?: string; strict: boolean },
  io: Io,
): Promise<void> {
  const events = await readEvents(options.events, options, io);
  if (events.length === 0) throw new CliError(`no events in ${options.events}`);
  const threats = new ThreatDetector({
    store: new FileModelStore({ directory: options.store }),
    contamination: options.contamination,
  });
  for (const [agentId, list] of groupByAgent(events)) {
    const result = threats.train(agentId, list, options.timeZone ? { timeZone: options.timeZone } : {});
    if (!result.ml.trained) {
      io.err(`harombe-ml: ${agentId}: ${result.ml.reason}`);
      continue;
    }
    await threats.save(agentId);
    io.out(
      `${agentId}: trained on ${result.ml.events} events${result.baselineReady ? '' : ' (baseline needs more events)'}`,
    );
  }
}

async function loadedDetector(
  store: string,
  contamination: number,
  agents: Iterable<string>,
  io: Io,
): Promise<ThreatDetector> {
  // A mistyped --store would make every agent a cold start, silently.
  if (!existsSync(store))
    throw new CliError(`model store ${store} does not exist (train first, or check --store)`);
  const threats = new ThreatDetector({ store: new FileModelStore({ directory: store }), contamination });
  for (const agentId of agents) {
    try {
      await threats.load(agentId);
    } catch (error) {
      if (error instanceof NotFoundError) {
        io.err(`harombe-ml: no model for agent ${agentId}: scoring it as a cold start`);
        continue;
      }
      if (error instanceof HarombeError)
        throw new CliError(`cannot load models of ${agentId} from ${store}: ${error.message}`);
      throw error;
    }
  }
  return threats;
}

/** `harombe-ml detect`: assesses JSONL events, writing one result per event. */
export async function detect(
  options: {
    events: string;
    store: string;
    format: 'table' | 'jsonl';
    contamination: number;
    strict: boolean;
  },
  io: Io,
): Promise<void> {
  const events = await readEvents(options.events, options, io);
  const threats = await loadedDetector(
    options.store,
    options.contamination,
    new Set(events.map((e) => e.agentId)),
    io,
  );
  if (options.format === 'table')
    io.out('line   level     score  agent                time                      explanation');
  for (const { agentId, event, line } of events) {
    const a = threats.assess(agentId, event);
    if (options.format === 'jsonl') {
      io.out(
        JSON.stringify({
          line,
          agentId,
          timestamp: a.timestamp.toISOString(),
          threatScore: a.threatScore,
          isThreat: a.isThreat,
          threatLevel: a.threatLevel,
          coldStart: a.coldStart,
          explanation: a.explanation,
        }),
      );
    } else {
      io.out(
        `${String(line).padEnd(6)} ${a.threatLevel.padEnd(9)} ${a.threatScore.toFixed(2)}   ${agentId.padEnd(20)} ${a.timestamp.toISOString()}  ${a.explanation}`,
      );
    }
  }
}

/** `harombe-ml eval`: ROC-AUC, precision and recall at the threshold on labelled JSONL. */
export async function evaluate(
  options: { events: string; store: string; contamination: number; strict: boolean },
  io: Io,
): Promise<{ auc: number; precision: number; recall: number }> {
  const events = await readEvents(options.events, options, io);
  const labelled = events.filter((e) => e.label !== undefined && e.label !== 'benign-change');
  if (labelled.length === 0)
    throw new CliError(
      `no labelled events in ${options.events} (a "label" field: "normal" or an attack name)`,
    );
  const threats = await loadedDetector(
    options.store,
    options.contamination,
    new Set(events.map((e) => e.agentId)),
    io,
  );
  const scores: number[] = [];
  const labels: number[] = [];
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (const { agentId, event, label } of events) {
    const a = threats.assess(agentId, event);
    if (label === undefined || label === 'benign-change') continue;
    const positive = label !== 'normal';
    scores.push(-Math.log(Math.max(a.tailProbability, 1e-300)));
    labels.push(positive ? 1 : 0);
    if (a.isThreat && positive) tp++;
    else if (a.isThreat) fp++;
    else if (positive) fn++;
  }
  const auc = rocAuc(scores, labels);
  const precision = tp + fp > 0 ? tp / (tp + fp) : Number.NaN;
  const recall = tp + fn > 0 ? tp / (tp + fn) : Number.NaN;
  io.out(`events ${labelled.length}, attacks ${tp + fn}, normal ${labelled.length - tp - fn}`);
  io.out(
    `ROC-AUC ${auc.toFixed(4)}, precision ${precision.toFixed(4)}, recall ${recall.toFixed(4)} at threshold ${threats.detector.options.threshold}`,
  );
  return { auc, precision, recall };
}
