#!/usr/bin/env node
// harombe-audit: query alerts, give feedback, train, show stats, ingest JSONL, run the demo.
// Exit codes: 0 success, 1 failure, 2 usage.
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { generateFleet } from '@harombe/agent-sim';
import { readJsonl } from '@harombe/event-log';
import { THREAT_LEVELS, type ThreatLevel } from '@harombe/security-ml';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { AnomalyPlugin } from './anomaly-plugin.js';
import { AuditLogger } from './audit-logger.js';
import { DetectionEngine } from './engine.js';
import { formatAlert, parseSince } from './format.js';
import type { AlertStatus } from './store.js';

const DEFAULT_DB = join('.harombe', 'audit', 'audit.db');
const DEFAULT_MODELS = join('.harombe', 'audit', 'models');
/** A mistake in how the command was called (exit code 2). */
class UsageError extends Error {}

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected an integer >= 1');
  return n;
}

function existingDb(path: string): string {
  if (!existsSync(path)) throw new Error(`no audit database at ${path} (pass --db)`);
  return path;
}

const db = () => new Option('--db <file>', 'the audit database').default(DEFAULT_DB);
const models = () => new Option('--models <dir>', 'where actor models are saved').default(DEFAULT_MODELS);

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const program = new Command('harombe-audit')
  .description('An audit log on SQLite with anomaly detection: alerts, feedback, training, stats.')
  .version(version, '-V, --version', 'print the version')
  .exitOverride()
  .showHelpAfterError('(run with --help for usage)');

program
  .command('alerts')
  .description('list security alerts, newest first')
  .addOption(db())
  .option('--since <when>', 'events at or after: ISO date or 30m, 24h, 7d', (v) => parseSince(v))
  .addOption(new Option('--level <level>', 'at least this threat level').choices([...THREAT_LEVELS]))
  .addOption(
    new Option('--status <status>', 'only alerts in this state').choices([
      'open',
      'false_positive',
      'confirmed',
    ]),
  )
  .option('--limit <n>', 'at most this many', positiveInteger, 50)
  .option('--json', 'one JSON object per line')
  .action(
    async (o: {
      db: string;
      since?: Date;
      level?: ThreatLevel;
      status?: AlertStatus;
      limit: number;
      json?: boolean;
    }) => {
      const logger = await AuditLogger.open({ path: existingDb(o.db) });
      try {
        const alerts = logger.alerts({
          limit: o.limit,
          ...(o.since ? { since: o.since } : {}),
          ...(o.level ? { level: o.level } : {}),
          ...(o.status ? { status: o.status } : {}),
        });
        for (const a of alerts) console.log(o.json ? JSON.stringify(a) : formatAlert(a));
        if (!o.json) console.log(`${alerts.length} alert${alerts.length === 1 ? '' : 's'}`);
      } finally {
        await logger.close();
      }
    },
  );

program
  .command('feedback')
  .description('an analyst verdict on an alert; the detector learns it (now, or when the logger next polls)')
  .argument('<alertId>', 'the alert number', positiveInteger)
  .addOption(new Option('--false-positive', 'the event was normal').conflicts('confirmed'))
  .addOption(new Option('--confirmed', 'the event was an anomaly'))
  .addOption(db())
  .action(async (alertId: number, o: { db: string; falsePositive?: boolean; confirmed?: boolean }) => {
    if (!o.falsePositive && !o.confirmed) throw new UsageError('give --false-positive or --confirmed');
    const logger = await AuditLogger.open({ path: existingDb(o.db) });
    try {
      if (!logger.feedback(alertId, o.confirmed ? 'confirmed' : 'false_positive')) {
        throw new Error(`no alert #${alertId}`);
      }
      console.log(`alert #${alertId}: ${o.confirmed ? 'confirmed' : 'false positive'}`);
    } finally {
      await logger.close();
    }
  });

program
  .command('train')
  .description('train every actor from the log (its last --window-days) and save the models')
  .addOption(db())
  .addOption(models())
  .option('--window-days <n>', 'days of history per actor', positiveInteger, 30)
  .action(async (o: { db: string; models: string; windowDays: number }) => {
    const engine = new DetectionEngine({
      dbPath: existingDb(o.db),
      modelDir: o.models,
      windowDays: o.windowDays,
    });
    try {
      const summary = await engine.trainAll();
      for (const actor of summary.trained) console.log(`${actor}: trained`);
      for (const { actor, reason } of summary.skipped) console.log(`${actor}: not trained (${reason})`);
    } finally {
      engine.close();
    }
  });

program
  .command('stats')
  .description('counts of events, tool calls, decisions and alerts')
  .addOption(db())
  .action(async (o: { db: string }) => {
    const logger = await AuditLogger.open({ path: existingDb(o.db) });
    try {
      console.log(JSON.stringify(logger.store.stats(), null, 2));
    } finally {
      await logger.close();
    }
  });

program
  .command('ingest')
  .description('log JSONL events (one per line) with anomaly detection; prints the alerts raised')
  .argument('<events>', 'JSONL file, or - for standard input')
  .addOption(db())
  .addOption(models())
  .option(
    '--no-detect',
    'log only, as history: the anomaly plugin trains on these events but never assesses them',
  )
  .action(async (file: string, o: { db: string; models: string; detect: boolean }) => {
    mkdirSync(dirname(o.db), { recursive: true, mode: 0o700 });
    const plugin = o.detect
      ? new AnomalyPlugin({ modelDir: o.models, onAlert: (a) => console.log(formatAlert(a)) })
      : undefined;
    const logger = await AuditLogger.open({ path: o.db, plugins: plugin ? [plugin] : [] });
    let logged = 0;
    try {
      for await (const { line, value } of readJsonl(file, {
        onSkip: (n, why) => console.error(`line ${n}: ${why}`),
      })) {
        try {
          logger.log(value);
          logged++;
        } catch (error) {
          console.error(`line ${line}: ${(error as Error).message}`);
        }
      }
      await plugin?.drain();
      // Logged on purpose without detection: history to train on, not events to assess later.
      if (!plugin) logger.store.catchUp(undefined, logger.clock());
    } finally {
      await logger.close();
    }
    console.log(`logged ${logged} events${plugin ? `; ${plugin.stats().alerts} alerts` : ''}`);
  });

program
  .command('demo')
  .description(
    'simulate a fleet: log 28 days of history, train, then log 7 live days with attacks and list the alerts',
  )
  .option('--dir <dir>', 'where the database and models go', join('.harombe', 'audit-demo'))
  .option('--seed <n>', 'simulation seed', positiveInteger, 7)
  .action(async (o: { dir: string; seed: number }) => {
    const { runDemo } = await import('./demo.js');
    await runDemo({ dir: o.dir, seed: o.seed, fleet: generateFleet, print: (line) => console.log(line) });
  });

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof UsageError) {
    console.error(`harombe-audit: ${error.message}`);
    process.exit(2);
  }
  // Commander has already printed its own usage errors.
  if (error instanceof CommanderError)
    process.exit(error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2);
  console.error(`harombe-audit: ${(error as Error).message}`);
  process.exit(1);
}
