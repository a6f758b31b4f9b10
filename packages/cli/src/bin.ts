#!/usr/bin/env node
// harombe-ml: exit codes 0 success, 1 failure (bad input, missing file, unreadable store), 2 usage.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REGIMES } from '@harombe/agent-sim';
import { HarombeError } from '@harombe/security-ml';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_HOME, demo, detect, evaluate, report, simulate, train } from './commands.js';
import { CliError, processIo } from './io.js';
import { DEFAULT_REORDER_WINDOW, parseWindow, UNKNOWN_AGENTS, type UnknownAgents } from './scan.js';

function integer(name: string, min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min)
      throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return n;
  };
}

function share(value: string): number {
  const n = Number(value);
  if (!(n > 0 && n <= 0.5)) throw new InvalidArgumentError('contamination must be in (0, 0.5]');
  return n;
}

const contamination = () =>
  new Option('--contamination <share>', 'share of normal events flagged').argParser(share).default(0.01);
const strict = () =>
  new Option('--strict', 'fail on the first bad line instead of skipping it').default(false);
const store = () => new Option('--store <dir>', 'model directory').default(join(DEFAULT_HOME, 'models'));
const unknownAgents = () =>
  new Option(
    '--unknown-agents <policy>',
    "agents without a model are scored by the store's fleet model (cold start); where the store has none: fail (exit 1), warn (list them as not scored) or skip (leave their events out)",
  )
    .choices(UNKNOWN_AGENTS)
    .default('fail');
const reorderWindow = () =>
  new Option(
    '--reorder-window <duration>',
    'with --events -: how long (event time) a result waits for earlier events of a stream (0, 30s, 5m, 1h); files are sorted whole',
  )
    .argParser((value: string) => {
      const ms = parseWindow(value);
      if (ms === undefined) throw new InvalidArgumentError('a duration such as 0, 30s, 5m or 1h');
      return ms;
    })
    .default(parseWindow(DEFAULT_REORDER_WINDOW), DEFAULT_REORDER_WINDOW);
const timeZones = (what: string) =>
  new Option('--time-zones <file>', `JSON mapping agent ids to IANA time zones (${what})`);

/** What detect and eval share. */
function scanOptions(o: Record<string, unknown>) {
  return {
    events: o.events as string,
    store: o.store as string,
    contamination: o.contamination as number,
    strict: o.strict as boolean,
    unknownAgents: o.unknownAgents as UnknownAgents,
    reorderWindowMs: o.reorderWindow as number,
  };
}

/** This package's version (its package.json ships beside dist/). */
const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

/** The input event format, shown under `train`, `detect` and `eval` (the CLI README says the same). */
const EVENT_FORMAT = `
Events: one JSON object per line, snake_case or camelCase (camelCase wins when both are given):
  agent_id            who acted (required by train, detect, eval)
  timestamp           ISO 8601 text (2026-03-04T09:30:00Z; UTC when it names no zone) or epoch ms (required)
  event_type          e.g. tool_call, file_operation, network_request (required)
  tool_name, action   the tool and its verb (action, or a command/query in metadata)
  success | status    true/false, or a status word (error, failed, denied, timeout, ... are failures)
  duration_ms         milliseconds, >= 0
  resource_count      a whole number >= 0
  destination_domain, destination_ip, file_path
  resource_usage      counters, numbers >= 0 (bytes_sent, network_bytes, cpu_ms, rows, ...)
  event_id, session_id, correlation_id, actor, file_hash, metadata (an object)
Unknown fields are kept in metadata. A line that does not parse is skipped and counted (--strict: fails).`;

/** Ordering and unknown agents, shown under `detect` and `eval` (the CLI README says the same). */
const SCAN_NOTES = `
Order: each agent's events are assessed in event time whatever the input order. A file is sorted
first (in runs on disk: memory stays bounded); standard input (--events -) passes through a reorder
window (--reorder-window, default ${DEFAULT_REORDER_WINDOW}): a result is printed once the stream is that far past it,
and events later than that are assessed out of order, counted on stderr, eventTime "late".
Agents without a model are scored by the fleet model that train saves (coldStart true); a store
without one follows --unknown-agents (default fail).`;

const program = new Command('harombe-ml')
  .description('Anomaly detection for AI agents: simulate fleets, train, detect, evaluate, report.')
  .version(version, '-V, --version', 'print the version')
  .exitOverride()
  .showHelpAfterError('(run with --help for usage)')
  .addHelpText(
    'after',
    '\nExit codes: 0 success, 1 failure (bad input, missing file, unreadable store), 2 usage error.',
  );

program
  .command('demo')
  .description(
    'simulate a fleet, train per-agent models, stream the live period, print a summary, write an HTML report',
  )
  .option('--seed <n>', 'simulation and model seed', integer('seed', 0), 7)
  .option('--agents <n>', 'agents in the fleet', integer('agents', 8), 12)
  .option('--history-days <n>', 'days of history to train on', integer('history-days', 3), 28)
  .option('--live-days <n>', 'days of live traffic with attacks', integer('live-days', 3), 7)
  .option('--home <dir>', 'where models, results and the report go', DEFAULT_HOME)
  .addOption(contamination())
  .action(async (o) => {
    await demo(
      {
        seed: o.seed,
        agents: o.agents,
        historyDays: o.historyDays,
        liveDays: o.liveDays,
        home: o.home,
        contamination: o.contamination,
      },
      processIo,
    );
  });

program
  .command('simulate')
  .description('write a simulated fleet as JSONL: history and a labelled live period')
  .option('--seed <n>', 'seed', integer('seed', 0), 7)
  .option('--agents <n>', 'agents', integer('agents', 1), 12)
  .option('--history-days <n>', 'days of history', integer('history-days', 1), 28)
  .option('--live-days <n>', 'days of live traffic', integer('live-days', 1), 7)
  .addOption(
    new Option(
      '--regime <regime>',
      "classic (the scenarios of the demo) or realistic (many tools, batch jobs, long-tail browsing, attacks with the agent's own tools at ordinary hours, a campaign across agents)",
    )
      .choices(REGIMES)
      .default('classic'),
  )
  .option('--history <file>', 'history output', 'history.jsonl')
  .option('--live <file>', 'live output', 'live.jsonl')
  .option('--time-zones <file>', "write the agents' time zones here as JSON (for train and report)")
  .action((o) => simulate(o, processIo));

program
  .command('train')
  .description('train and save models for every agent in a JSONL history (events need agent_id)')
  .addHelpText('after', EVENT_FORMAT)
  .requiredOption('--events <file>', 'JSONL events, - for stdin')
  .addOption(store())
  .option('--time-zone <zone>', 'IANA time zone of the agents')
  .addOption(timeZones('per agent; wins over --time-zone'))
  .addOption(contamination())
  .addOption(strict())
  .action((o) =>
    train(
      {
        events: o.events,
        store: o.store,
        contamination: o.contamination,
        timeZone: o.timeZone,
        timeZones: o.timeZones,
        strict: o.strict,
      },
      processIo,
    ),
  );

program
  .command('detect')
  .description('assess JSONL events with saved models and write one result per event')
  .addHelpText('after', EVENT_FORMAT)
  .requiredOption('--events <file>', 'JSONL events, - for stdin')
  .addOption(store())
  .addHelpText('after', SCAN_NOTES)
  .addOption(new Option('--format <format>', 'output format').choices(['table', 'jsonl']).default('table'))
  .addOption(unknownAgents())
  .addOption(reorderWindow())
  .addOption(contamination())
  .addOption(strict())
  .action((o) => detect({ ...scanOptions(o), format: o.format }, processIo));

program
  .command('eval')
  .description('ROC-AUC, precision and recall at the threshold on labelled JSONL (field "label")')
  .addHelpText('after', EVENT_FORMAT)
  .requiredOption('--events <file>', 'labelled JSONL events, - for stdin')
  .addOption(store())
  .addHelpText('after', SCAN_NOTES)
  .addOption(unknownAgents())
  .addOption(reorderWindow())
  .addOption(contamination())
  .addOption(strict())
  .action(async (o) => {
    await evaluate(scanOptions(o), processIo);
  });

program
  .command('report')
  .description(
    'write the HTML report of detect --format jsonl output (your own data), or of a results file written by demo',
  )
  .option(
    '--results <file>',
    'detect --format jsonl output, or demo results JSON',
    join(DEFAULT_HOME, 'results.json'),
  )
  .option('--out <file>', 'HTML output', join(DEFAULT_HOME, 'report.html'))
  .addOption(timeZones("each agent's times in its own zone; default UTC"))
  .option('--title <text>', 'page title (default: from the results file name)')
  .action((o) =>
    report({ results: o.results, out: o.out, timeZones: o.timeZones, title: o.title }, processIo),
  );

// A reader that stops early (`harombe-ml detect ... | head`) closes the pipe: stop quietly, as Unix
// tools do, instead of dying on an unhandled EPIPE with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
});

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    process.exitCode =
      error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.exitCode === 0
        ? 0
        : 2;
  } else if (error instanceof CliError) {
    processIo.err(`harombe-ml: ${error.message}`);
    process.exitCode = error.exitCode;
  } else if (error instanceof HarombeError) {
    processIo.err(`harombe-ml: ${error.message}`);
    process.exitCode = 1;
  } else {
    processIo.err(`harombe-ml: unexpected error: ${(error as Error).message ?? String(error)}`);
    process.exitCode = 1;
  }
}
