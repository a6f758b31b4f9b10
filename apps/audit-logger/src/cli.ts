#!/usr/bin/env node
// harombe-audit: query alerts and incidents, give feedback, train, show stats, ingest JSONL, run the demo.
// Exit codes: 0 success, 1 failure, 2 usage.
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { generateFleet } from '@harombe/agent-sim';
import {
  type LoggedEvent as InputEvent,
  readInTimeOrder,
  reorderByTime,
  streamEvents,
} from '@harombe/event-log';
import { THREAT_LEVELS, type ThreatLevel } from '@harombe/security-ml';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { pino } from 'pino';
import { AnomalyPlugin } from './anomaly-plugin.js';
import { AuditLogger, type AuditLoggerOptions } from './audit-logger.js';
import type { AlertStatus, AuditStore, IncidentStatus } from './audit-store.js';
import { DetectionEngine } from './engine.js';
import { formatAlert, formatIncident, parseSince } from './format.js';

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

/** A progress line on standard error every 10 seconds of a long run (the display's clock, not the events'). */
function progressLine(label: string): (done: number) => void {
  const started = Date.now();
  let last = started;
  return (done) => {
    if (done % 1000 !== 0) return;
    const now = Date.now();
    if (now - last < 10_000) return;
    last = now;
    console.error(
      `${label}: ${done.toLocaleString('en-US')} events, ${Math.round((now - started) / 1000)} s`,
    );
  };
}

/** Where the audit store is: `--postgres` (or `HAROMBE_AUDIT_POSTGRES`), else the SQLite file `--db`. */
interface StoreFlags {
  readonly db: string;
  readonly postgres?: string;
}

/** The store of the flags: PostgreSQL, or an existing SQLite file. */
function existingStore(o: StoreFlags): AuditLoggerOptions {
  return o.postgres ? { postgres: { connectionString: o.postgres } } : { path: existingDb(o.db) };
}

/** Opens an existing audit store (without plugins), runs `task`, closes it. */
async function withLogger(
  o: StoreFlags,
  task: (logger: AuditLogger<AuditStore>) => Promise<void>,
): Promise<void> {
  const logger = await AuditLogger.open(existingStore(o));
  try {
    await task(logger);
  } finally {
    await logger.close();
  }
}

/** `--db` and `--postgres`: every command that reads or writes the store takes both. */
const db = () => new Option('--db <file>', 'the SQLite audit database').default(DEFAULT_DB);
const postgres = () =>
  new Option('--postgres <url>', 'the audit store on PostgreSQL instead of --db (models there too)').env(
    'HAROMBE_AUDIT_POSTGRES',
  );

const models = () =>
  new Option(
    '--models <dir>',
    'where actor models are saved (SQLite; on PostgreSQL they are in the database)',
  ).default(DEFAULT_MODELS);

const logLevel = () =>
  new Option('--log-level <level>', 'structured logs (pino, JSON) on standard error from this level')
    .choices(['debug', 'info', 'warn', 'error', 'silent'])
    .default('error');
const cliLog = (level: string) => pino({ name: 'harombe-audit', level }, pino.destination(2));

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

const program = new Command('harombe-audit')
  .description(
    'An audit log on SQLite (or PostgreSQL) with anomaly detection: alerts, feedback, training, stats.',
  )
  .version(version, '-V, --version', 'print the version')
  .exitOverride()
  .showHelpAfterError('(run with --help for usage)');

program
  .command('alerts')
  .description('list security alerts, most serious first (smallest tail probability)')
  .addOption(db())
  .addOption(postgres())
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
      postgres?: string;
      since?: Date;
      level?: ThreatLevel;
      status?: AlertStatus;
      limit: number;
      json?: boolean;
    }) => {
      await withLogger(o, async (logger) => {
        const alerts = await logger.alerts({
          limit: o.limit,
          ...(o.since ? { since: o.since } : {}),
          ...(o.level ? { level: o.level } : {}),
          ...(o.status ? { status: o.status } : {}),
        });
        for (const a of alerts) console.log(o.json ? JSON.stringify(a) : formatAlert(a));
        if (!o.json) console.log(`${alerts.length} alert${alerts.length === 1 ? '' : 's'}`);
      });
    },
  );

program
  .command('feedback')
  .description('an analyst verdict on an alert; the detector learns it (now, or when the logger next polls)')
  .argument('<alertId>', 'the alert number', positiveInteger)
  .addOption(new Option('--false-positive', 'the event was normal').conflicts('confirmed'))
  .addOption(new Option('--confirmed', 'the event was an anomaly'))
  .addOption(db())
  .addOption(postgres())
  .action(
    async (
      alertId: number,
      o: { db: string; postgres?: string; falsePositive?: boolean; confirmed?: boolean },
    ) => {
      if (!o.falsePositive && !o.confirmed) throw new UsageError('give --false-positive or --confirmed');
      await withLogger(o, async (logger) => {
        if (!(await logger.feedback(alertId, o.confirmed ? 'confirmed' : 'false_positive'))) {
          throw new Error(`no alert #${alertId}`);
        }
        console.log(`alert #${alertId}: ${o.confirmed ? 'confirmed' : 'false positive'}`);
      });
    },
  );

const incidents = program
  .command('incidents')
  .description(
    'incidents (alerts of one agent that belong together) and campaigns (one thing at several agents)',
  );

incidents
  .command('list', { isDefault: true })
  .description('list incidents and campaigns, most serious first (smallest tail probability)')
  .addOption(db())
  .addOption(postgres())
  .option('--agent <id>', 'only incidents of (or campaigns including) this agent')
  .addOption(
    new Option('--status <status>', 'only incidents in this state').choices(['open', 'closed', 'resolved']),
  )
  .option('--campaign', 'only campaigns')
  .option('--no-campaign', "only agents' incidents")
  .option('--since <when>', 'last alert at or after: ISO date or 30m, 24h, 7d', (v) => parseSince(v))
  .option('--limit <n>', 'at most this many', positiveInteger, 50)
  .option('--json', 'one JSON object per line')
  .action(
    async (o: {
      db: string;
      postgres?: string;
      agent?: string;
      status?: IncidentStatus;
      campaign?: boolean;
      since?: Date;
      limit: number;
      json?: boolean;
    }) => {
      await withLogger(o, async (logger) => {
        const list = await logger.incidents({
          limit: o.limit,
          ...(o.agent === undefined ? {} : { agentId: o.agent }),
          ...(o.status ? { status: o.status } : {}),
          ...(o.campaign === undefined ? {} : { campaign: o.campaign }),
          ...(o.since ? { since: o.since } : {}),
        });
        for (const i of list) console.log(o.json ? JSON.stringify(i) : formatIncident(i));
        if (!o.json) console.log(`${list.length} incident${list.length === 1 ? '' : 's'}`);
      });
    },
  );

incidents
  .command('show')
  .description('one incident and its alerts, most serious first')
  .argument('<id>', 'the incident id')
  .addOption(db())
  .addOption(postgres())
  .option('--json', 'one JSON object')
  .action(async (id: string, o: { db: string; postgres?: string; json?: boolean }) => {
    await withLogger(o, async (logger) => {
      const found = await logger.incident(id);
      if (!found) throw new Error(`no incident ${id}`);
      if (o.json) {
        console.log(JSON.stringify(found));
        return;
      }
      console.log(formatIncident(found.incident));
      if (found.incident.subjects.length) console.log(`    about: ${found.incident.subjects.join(', ')}`);
      if (found.incident.linked.length) console.log(`    linked: ${found.incident.linked.join(', ')}`);
      for (const a of found.alerts) console.log(formatAlert(a));
      console.log(`${found.alerts.length} alert${found.alerts.length === 1 ? '' : 's'} stored`);
    });
  });

incidents
  .command('resolve')
  .description(
    'resolve an incident (its next alerts open a new one); --normal or --anomaly is the verdict on its open alerts, which the detector learns',
  )
  .argument('<id>', 'the incident id')
  .addOption(new Option('--normal', 'its events were normal (false positives)').conflicts('anomaly'))
  .addOption(new Option('--anomaly', 'its events were anomalies (confirmed)'))
  .addOption(db())
  .addOption(postgres())
  .action(async (id: string, o: { db: string; postgres?: string; normal?: boolean; anomaly?: boolean }) => {
    const verdict = o.normal ? 'normal' : o.anomaly ? 'anomaly' : undefined;
    await withLogger(o, async (logger) => {
      if (!(await logger.resolveIncident(id, verdict))) throw new Error(`no incident ${id}`);
      console.log(`incident ${id}: resolved${verdict ? ` (${verdict})` : ''}`);
    });
  });

program
  .command('train')
  .description('train every actor from the log (its last --window-days) and save the models')
  .addOption(db())
  .addOption(postgres())
  .addOption(models())
  .option('--window-days <n>', 'days of history per actor', positiveInteger, 30)
  .action(async (o: { db: string; postgres?: string; models: string; windowDays: number }) => {
    const store = existingStore(o);
    const engine = await DetectionEngine.open({
      ...(store.postgres ? { postgres: store.postgres } : { dbPath: store.path }),
      modelDir: o.models,
      windowDays: o.windowDays,
    });
    try {
      const summary = await engine.trainAll();
      for (const actor of summary.trained) console.log(`${actor}: trained`);
      for (const { actor, reason } of summary.skipped) console.log(`${actor}: not trained (${reason})`);
    } finally {
      await engine.close();
    }
  });

program
  .command('stats')
  .description('counts of events, tool calls, decisions and alerts')
  .addOption(db())
  .addOption(postgres())
  .action(async (o: { db: string; postgres?: string }) => {
    await withLogger(o, async (logger) => console.log(JSON.stringify(await logger.store.stats(), null, 2)));
  });

program
  .command('ingest')
  .description(
    'log JSONL events (one per line) with anomaly detection; prints each incident when it opens or escalates',
  )
  .argument('<events>', 'JSONL file, or - for standard input')
  .addOption(db())
  .addOption(postgres())
  .addOption(models())
  .option(
    '--no-detect',
    'log only, as history: the anomaly plugin trains on these events but never assesses them',
  )
  .option(
    '--reorder-window <minutes>',
    'standard input: how long (event time) an event waits for earlier ones before it is logged; a file is sorted whole',
    positiveInteger,
    5,
  )
  .addOption(logLevel())
  .action(
    async (
      file: string,
      o: {
        db: string;
        postgres?: string;
        models: string;
        detect: boolean;
        logLevel: string;
        reorderWindow: number;
      },
    ) => {
      if (!o.postgres) mkdirSync(dirname(o.db), { recursive: true, mode: 0o700 });
      let opened = 0;
      const plugin = o.detect
        ? new AnomalyPlugin({
            modelDir: o.models,
            log: cliLog(o.logLevel),
            onAlert: (a) => {
              if (a.change === 'opened') opened++;
              console.log(`${a.change}: ${formatIncident(a.incident)}\n  by ${formatAlert(a)}`);
            },
          })
        : undefined;
      const plugins = plugin ? [plugin] : [];
      const logger = await AuditLogger.open(
        o.postgres ? { postgres: { connectionString: o.postgres }, plugins } : { path: o.db, plugins },
      );
      let logged = 0;
      let late = 0;
      // Each agent's events in event time, whatever the input's order: a file sorted in bounded memory,
      // standard input through a reorder window (events later than it are logged as they come, counted).
      const read = { strict: false, onSkip: (n: number, why: string) => console.error(`line ${n}: ${why}`) };
      const events: AsyncIterable<InputEvent> =
        file === '-'
          ? reorderByTime(streamEvents(file, read), {
              windowMs: o.reorderWindow * 60_000,
              onLate: () => late++,
            })
          : readInTimeOrder(file, read);
      const progress = progressLine('harombe-audit ingest');
      try {
        for await (const { line, event } of events) {
          try {
            await logger.log(event);
            logged++;
            progress(logged);
          } catch (error) {
            console.error(`line ${line}: ${(error as Error).message}`);
          }
        }
        await plugin?.drain();
        // Logged on purpose without detection: history to train on, not events to assess later.
        if (!plugin) await logger.store.catchUp(undefined, logger.clock());
      } finally {
        await logger.close();
      }
      if (late > 0)
        console.error(`${late} events came later than the reorder window and were logged out of order`);
      console.log(
        `logged ${logged} events${plugin ? `; ${plugin.stats().alerts} alerts, ${opened} incidents opened` : ''}`,
      );
    },
  );

program
  .command('demo')
  .description(
    'simulate a fleet: log 28 days of history, train, then log 7 live days with attacks and list the incidents',
  )
  .option('--dir <dir>', 'where the database and models go', join('.harombe', 'audit-demo'))
  .option('--seed <n>', 'simulation seed', positiveInteger, 7)
  .addOption(logLevel())
  .action(async (o: { dir: string; seed: number; logLevel: string }) => {
    const { runDemo } = await import('./demo.js');
    await runDemo({
      dir: o.dir,
      seed: o.seed,
      fleet: generateFleet,
      print: (line) => console.log(line),
      log: cliLog(o.logLevel),
    });
  });

// A reader that stops early (`harombe-audit alerts | head`) closes the pipe: stop quietly with exit 0, as Unix
// tools do, instead of dying on an unhandled EPIPE with a stack trace.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  process.exit(0);
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
