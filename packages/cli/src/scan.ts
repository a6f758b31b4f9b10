// What `detect` and `eval` share: each agent's events in event time (a file sorted in bounded
// memory, a stream through a reorder window), its model loaded when it first appears, its activity
// windows restarted when the scan begins before its newest event, and the one policy for agents
// without a model: the store's fleet model scores them (cold start); without one, --unknown-agents.
import { existsSync } from 'node:fs';
import {
  EventLogError,
  type LoggedEvent,
  readInTimeOrder,
  reorderByTime,
  streamEvents,
} from '@harombe/event-log';
import { FileModelStore, HarombeError, type ThreatAssessment, ThreatDetector } from '@harombe/security-ml';
import { skipReporter } from './events.js';
import { CliError, type Io } from './io.js';
import { progress } from './progress.js';

/** What happens to an agent without a model when the store has no fleet model either. */
export const UNKNOWN_AGENTS = ['fail', 'warn', 'skip'] as const;
export type UnknownAgents = (typeof UNKNOWN_AGENTS)[number];

/** Default of `--reorder-window`: how long, in event time, a stream's events wait for earlier ones. */
export const DEFAULT_REORDER_WINDOW = '5m';

export interface ScanOptions {
  readonly events: string;
  readonly store: string;
  readonly contamination: number;
  readonly strict: boolean;
  /** Default `fail`. */
  readonly unknownAgents?: UnknownAgents;
  /** For standard input (`--events -`): the reorder window in ms. Default 5 minutes. */
  readonly reorderWindowMs?: number;
}

export interface Scanned {
  readonly logged: LoggedEvent;
  readonly assessment: ThreatAssessment;
}

/** How an agent is scored, decided when it first appears. */
type Standing = 'model' | 'fleet' | 'unscored' | 'skipped';

/** Names of agents told about one by one; the rest are counted. */
const NAMED = 5;

/**
 * The detector of `detect` and `eval` on the store of `options` (which must exist: a mistyped
 * --store would make every agent a cold start, silently).
 * @throws {CliError} the events file or the store does not exist.
 */
export async function openDetector(options: ScanOptions): Promise<ThreatDetector> {
  if (options.events !== '-' && !existsSync(options.events))
    throw new CliError(`cannot read ${options.events}: no such file`);
  if (!existsSync(options.store))
    throw new CliError(`model store ${options.store} does not exist (train first, or check --store)`);
  return new ThreatDetector({
    store: new FileModelStore({ directory: options.store }),
    contamination: options.contamination,
  });
}

/**
 * Assesses the events of `options.events` in event time per agent, yielding each verdict as soon as
 * it is decided. Memory is bounded whatever the input's size. Reports on `io.err`: skipped lines,
 * agents without a model, events too late to place, progress (as `label`).
 * @throws {CliError} a store that does not exist or cannot be read, an unreadable input, a bad line
 *   with `strict`, an agent without a model when there is no fleet model and `unknownAgents` is `fail`.
 */
export async function* scan(
  threats: ThreatDetector,
  options: ScanOptions,
  io: Io,
  label: string,
): AsyncGenerator<Scanned> {
  const hasFleet = await storeCall(options.store, 'the fleet model', () => threats.loadFleetModel());
  const policy = options.unknownAgents ?? 'fail';
  const standing = new Map<string, Standing>();
  const told = { fleet: 0, unscored: 0, skipped: 0 };
  let skippedEvents = 0;
  let late = 0;
  const windowMs = options.reorderWindowMs ?? 5 * 60_000;
  const skips = skipReporter(options.events, io);
  const bar = progress(io, label, 'events');
  const read = { strict: options.strict, onSkip: skips.onSkip };
  const source =
    options.events === '-'
      ? reorderByTime(streamEvents('-', read), { windowMs, onLate: () => late++ })
      : readInTimeOrder(options.events, { ...read, onTotal: (n) => bar.total(n) });

  const firstSight = async ({ agentId, event }: LoggedEvent): Promise<Standing> => {
    if (await storeCall(options.store, `the model of ${agentId}`, () => threats.ensureLoaded(agentId))) {
      // The scan starts before the agent's newest event (re-scanning its training period, an
      // overlapping file): its windows are rebuilt from the scanned events, not carried over.
      const newest = threats.learner.lastEventAt(agentId);
      if (newest !== undefined && event.timestamp.getTime() < newest) threats.resetWindows(agentId);
      return 'model';
    }
    if (!hasFleet && policy === 'fail')
      throw new CliError(
        `no model for agent ${agentId}, and ${options.store} has no fleet model to score it as a cold start (run train again, or choose --unknown-agents warn or skip)`,
      );
    const state = hasFleet ? 'fleet' : policy === 'warn' ? 'unscored' : 'skipped';
    if (told[state]++ < NAMED) io.err(`harombe-ml: no model for agent ${agentId}: ${STANDING_NOTE[state]}`);
    return state;
  };

  let done = 0;
  try {
    for await (const logged of source) {
      let state = standing.get(logged.agentId);
      if (state === undefined) {
        state = await firstSight(logged);
        standing.set(logged.agentId, state);
      }
      bar.update(++done);
      if (state === 'skipped') {
        skippedEvents++;
        continue;
      }
      yield { logged, assessment: threats.assess(logged.agentId, logged.event) };
    }
  } catch (error) {
    if (error instanceof EventLogError) throw new CliError(error.message);
    throw error;
  } finally {
    bar.stop();
  }
  skips.finish();
  for (const state of ['fleet', 'unscored', 'skipped'] as const) {
    if (told[state] > NAMED)
      io.err(`harombe-ml: ${told[state]} agents without a model in all: ${STANDING_NOTE[state]}`);
  }
  if (skippedEvents > 0)
    io.err(`harombe-ml: skipped ${skippedEvents} events of agents without a model (--unknown-agents skip)`);
  if (late > 0)
    io.err(
      `harombe-ml: ${late} event${late === 1 ? '' : 's'} came more than the reorder window (${formatWindow(windowMs)}) after later events of their agent: assessed out of order, marked eventTime "late"`,
    );
}

const STANDING_NOTE: Record<Exclude<Standing, 'model'>, string> = {
  fleet: 'scored by the fleet model (coldStart: true)',
  unscored: 'no fleet model either: its events are listed as not scored (--unknown-agents warn)',
  skipped: 'no fleet model either: its events are skipped (--unknown-agents skip)',
};

/** A store read, its errors as CliErrors naming the store and what was read. */
async function storeCall<T>(store: string, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof HarombeError)
      throw new CliError(`cannot load ${what} from ${store}: ${error.message}`);
    throw error;
  }
}

/** `5m`, `30s`, `1h`, `250ms` or `0` as milliseconds; `undefined` for anything else. */
export function parseWindow(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) return undefined;
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 'ms']!;
  if (match[2] === undefined && Number(match[1]) !== 0) return undefined;
  return Math.round(Number(match[1]) * unit);
}

function formatWindow(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
