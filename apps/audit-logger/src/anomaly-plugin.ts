// The anomaly plugin: every committed event goes, by row id and through a bounded queue, to a
// detection worker thread running ThreatDetector, which stores its decisions and alerts in the
// security database (a file of its own, so the logger never waits for its write lock); the alerts
// come back for `onAlert`. The logger's thread only counts and posts numbers.
//
// Back-pressure: logging never waits for detection. When `queueCapacity` events are waiting, or the
// worker is down, an event is not queued: it is stored (as always) with a decision `skipped` and the
// reason. A failing assessment is stored as `failed`. No audit event is ever dropped: only its
// assessment can be late. The plugin then catches up while it runs: once the queue has drained, it
// has the worker assess the skipped and failed events in bounded batches, oldest first, until none
// are left; events logged meanwhile wait behind them (stored as skipped too), so that every actor's
// events are still assessed in the order they were logged.
//
// Alerting: every alert is stored, but `onAlert` hears only of the alert that opens an incident (or
// a campaign), raises its level or brings it a new finding about what the agent touched, so an
// attack of a hundred events pages once or a few times.
//
// Scheduled jobs (retraining, retention) run in one process only: the leader elected by the store
// (on PostgreSQL an advisory lock, so among several plugins on one database one at a time retrains;
// on SQLite the one process).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { parseOrThrow } from '@harombe/models';
import { type ThreatLevel, ThreatLevelSchema } from '@harombe/security-ml';
import { type Logger, pino } from 'pino';
import { z } from 'zod';
import { type AuditLogger, type AuditPlugin, andThen } from './audit-logger.js';
import type {
  Alert,
  AlertNotice,
  AuditStore,
  LeadOutcome,
  LoggedEvent,
  RetentionOutcome,
} from './audit-store.js';
import type { BatchOutcome, EngineOptions } from './engine.js';
import { AuditMetrics } from './metrics.js';
import type { WorkerData, WorkerReply, WorkerRequest } from './protocol.js';

/**
 * Detection options (`modelDir`, `contamination`, `seed`, `windowDays`, `timeZones`,
 * `maxModelsInMemory`: see {@link EngineOptions}) and the plugin's own.
 */
export interface AnomalyPluginOptions extends Omit<EngineOptions, 'dbPath' | 'postgres'> {
  /** Events waiting for detection at most; beyond, events are stored as `skipped`. Default 10,000. */
  readonly queueCapacity?: number;
  /** Lowest threat level that raises an alert. Default `low` (every threat). */
  readonly alertAt?: ThreatLevel;
  /** Train actors without a saved model from the log when the plugin starts. Default true. */
  readonly trainOnStart?: boolean;
  /**
   * Store a decision row for every assessed event (score, level, explanation), not only for threats,
   * failures and skips: one more row per event, written by the detection worker. Default false.
   */
  readonly recordAllDecisions?: boolean;
  /**
   * Assess events whose assessment was skipped or failed (queue full, worker down, process stopped)
   * when the plugin starts: the first batch before `attach` resolves, the rest while it runs. Default true.
   */
  readonly backfillOnStart?: boolean;
  /**
   * Retrain every actor from the log this often (ms); 0 never. Default 24 hours. Only the leader
   * among the processes on one store retrains (see {@link AnomalyPlugin.runScheduled}).
   */
  readonly retrainIntervalMs?: number;
  /**
   * Retention: delete events (with their tool calls, decisions and alerts) older than this many days
   * before the newest event, and incidents no longer open whose last alert is that old. Event time,
   * not the wall clock. 0 (default): keep everything.
   */
  readonly retentionDays?: number;
  /** How often the leader applies retention (ms), when `retentionDays` is set. Default 1 hour. */
  readonly retentionIntervalMs?: number;
  /** Look for analysts' verdicts (also those given by other processes) this often (ms); 0 never. Default 5000. */
  readonly feedbackPollMs?: number;
  /**
   * Called, after it is stored, for an alert that opened an incident or a campaign, raised its level
   * or brought it a new finding: once when an incident opens, once per rise of its level, and once
   * per new finding about what the agent touched (`change: 'finding'`), never per event. The payload
   * is the {@link Alert} with its `incident`, the `change` and the `incidentLevel` reached. Every
   * alert is stored and listed whether announced or not.
   */
  readonly onAlert?: (alert: AlertNotice) => void;
  /** Called when the worker fails or a request to it fails. Default: logged at `error`. */
  readonly onError?: (error: Error) => void;
  /** Structured logs (pino). Default: pino named `harombe-audit`, to standard output at `info`. */
  readonly log?: Logger;
  /** Prometheus metrics to update (serve `metrics.registry`). Default none: nothing is measured. */
  readonly metrics?: AuditMetrics;
}

export interface AnomalyPluginStats {
  /** Waiting to be sent to the worker, and sent but not yet answered. */
  readonly queued: number;
  readonly inFlight: number;
  /** Events assessed, late ones included. */
  readonly assessed: number;
  /** Events stored as skipped (queue full, catching up, worker down, no actor). */
  readonly skipped: number;
  readonly failed: number;
  /** Events assessed late, by a backfill, after they were skipped or failed. */
  readonly backfilled: number;
  readonly alerts: number;
  readonly workerUp: boolean;
  /** Skipped or failed events may be waiting: new events are stored as skipped behind them. */
  readonly catchingUp: boolean;
}

const HOUR = 3_600_000;
const QUEUE_FULL = 'detection queue full';
const BEHIND_BACKLOG = 'detection catching up on skipped events';
const callback = <T extends (...args: never[]) => unknown>() =>
  z.custom<T>((value) => typeof value === 'function', 'expected a function');

const AnomalyPluginOptionsSchema = z
  .object({
    modelDir: z.string().min(1).optional(),
    contamination: z.number().gt(0).max(0.5).optional(),
    seed: z.number().int().min(0).optional(),
    windowDays: z.number().int().min(1).max(366).optional(),
    timeZones: z.record(z.string(), z.string().min(1)).optional(),
    maxModelsInMemory: z.number().int().min(1).optional(),
    unknownAgents: z.enum(['fail', 'warn', 'skip']).optional(),
    queueCapacity: z.number().int().min(1).default(10_000),
    alertAt: ThreatLevelSchema.default('low'),
    trainOnStart: z.boolean().default(true),
    recordAllDecisions: z.boolean().default(false),
    backfillOnStart: z.boolean().default(true),
    retrainIntervalMs: z
      .number()
      .int()
      .min(0)
      .default(24 * HOUR),
    feedbackPollMs: z.number().int().min(0).default(5000),
    retentionDays: z.number().int().min(0).default(0),
    retentionIntervalMs: z.number().int().min(1000).default(HOUR),
    onAlert: callback<(alert: AlertNotice) => void>().optional(),
    onError: callback<(error: Error) => void>().optional(),
    log: z
      .custom<Logger>(
        (value) => typeof (value as Logger | null)?.child === 'function',
        'expected a pino logger',
      )
      .optional(),
    metrics: z.instanceof(AuditMetrics, { message: 'expected an AuditMetrics' }).optional(),
  })
  .strict();

/** A job the plugin runs on a timer, as the elected leader only. */
export type ScheduledJob = 'retrain' | 'retention';

/** What a scheduled job did. */
export type ScheduledOutcome = LeadOutcome<
  | {
      readonly job: 'retrain';
      readonly trained: string[];
      readonly skipped: Array<{ actor: string; reason: string }>;
    }
  | { readonly job: 'retention'; readonly outcome: RetentionOutcome | null }
>;

/** The leadership every plugin on one store competes for: the scheduler of retraining and retention. */
export const SCHEDULER_LEADERSHIP = 'harombe:audit:scheduler';

/** The detection worker: plain JavaScript from dist; from sources (tests), TypeScript through tsx. */
function startWorker(workerData: WorkerData): Worker {
  if (!import.meta.url.endsWith('.ts'))
    return new Worker(new URL('./detection-worker.js', import.meta.url), { workerData });
  const tsx = join(
    dirname(createRequire(import.meta.url).resolve('tsx/package.json')),
    'dist/esm/api/index.mjs',
  );
  const entry = new URL('./detection-worker.ts', import.meta.url).href;
  const code = `import(${JSON.stringify(pathToFileURL(tsx).href)}).then((t) => { t.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true, workerData });
}

export class AnomalyPlugin implements AuditPlugin {
  readonly name = 'anomaly';
  private logger: AuditLogger<AuditStore> | undefined;
  private worker: Worker | undefined;
  private workerUp = false;
  /** Row ids of events waiting to be sent to the worker. */
  private buffer: number[] = [];
  /** With metrics: when each buffered event was committed (`performance.now()`), for the latency. */
  private bufferedAt: number[] = [];
  private flushScheduled = false;
  /** Row ids of the batch sent to the worker and not yet answered (one batch at a time). */
  private inFlight: number[] = [];
  private inFlightAt: number[] = [];
  /**
   * Row ids not queued, to be stored as skipped by the worker (grouped by reason, in order); and
   * those sent, unanswered, in order.
   */
  private overflow: Array<{ readonly reason: string; readonly rows: number[] }> = [];
  private overflowInFlight: number[][] = [];
  /** Events ever put in `overflow`: a backfill that started before the last of them cannot have seen it. */
  private overflowed = 0;
  /**
   * Skipped or failed events may be waiting in the database. While they do, new events join them
   * (skipped) instead of the queue: assessing new events first would judge the waiting ones after
   * newer events of the same actor, and a retrain in between would learn around them.
   */
  private backlog = false;
  /** The catch-up loop is running (at most one). */
  private catchingUp = false;
  private closing = false;
  private readonly counts = { assessed: 0, skipped: 0, failed: 0, backfilled: 0, alerts: 0 };
  /** `counts.backfilled` when the last catch-up was logged. */
  private backfilledLogged = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly pendingReplies = new Map<string, Array<(reply: WorkerReply) => void>>();
  private feedbackInFlight = false;
  private timers: NodeJS.Timeout[] = [];
  private readonly options: Required<
    Omit<AnomalyPluginOptions, keyof EngineOptions | 'onAlert' | 'onError' | 'log' | 'metrics'>
  > &
    AnomalyPluginOptions;
  private readonly log: Logger;
  private readonly metrics: AuditMetrics | undefined;

  /** @throws {ValidationError} an option out of range, naming it. */
  constructor(options: AnomalyPluginOptions = {}) {
    this.options = parseOrThrow(AnomalyPluginOptionsSchema, options, 'AnomalyPlugin options');
    this.log = options.log ?? pino({ name: 'harombe-audit' });
    this.metrics = options.metrics;
  }

  /** Starts the worker; resolves when every actor's model is loaded or trained. */
  async attach(logger: AuditLogger<AuditStore>): Promise<void> {
    this.logger = logger;
    const {
      queueCapacity: _queue,
      alertAt: _alertAt,
      trainOnStart,
      recordAllDecisions,
      backfillOnStart,
      retrainIntervalMs,
      feedbackPollMs,
      retentionDays,
      retentionIntervalMs,
      onAlert: _onAlert,
      onError: _onError,
      log: _log,
      metrics: _metrics,
      ...engine
    } = this.options;
    const data: WorkerData = {
      engine: {
        ...engine,
        ...('postgres' in logger.location
          ? { postgres: logger.location.postgres }
          : { dbPath: logger.location.path }),
      },
      trainOnStart,
      recordAllDecisions,
      alertAt: this.options.alertAt,
      startedAt: logger.clock(),
    };
    const worker = startWorker(data);
    this.worker = worker;
    worker.on('message', (reply: WorkerReply) => this.receive(reply));
    worker.on('error', (error) => this.workerDown(error));
    worker.on('exit', (code) => {
      if (this.workerUp) this.workerDown(new Error(`detection worker exited with code ${code}`));
    });
    const ready = await this.request({ type: 'ready' }, undefined);
    if (ready.type === 'error') throw new Error(`detection worker failed to start: ${ready.message}`);
    this.workerUp = true;
    if (ready.type === 'ready') {
      const { loaded, trained, caughtUp } = ready;
      this.log.info({ loaded: loaded.length, trained: trained.length, caughtUp }, 'anomaly detection ready');
    }
    this.metrics?.watch(() => {
      const { queued, inFlight, workerUp } = this.stats();
      return { queueDepth: queued + inFlight, workerUp };
    });
    await this.applyFeedback();
    if (backfillOnStart) {
      // The first batch now (a short log is caught up when the logger opens), the rest while it runs.
      this.backlog = true;
      this.catchingUp = true;
      try {
        await this.catchUpStep();
      } catch (error) {
        this.stopCatchingUp(error);
      } finally {
        this.catchingUp = false;
      }
      this.catchUpWhenDrained();
    }
    if (feedbackPollMs > 0) this.every(feedbackPollMs, () => void this.applyFeedback());
    if (retrainIntervalMs > 0) this.every(retrainIntervalMs, () => void this.scheduled('retrain'));
    if (retentionDays > 0) this.every(retentionIntervalMs, () => void this.scheduled('retention'));
  }

  onEvent(event: LoggedEvent): void {
    // Events without an actor go to the worker too, which stores them as skipped (no actor).
    if (!this.workerUp) {
      this.storeHere([event.id], 'skipped', 'detection worker unavailable');
    } else if (this.backlog) {
      this.spill(event.id, BEHIND_BACKLOG);
    } else if (this.buffer.length + this.inFlight.length >= this.options.queueCapacity) {
      this.backlog = true;
      this.log.warn(
        { queueCapacity: this.options.queueCapacity },
        'detection queue full: events are stored as skipped and assessed once it drains',
      );
      this.spill(event.id, QUEUE_FULL);
    } else {
      this.buffer.push(event.id);
      if (this.metrics) this.bufferedAt.push(performance.now());
      if (this.inFlight.length === 0) this.scheduleFlush();
    }
  }

  /**
   * Resolves when every queued event has been assessed and its decision stored, and every skipped or
   * failed event has been caught up on (unless the worker is down).
   */
  drain(): Promise<void> {
    this.catchUpWhenDrained();
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  stats(): AnomalyPluginStats {
    let overflow = 0;
    for (const group of this.overflow) overflow += group.rows.length;
    return {
      queued: this.buffer.length + overflow,
      inFlight: this.inFlight.length,
      ...this.counts,
      workerUp: this.workerUp,
      catchingUp: this.backlog,
    };
  }

  /**
   * Assesses every event whose assessment was skipped or failed (queue full, worker down, process
   * stopped), oldest first, in batches of `queueCapacity`, as the plugin does by itself whenever the
   * queue drains; resolves when none is left (events logged meanwhile included). Returns how many
   * were assessed.
   */
  async backfill(): Promise<number> {
    if (!this.workerUp) return 0;
    const before = this.counts.backfilled;
    this.backlog = true;
    this.catchUpWhenDrained();
    await this.drain();
    return this.counts.backfilled - before;
  }

  /**
   * Applies analysts' verdicts not yet applied (from this process or another): on alerts, and
   * resolutions of incidents. Returns how many (alerts and incidents).
   */
  async applyFeedback(): Promise<number> {
    if (!this.workerUp || this.feedbackInFlight) return 0;
    this.feedbackInFlight = true;
    try {
      const reply = await this.request({ type: 'feedback-applied' }, { type: 'feedback' });
      if (reply.type !== 'feedback-applied') throw new Error(`feedback failed: ${errorText(reply)}`);
      const { alertIds, incidentIds } = reply;
      if (alertIds.length + incidentIds.length > 0) {
        this.log.info({ alerts: alertIds.length, incidents: incidentIds }, 'analyst feedback applied');
      }
      return alertIds.length + incidentIds.length;
    } catch (error) {
      this.reportError(error);
      return 0;
    } finally {
      this.feedbackInFlight = false;
    }
  }

  /** Retrains every actor from the log (excluding events whose alerts stand) and saves the models. */
  async retrain(): Promise<{ trained: string[]; skipped: Array<{ actor: string; reason: string }> }> {
    const reply = await this.request({ type: 'retrained' }, { type: 'retrain' });
    if (reply.type !== 'retrained') throw new Error(`retraining failed: ${errorText(reply)}`);
    this.log.info({ trained: reply.trained.length, skipped: reply.skipped }, 'actors retrained from the log');
    return { trained: reply.trained, skipped: reply.skipped };
  }

  /**
   * Runs a scheduled job if this process is the leader among the processes on the store (see
   * `AuditStore.lead`: on PostgreSQL, the holder of an advisory lock for the job's duration; on
   * SQLite, always), else does nothing (`led: false`). The timers call it; so may tests and operators.
   * `retention` needs `retentionDays` (else it deletes nothing and reports `outcome: null`).
   */
  async runScheduled(job: ScheduledJob): Promise<ScheduledOutcome> {
    return this.logger!.store.lead(SCHEDULER_LEADERSHIP, async () => {
      if (job === 'retrain') return { job, ...(await this.retrain()) };
      return { job, outcome: await this.retention() };
    });
  }

  /** Applies retention now (`retentionDays`), in this process, leader or not. */
  async retention(): Promise<RetentionOutcome | null> {
    const days = this.options.retentionDays;
    if (days === 0) return null;
    const reply = await this.request({ type: 'retained' }, { type: 'retention', days });
    if (reply.type !== 'retained') throw new Error(`retention failed: ${errorText(reply)}`);
    if (reply.outcome) this.log.info({ ...reply.outcome, retentionDays: days }, 'retention applied');
    return reply.outcome;
  }

  /** A timer's job: run as the leader, errors reported. */
  private async scheduled(job: ScheduledJob): Promise<void> {
    try {
      const outcome = await this.runScheduled(job);
      if (!outcome.led) this.log.debug({ job }, 'another process leads the scheduled jobs');
    } catch (error) {
      this.reportError(error);
    }
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    // What is still to catch up on stays skipped in the database: the next start backfills it.
    this.closing = true;
    if (this.workerUp) {
      this.flush();
      await this.drain();
      this.workerUp = false;
      const exited = new Promise((resolve) => this.worker!.once('exit', resolve));
      this.worker!.postMessage({ type: 'close' } satisfies WorkerRequest);
      await exited;
    } else {
      await this.worker?.terminate();
    }
  }

  private scheduleFlush(): void {
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // At most one message per turn of the event loop, however many events were logged in it.
      setImmediate(() => this.flush());
    }
  }

  /**
   * Sends the waiting events as one batch, unless a batch is in flight: then its answer sends them.
   * While the worker is busy, events gather into the next batch instead of one message each, so a
   * busy logger pays for few messages and replies (the worker takes batches in order anyway).
   * Events the queue had no room for go as one `skip` message.
   */
  private flush(): void {
    this.flushScheduled = false;
    if (!this.worker || !this.workerUp) return;
    for (const { rows, reason } of this.overflow.splice(0)) {
      this.overflowInFlight.push(rows);
      this.worker.postMessage({
        type: 'skip',
        rows,
        reason,
        now: this.logger!.clock(),
      } satisfies WorkerRequest);
    }
    if (this.buffer.length === 0 || this.inFlight.length > 0) return;
    const rows = this.buffer;
    this.buffer = [];
    this.inFlight = rows;
    this.inFlightAt = this.bufferedAt;
    this.bufferedAt = [];
    // Row ids only: the worker reads the events from the database, off this thread.
    this.worker.postMessage({ type: 'assess', rows, now: this.logger!.clock() } satisfies WorkerRequest);
  }

  private receive(reply: WorkerReply): void {
    if (reply.type === 'assessed' || (reply.type === 'error' && reply.request === 'assess')) {
      if (reply.type === 'assessed') {
        this.observeLatency();
        this.count(reply);
        // Events whose assessment failed are tried again once the queue drains.
        if (reply.failed > 0) this.backlog = true;
      } else {
        // The worker could not store the batch's decisions: stored here as failed, for backfill.
        this.reportError(new Error(`assess: ${reply.message}`));
        this.storeHere(this.inFlight, 'failed', reply.message);
        this.backlog = true;
      }
      this.inFlight = [];
      this.inFlightAt = [];
      this.flush();
      this.catchUpWhenDrained();
      this.settleIfIdle();
      return;
    }
    if (reply.type === 'skip-recorded' || (reply.type === 'error' && reply.request === 'skip')) {
      const rows = this.overflowInFlight.shift() ?? [];
      if (reply.type === 'skip-recorded') this.countSkipped(rows.length);
      else {
        this.reportError(new Error(`skip: ${reply.message}`));
        this.storeHere(rows, 'skipped', QUEUE_FULL);
      }
      this.catchUpWhenDrained();
      this.settleIfIdle();
      return;
    }
    const kind = reply.type === 'error' ? errorKind(reply.request) : reply.type;
    const resolvers = this.pendingReplies.get(kind);
    const resolve = resolvers?.shift();
    if (resolve) resolve(reply);
    else if (reply.type === 'error') this.reportError(new Error(`${reply.request}: ${reply.message}`));
  }

  /** Sends a request (if any) and resolves with the next reply of `expect.type` (or its error). */
  private request(expect: { type: string }, message: WorkerRequest | undefined): Promise<WorkerReply> {
    return new Promise((resolve) => {
      const list = this.pendingReplies.get(expect.type) ?? [];
      list.push(resolve);
      this.pendingReplies.set(expect.type, list);
      if (message) this.worker!.postMessage(message);
    });
  }

  /** Puts an event aside, to be stored as skipped (and caught up on): the queue is no place for it now. */
  private spill(eventRow: number, reason: string): void {
    const last = this.overflow[this.overflow.length - 1];
    if (last?.reason === reason) last.rows.push(eventRow);
    else this.overflow.push({ reason, rows: [eventRow] });
    this.overflowed++;
    this.scheduleFlush();
  }

  /**
   * Starts catching up on skipped and failed events if there may be some and the queue has drained
   * (its events are older than those waiting in the database). Does nothing while it runs already.
   */
  private catchUpWhenDrained(): void {
    if (this.catchingUp || !this.canCatchUp()) return;
    this.catchingUp = true;
    void this.catchUpLoop();
  }

  private canCatchUp(): boolean {
    return (
      this.backlog && this.workerUp && !this.closing && this.buffer.length === 0 && this.inFlight.length === 0
    );
  }

  /** Backfill batches, one at a time, until the database has no skipped or failed event left. */
  private async catchUpLoop(): Promise<void> {
    try {
      while (this.canCatchUp()) await this.catchUpStep();
    } catch (error) {
      this.stopCatchingUp(error);
    } finally {
      this.catchingUp = false;
      this.settleIfIdle();
    }
  }

  /**
   * One backfill batch of `queueCapacity` events, oldest first. The backlog is over when the batch
   * found fewer events than it asked for (or none it could assess: they failed again and wait for
   * the next catch-up), and no event was put aside after it was asked for.
   */
  private async catchUpStep(): Promise<void> {
    // The skips not yet sent go first, so that the batch sees them.
    this.flush();
    const overflowed = this.overflowed;
    const limit = this.options.queueCapacity;
    const reply = await this.request(
      { type: 'backfilled' },
      { type: 'backfill', limit, now: this.logger!.clock() },
    );
    if (reply.type !== 'backfilled') throw new Error(`backfill failed: ${errorText(reply)}`);
    this.count(reply);
    this.counts.backfilled += reply.assessed;
    this.metrics?.backfilled.inc(reply.assessed);
    if ((reply.processed < limit || reply.assessed === 0) && this.overflowed === overflowed) {
      this.backlog = false;
      const backfilled = this.counts.backfilled - this.backfilledLogged;
      if (backfilled > 0) this.log.info({ backfilled }, 'detection caught up on skipped events');
      this.backfilledLogged = this.counts.backfilled;
    }
  }

  /** A backfill failed: new events are queued again; what waits is assessed at the next overflow or start. */
  private stopCatchingUp(error: unknown): void {
    this.backlog = false;
    this.reportError(error);
  }

  /**
   * Counts a batch's outcome (stored by the worker), and announces the alerts that opened or raised
   * an incident (logged at `warn`; every alert at `debug`).
   */
  private count(outcome: BatchOutcome): void {
    this.counts.assessed += outcome.assessed;
    this.countSkipped(outcome.skipped);
    this.counts.failed += outcome.failed;
    this.counts.alerts += outcome.alerts.length;
    const m = this.metrics;
    if (m) {
      m.assessed.inc(outcome.assessed);
      m.failed.inc(outcome.failed);
      for (const alert of outcome.alerts) m.alerts.inc({ level: alert.threatLevel });
    }
    if (this.log.isLevelEnabled('debug')) {
      for (const alert of outcome.alerts) this.log.debug(alertFields(alert), 'alert stored');
    }
    for (const notice of outcome.notices) {
      const kind = notice.incident.campaign ? 'campaign' : 'agent';
      m?.incidents.inc({ change: notice.change, kind, level: notice.incidentLevel });
      this.log.warn(
        {
          ...alertFields(notice),
          incidentId: notice.incident.id,
          campaign: notice.incident.campaign,
          agents: notice.incident.agentIds,
          incidentLevel: notice.incidentLevel,
          reasons: notice.incident.reasons,
        },
        `${kind === 'campaign' ? 'campaign' : 'incident'} ${notice.change}`,
      );
      try {
        this.options.onAlert?.(notice);
      } catch (error) {
        this.reportError(error);
      }
    }
  }

  private countSkipped(n: number): void {
    this.counts.skipped += n;
    this.metrics?.skipped.inc(n);
  }

  /** Each event of the answered batch: time from its commit to now (its decision is stored). */
  private observeLatency(): void {
    if (!this.metrics) return;
    const now = performance.now();
    for (const at of this.inFlightAt) this.metrics.detectionSeconds.observe((now - at) / 1000);
  }

  /**
   * Stores decisions on this thread: only when there is no worker to do it (it is down). At once on
   * SQLite; on PostgreSQL the counts follow the commit.
   */
  private storeHere(eventRows: readonly number[], outcome: 'skipped' | 'failed', reason: string): void {
    const counted = () => {
      this.counts[outcome] += eventRows.length;
      this.metrics?.[outcome].inc(eventRows.length);
    };
    try {
      const decisions = eventRows.map((eventRow) => ({ eventRow, outcome, reason }));
      const stored = andThen(
        this.logger!.store.recordDecisions(decisions, this.options.alertAt, this.logger!.clock()),
        counted,
      );
      if (stored instanceof Promise) stored.catch((error: unknown) => this.reportError(error));
    } catch (error) {
      this.reportError(error);
    }
  }

  private workerDown(error: Error): void {
    this.workerUp = false;
    this.reportError(error);
    // What was queued or in flight is stored as failed: `backfill` assesses it once a worker is back.
    const lost = [
      ...this.inFlight,
      ...this.buffer,
      ...this.overflow.flatMap((group) => group.rows),
      ...this.overflowInFlight.flat(),
    ];
    this.inFlight = [];
    this.inFlightAt = [];
    this.buffer = [];
    this.bufferedAt = [];
    this.overflow = [];
    this.overflowInFlight = [];
    if (lost.length > 0 && this.logger) this.storeHere(lost, 'failed', error.message);
    for (const [, resolvers] of this.pendingReplies) {
      for (const resolve of resolvers.splice(0))
        resolve({ type: 'error', request: 'worker', message: error.message });
    }
    this.settleIfIdle();
  }

  private idle(): boolean {
    return (
      this.buffer.length === 0 &&
      this.inFlight.length === 0 &&
      this.overflow.length === 0 &&
      this.overflowInFlight.length === 0 &&
      !this.catchingUp &&
      // What waits in the database: caught up on, unless nobody can (worker down) or will (closing).
      (!this.backlog || !this.workerUp || this.closing)
    );
  }

  private settleIfIdle(): void {
    if (this.idle()) {
      for (const resolve of this.waiting.splice(0)) resolve();
    }
  }

  private every(ms: number, task: () => void): void {
    const timer = setInterval(task, ms);
    timer.unref();
    this.timers.push(timer);
  }

  private reportError(error: unknown): void {
    const e = error instanceof Error ? error : new Error(String(error));
    if (this.options.onError) this.options.onError(e);
    else this.log.error({ err: e }, 'anomaly plugin error');
  }
}

/** An alert's fields for a log line: what, how serious, and the event's context. */
function alertFields(alert: Alert): Record<string, unknown> {
  return {
    alertId: alert.id,
    eventId: alert.eventId,
    actor: alert.actor,
    level: alert.threatLevel,
    score: alert.threatScore,
    tailProbability: alert.tailProbability,
    ...alert.context,
  };
}

/** Which reply an error answers, by the request that failed. */
function errorKind(request: string): string {
  if (request === 'start') return 'ready';
  if (request === 'feedback') return 'feedback-applied';
  if (request === 'retrain') return 'retrained';
  if (request === 'retention') return 'retained';
  if (request === 'backfill') return 'backfilled';
  return request;
}

function errorText(reply: WorkerReply): string {
  return reply.type === 'error' ? reply.message : `unexpected reply ${reply.type}`;
}
