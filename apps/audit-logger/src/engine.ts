// The detection side, without threads: a ThreatDetector whose agents are the audit log's actors,
// trained from the database, persisted in a model directory (on PostgreSQL: in the database, shared
// by every process), taught by analysts' verdicts. The detection worker hosts one; `harombe-audit
// train` uses one directly.
import { parseOrThrow } from '@harombe/models';
import {
  atLeast,
  type Incident,
  type SecurityEventInput,
  ThreatDetector,
  type ThreatLevel,
} from '@harombe/security-ml';
import { z } from 'zod';
import {
  type Alert,
  type AlertNotice,
  type AssessItem,
  type AuditStore,
  type DecisionRecord,
  type FeedbackItem,
  LEARN_BELOW,
  type PendingResolution,
  type RetentionOutcome,
} from './audit-store.js';
import { PostgresAuditStore, type PostgresConnection, PostgresConnectionSchema } from './postgres-store.js';
import { SqliteAuditStore } from './sqlite-store.js';
import { openAuditStore } from './stores.js';

const DAY = 86_400_000;

/** Where the engine's store is: exactly one of `dbPath` and `postgres` (the rest is checked by the plugin). */
const EngineStoreSchema = z
  .object({ dbPath: z.string().min(1).optional(), postgres: PostgresConnectionSchema.optional() })
  .passthrough()
  .refine((o) => (o.dbPath === undefined) !== (o.postgres === undefined), {
    message: 'give exactly one of dbPath (SQLite) and postgres',
  });

export interface EngineOptions {
  /** The SQLite audit database (read here; decisions and alerts written to its security database). */
  readonly dbPath?: string;
  /** Instead of `dbPath`: the PostgreSQL audit store. Models are then stored there too. */
  readonly postgres?: PostgresConnection;
  /** Where actors' models are saved (SQLite only); default `~/.harombe/models`. */
  readonly modelDir?: string;
  /** Share of normal events expected to be flagged. Default 0.01. */
  readonly contamination?: number;
  /** Forests' seed. Default 42. */
  readonly seed?: number;
  /** Days of each actor's history (before its newest event) to train on. Default 30. */
  readonly windowDays?: number;
  /** Actors' IANA time zones, for their hours and weekdays (default UTC). */
  readonly timeZones?: Readonly<Record<string, string>>;
  /**
   * Actors kept in memory at most, forest and baseline: after each batch the least recently active
   * are saved and dropped, and they reload when their next event comes. Default 1000.
   */
  readonly maxModelsInMemory?: number;
  /**
   * An actor with no model of its own is scored by the fleet model (trained with the others, or the
   * one `harombe-ml train` or a gateway saved in the store) and marked cold start, as in the CLI and
   * the gateway. Where there is no fleet model either: `fail` stores the event's decision as failed
   * (retried by every catch-up until a model exists), `warn` (default: the log must not churn while a
   * new deployment has no models yet) and `skip` store it as skipped, with the reason.
   */
  readonly unknownAgents?: 'fail' | 'warn' | 'skip';
}

/** How a batch of events was decided, as stored: counts per outcome, the alerts raised, those to announce. */
export interface BatchOutcome {
  readonly assessed: number;
  readonly skipped: number;
  readonly failed: number;
  readonly alerts: Alert[];
  /** Alerts that opened an incident or campaign or raised its level: what `onAlert` hears of. */
  readonly notices: AlertNotice[];
}

/** How decisions are stored: which decisions, alerts from which level, at what time. */
export interface RecordOptions {
  /** Store every decision, not only threats, failures and skips. */
  readonly all: boolean;
  /** Lowest threat level that raises an alert. */
  readonly alertAt: ThreatLevel;
  /** Epoch ms of the decisions. */
  readonly now: number;
}

/** The analysts' verdicts applied: on alerts, and resolutions of incidents. */
export interface FeedbackApplied {
  readonly alertIds: number[];
  readonly incidentIds: string[];
}

export interface TrainSummary {
  readonly trained: string[];
  /** Actors with too few events, and why. */
  readonly skipped: Array<{ actor: string; reason: string }>;
}

export class DetectionEngine {
  readonly threats: ThreatDetector;
  private readonly store: AuditStore;
  private readonly windowDays: number;
  /** Own keys only: an actor named `constructor` has no time zone of Object's. */
  private readonly timeZones: ReadonlyMap<string, string>;
  private readonly maxInMemory: number;
  private readonly unknownAgents: 'fail' | 'warn' | 'skip';

  private constructor(store: AuditStore, options: EngineOptions) {
    this.unknownAgents = options.unknownAgents ?? 'warn';
    this.store = store;
    this.windowDays = options.windowDays ?? 30;
    this.maxInMemory = options.maxModelsInMemory ?? 1000;
    this.timeZones = new Map(Object.entries(options.timeZones ?? {}));
    this.threats = new ThreatDetector({
      ...(store instanceof PostgresAuditStore
        ? { store: store.models }
        : options.modelDir
          ? { modelDir: options.modelDir }
          : {}),
      contamination: options.contamination ?? 0.01,
      seed: options.seed ?? 42,
      ...(options.maxModelsInMemory === undefined
        ? {}
        : { detector: { maxModels: options.maxModelsInMemory } }),
    });
  }

  /**
   * Opens the audit store (`dbPath` or `postgres`; exactly one) for detection, and the engine on it.
   * @throws {ValidationError} neither or both given; the store's errors (a missing SQLite file, an
   *   unreachable server).
   */
  static async open(options: EngineOptions): Promise<DetectionEngine> {
    parseOrThrow(EngineStoreSchema, options, 'DetectionEngine options');
    const store = await openAuditStore(
      options.postgres ? { postgres: options.postgres } : { path: options.dbPath! },
      { mode: 'detect' },
    );
    return new DetectionEngine(store, options);
  }

  /** Trains (and saves) one actor's model from its window of the log. */
  async trainActor(actor: string): Promise<{ trained: boolean; reason?: string }> {
    const result = await this.train(actor);
    if (!result.ml.trained) return { trained: false, reason: result.ml.reason ?? 'not trained' };
    await this.threats.save(actor);
    return { trained: true };
  }

  /** Trains every actor in the log. */
  async trainAll(): Promise<TrainSummary> {
    const trained: string[] = [];
    const skipped: Array<{ actor: string; reason: string }> = [];
    // Retraining is also when actors the model directory had no model for are asked about again.
    this.threats.forgetMissing();
    for (const actor of await this.store.actors()) {
      const result = await this.trainActor(actor);
      if (result.trained) trained.push(actor);
      else skipped.push({ actor, reason: result.reason! });
    }
    return { trained, skipped };
  }

  /**
   * Loads each actor's saved model; with `trainMissing`, trains those without one from the log
   * (`ThreatDetector.prepare`). Every actor is trained, even one with a saved model: the fleet model
   * pools every actor. `trained` lists the actors whose newly trained model was kept (and saved).
   */
  async prepare(trainMissing: boolean): Promise<{ loaded: string[]; trained: string[] }> {
    const actors = await this.store.actors();
    const { loaded, saved, trained } = await this.threats.prepare(
      trainMissing ? await this.histories(actors) : [],
      {
        agents: actors,
        timeZones: this.timeZones,
      },
    );
    // The fleet model: saved when trained here (for the CLI and gateways), else the stored one.
    if (trained.length > 0) await this.threats.saveFleetModel();
    else await this.threats.loadFleetModel();
    return { loaded, trained: saved };
  }

  /**
   * Each actor's window of the log. From SQLite, read as it is trained: never the whole log in
   * memory. From PostgreSQL (asynchronous, and `prepare` takes a synchronous iterable), read first:
   * every actor's window in memory at once.
   */
  private async histories(
    actors: readonly string[],
  ): Promise<Iterable<[string, readonly SecurityEventInput[]]>> {
    const { store, windowDays } = this;
    if (store instanceof SqliteAuditStore) {
      return (function* (): Generator<[string, readonly SecurityEventInput[]]> {
        for (const actor of actors) yield [actor, store.trainingEvents(actor, windowDays)];
      })();
    }
    const histories: Array<[string, readonly SecurityEventInput[]]> = [];
    for (const actor of actors) histories.push([actor, await store.trainingEvents(actor, windowDays)]);
    return histories;
  }

  private async train(actor: string) {
    const zone = this.timeZones.get(actor);
    return this.threats.train(
      actor,
      await this.store.trainingEvents(actor, this.windowDays),
      zone ? { timeZone: zone } : {},
    );
  }

  /**
   * Assesses events in order; a failure is that event's decision, not the batch's. Actors whose
   * model is not in memory (evicted from the detector's cache, or saved by another process) are
   * loaded first. Returns the decisions worth storing: failures and events assessed at
   * {@link LEARN_BELOW} or above (threats and near-threats: retraining must know to leave them
   * out), or all with `all`.
   */
  async assess(items: readonly AssessItem[], all = false): Promise<DecisionRecord[]> {
    const decisions: DecisionRecord[] = [];
    for (const item of items) {
      const { actor } = item;
      if (!this.threats.hasModel(actor)) {
        // An unusable stored model leaves the actor on the fleet model, as a missing one does.
        await this.threats.ensureLoaded(actor, { onFailure: 'cold-start' });
      }
      const decision = this.assessOne(item);
      if (
        all ||
        decision.outcome !== 'assessed' ||
        atLeast(decision.threatLevel!, LEARN_BELOW) ||
        decision.campaign
      ) {
        decisions.push(decision);
      }
    }
    // Bounded memory: the least recently active actors are saved and dropped (they reload above).
    await this.threats.evictIdle({ keep: this.maxInMemory });
    return decisions;
  }

  /**
   * {@link assess} for events given by row id, read from the database here (the logger's thread
   * only passes numbers). A row whose event has no actor is answered as `skipped`, a row without an
   * event as `failed`.
   */
  async assessRows(rows: readonly number[], all = false): Promise<DecisionRecord[]> {
    const { items, withoutActor } = await this.store.eventsByRows(rows);
    const decisions = await this.assess(items, all);
    for (const eventRow of withoutActor) {
      decisions.push({ eventRow, outcome: 'skipped', reason: 'no actor to assess against' });
    }
    if (items.length + withoutActor.length < rows.length) {
      const found = new Set([...items.map((i) => i.eventRow), ...withoutActor]);
      for (const row of rows) {
        if (!found.has(row))
          decisions.push({ eventRow: row, outcome: 'failed', reason: 'no event in this row' });
      }
    }
    return decisions;
  }

  /**
   * Assesses the rows and stores the decisions and alerts; if assessing fails as a whole, every row
   * is stored as `failed` with the reason. Live rows (`live`, the default) come in the order they
   * were logged: the log's {@link AuditStore.assessedThrough} mark moves to the newest of them, in the
   * same transaction as their decisions.
   */
  async assessAndRecord(rows: readonly number[], options: RecordOptions, live = true): Promise<BatchOutcome> {
    let decisions: DecisionRecord[];
    try {
      decisions = await this.assessRows(rows, options.all);
    } catch (error) {
      const reason = (error as Error).message;
      decisions = rows.map((eventRow) => ({ eventRow, outcome: 'failed', reason }));
    }
    return this.record(rows.length, decisions, options, live ? newestRow(rows) : undefined);
  }

  /**
   * At start: events logged since detection last ran (the process stopped with events queued, or
   * logged without the plugin) are stored as skipped, for `backfill`. On a log detection never ran
   * on, nothing is marked: that log is history. Returns how many events were marked.
   */
  async catchUp(now: number): Promise<number> {
    const marked = await this.store.catchUp('logged while detection was not running', now);
    // The first time: the log detection starts on is the reference retraining keeps mixing in.
    await this.store.markReference();
    return marked;
  }

  /** Stores the rows as `skipped` with the reason (events the plugin could not queue). */
  async recordSkipped(rows: readonly number[], reason: string, options: RecordOptions): Promise<void> {
    const skipped = rows.map((eventRow): DecisionRecord => ({ eventRow, outcome: 'skipped', reason }));
    await this.store.recordDecisions(skipped, options.alertAt, options.now);
  }

  /**
   * Retention: deletes what is older than `retentionDays` before the newest event (event time, not
   * the wall clock: replaying an old log deletes nothing of it). Undefined for an empty log.
   */
  async applyRetention(retentionDays: number): Promise<RetentionOutcome | undefined> {
    const newest = await this.store.newestEventTime();
    if (newest === undefined) return undefined;
    return this.store.deleteBefore(newest - retentionDays * DAY);
  }

  /**
   * Assesses up to `limit` events whose assessment was skipped or failed, oldest first (so each
   * actor's events in event-time order), and stores a decision for every one of them, replacing the
   * old one in the same transaction: a backfilled event lies beyond the assessed-through mark, and
   * only its decision tells retraining that it was assessed. Returns the outcome.
   */
  async backfill(limit: number, options: RecordOptions): Promise<BatchOutcome & { processed: number }> {
    const rows = await this.store.unassessed(limit);
    return {
      processed: rows.length,
      ...(await this.assessAndRecord(rows, { ...options, all: true }, false)),
    };
  }

  /**
   * Stores the decisions `assess` kept (threats, failures, skips; all with `all`), with the
   * incidents they touched and the latest state of those stored as open, and counts outcomes.
   */
  private async record(
    processed: number,
    decisions: readonly DecisionRecord[],
    options: RecordOptions,
    through: number | undefined,
  ): Promise<BatchOutcome> {
    const { alerts, notices } =
      decisions.length || through !== undefined
        ? await this.store.recordDecisions(
            decisions,
            options.alertAt,
            options.now,
            through,
            await this.incidentsOf(decisions, options.now),
          )
        : { alerts: [], notices: [] };
    let skipped = 0;
    let failed = 0;
    for (const d of decisions) {
      if (d.outcome === 'skipped') skipped++;
      else if (d.outcome === 'failed') failed++;
    }
    return { assessed: processed - skipped - failed, skipped, failed, alerts, notices };
  }

  /**
   * The detector's view of the incidents and campaigns the decisions touched and of those stored as
   * open (an incident closes in event time, without an alert of its own). A stored open campaign
   * the detector no longer knows (campaigns are not saved with models) is closed here.
   */
  private async incidentsOf(
    decisions: readonly DecisionRecord[],
    now: number,
  ): Promise<Map<string, Incident>> {
    const incidents = new Map<string, Incident>();
    const add = (id: string) => {
      if (incidents.has(id)) return true;
      const incident = this.threats.incident(id);
      if (incident) incidents.set(id, incident);
      return incident !== undefined;
    };
    for (const d of decisions) {
      if (d.incident) add(d.incident.id);
      if (d.campaign) add(d.campaign.id);
    }
    // Open incidents the detector no longer knows: a campaign (not saved with models) is closed; an
    // agent's incident too once alerts could no longer join it (past the detector's longest incident
    // window, a week for weak alerts, before the newest event), else it would stay open forever after
    // a restart or an eviction.
    const newest = await this.store.newestEventTime();
    const horizon = newest === undefined ? Number.NEGATIVE_INFINITY : newest - this.threats.incidentWindowMs;
    for (const { id, campaign, lastSeen } of await this.store.openIncidents()) {
      if (!add(id) && (campaign || lastSeen < horizon)) await this.store.closeIncident(id, now);
    }
    return incidents;
  }

  private assessOne(item: AssessItem): DecisionRecord {
    try {
      // An actor without a model of its own is assessed first and recorded only once a model (its
      // fleet's) judged it: an event the unknown-agent policy turns away is not recorded (a catch-up
      // that retries it would record it again).
      const known = this.threats.hasModel(item.actor);
      const a = this.threats.assess(item.actor, item.event, { record: known });
      if (!known && a.ml.source !== 'none')
        this.threats.record(item.actor, item.event, { learn: this.threats.shouldLearn(a) });
      if (a.ml.source === 'none') {
        // No model of its own and no fleet model: the unknown-agent policy decides.
        const reason = `no model for actor ${item.actor} and no fleet model`;
        return {
          eventRow: item.eventRow,
          outcome: this.unknownAgents === 'fail' ? 'failed' : 'skipped',
          reason: this.unknownAgents === 'warn' ? `${reason} (unknownAgents: warn)` : reason,
        };
      }
      return {
        eventRow: item.eventRow,
        outcome: 'assessed',
        threatScore: a.threatScore,
        threatLevel: a.threatLevel,
        isThreat: a.isThreat,
        coldStart: a.coldStart,
        explanation: a.explanation,
        tailProbability: a.tailProbability,
        incident: a.incident,
        campaign: a.campaign,
      };
    } catch (error) {
      return { eventRow: item.eventRow, outcome: 'failed', reason: (error as Error).message };
    }
  }

  /**
   * Applies the analysts' verdicts not yet applied (given by any process): on alerts, and incidents
   * resolved (whose verdict, if any, is on their alerts already); marks them applied and saves the
   * models they changed. Returns the alerts and incidents applied.
   */
  async applyPendingFeedback(): Promise<FeedbackApplied> {
    const applied = await this.feedback(
      await this.store.pendingFeedback(),
      await this.store.pendingResolutions(),
    );
    await this.store.markFeedbackApplied(applied.alertIds);
    await this.store.markResolutionApplied(applied.incidentIds);
    return applied;
  }

  /**
   * Applies analysts' verdicts on alerts (`ThreatDetector.feedback` per event) and resolutions of
   * incidents (`ThreatDetector.resolveIncident`), and saves the models they changed: an agent's
   * resolved incident is saved with its model, so that it stays resolved after a restart.
   */
  async feedback(
    items: readonly FeedbackItem[],
    resolutions: readonly PendingResolution[] = [],
  ): Promise<FeedbackApplied> {
    const alertIds: number[] = [];
    const changed = new Set<string>();
    for (const item of items) {
      await this.threats.ensureLoaded(item.actor);
      this.threats.feedback(item.actor, item.event, item.isAnomaly);
      changed.add(item.actor);
      alertIds.push(item.alertId);
    }
    for (const { id, agentIds } of resolutions) {
      // Loaded first: an evicted agent's incidents come back from its model when it loads.
      for (const agent of agentIds) {
        await this.threats.ensureLoaded(agent, { onFailure: 'cold-start' });
        changed.add(agent);
      }
      this.threats.resolveIncident(id);
    }
    for (const actor of changed) {
      if (this.threats.hasModel(actor)) await this.threats.save(actor);
    }
    return { alertIds, incidentIds: resolutions.map((r) => r.id) };
  }

  async close(): Promise<void> {
    await this.store.close();
  }
}

/** The largest row id (a loop: a batch can hold more ids than a spread into `Math.max` allows). */
function newestRow(rows: readonly number[]): number {
  let newest = 0;
  for (const row of rows) if (row > newest) newest = row;
  return newest;
}
