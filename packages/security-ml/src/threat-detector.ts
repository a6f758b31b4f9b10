// ThreatDetector: the forest and the baseline, combined into one calibrated verdict per event.
//
// Combination rule. Each channel gives a tail probability for the event: the forest's is
// calibrated on the agent's own out-of-bag training scores; the baseline's dimensions are p-values
// by construction, combined by Simes' rule over the k that can judge the event (six for every
// event, up to five more for what it names): min over i of k p(i) / i, p(1) <= p(2) <= ... their
// tails in order. That is never above Bonferroni's k p(1), and below it when a second or third
// dimension is low too (bytes and crowding of one upload); it stays valid while the dimensions are
// positively dependent, as those of one event are. The combined tail is a weighted
// Bonferroni over the two channels, q = min(forest / s, baseline / (1 - s)) with s = `forestShare`
// (0.2), capped at 1; the forest alone (q = its tail) while the baseline cannot judge. If each
// channel's tail is valid for normal events (P(tail <= a) <= a), so is q (P(q <= a) <= s·a +
// (1 - s)·a); the threat score maps q exactly as the forest alone is mapped
// (q = contamination gives `threshold`, each further decade half of the rest), so `contamination`
// keeps its meaning: about that share of normal events reaches the threshold.
import {
  BaselineLearner,
  type BaselineLearnerOptions,
  judgedDimensions,
  type PathFacts,
  surprise,
} from '@harombe/baseline';
import {
  AnomalyDetector,
  type AnomalyDetectorOptions,
  calibratedScore,
  type ForestVerdict,
  type TrainResult,
} from '@harombe/detector';
import {
  type AnomalyResult,
  type BaselineScores,
  destinationOf,
  type EventClockOptions,
  type EventTime,
  ensureSecurityEvent,
  ModelArtifactError,
  type ModelStore,
  optionalFlag,
  parseAgentId,
  parseEvents,
  parseOrThrow,
  readTagged,
  type SecurityEvent,
  type SecurityEventInput,
  type ThreatBands,
  type ThreatLevel,
  TimeZoneSchema,
  threatLevelFor,
  verbOf,
} from '@harombe/models';
import { z } from 'zod';
import {
  type AlertFacts,
  type Incident,
  type IncidentOptions,
  type IncidentQuery,
  IncidentQuerySchema,
  type IncidentRef,
  IncidentTracker,
  type Signal,
  StoredIncidentsSchema,
} from './incidents.js';
import {
  type EnsureLoadedOptions,
  ModelLifecycle,
  type PrepareOptions,
  type PrepareResult,
  type StoreOptions,
  storeOf,
} from './model-lifecycle.js';

/** `enforce`: integrations act on `isThreat`. `shadow`: assess and report, never block. */
export type DetectionMode = 'enforce' | 'shadow';

/** The artifact kind and format under which `save` stores an agent's forest and baseline together. */
export const THREAT_MODEL_KIND = 'threat-model';
export const THREAT_MODEL_FORMAT = 'harombe.threat-model';
/** The artifact kind, and the id, under which `saveFleetModel` stores the fleet model. */
export const FLEET_MODEL_KIND = 'fleet-model';
const FLEET_MODEL_ID = '(fleet)';
const ThreatModelSchema = z.object({
  format: z.literal(THREAT_MODEL_FORMAT),
  version: z.literal(1),
  detector: z.unknown(),
  baseline: z.unknown(),
  /** The agent's recent incidents (absent in models saved before incidents existed). */
  incidents: z.unknown().optional(),
});

export interface ThreatDetectorOptions extends StoreOptions {
  /** Share of normal events expected to reach the threshold. Default 0.01. */
  contamination?: number;
  /** Threat score at which an event is a threat. Default 0.7. */
  threshold?: number;
  /**
   * The forest's share of the false-alarm budget; the baseline has the rest. The combined tail is
   * min(forest / share, baseline / (1 - share)). Default 0.2: on simulated fleets the baseline's
   * dimensions found nearly every attack the forest found, and the forest's alone were mostly normal
   * events; 0.5 weighs the channels equally.
   */
  forestShare?: number;
  bands?: ThreatBands;
  seed?: number;
  /** Integration mode, reported in every assessment. Default `enforce`. */
  mode?: DetectionMode;
  /** Options passed to the AnomalyDetector (forest size, cache, features, ...). */
  detector?: Omit<AnomalyDetectorOptions, 'contamination' | 'threshold' | 'bands' | 'seed'>;
  /** Options passed to the BaselineLearner. */
  baseline?: Omit<BaselineLearnerOptions, 'clock'>;
  /**
   * The rule for events stamped far ahead of an agent's newest (both the activity windows and the
   * baseline): more than `maxLeadMs` (default 1 hour) ahead, an event is assessed but neither moves
   * the agent's clock nor is learned until `corroboration` (default 3) such events confirm the time.
   */
  eventClock?: EventClockOptions;
  /** How alerts are grouped into incidents and campaigns (see {@link IncidentOptions}). */
  incidents?: IncidentOptions;
}

const TrainOptionsSchema = z.object({ timeZone: TimeZoneSchema.optional() }).strict();
const EvictIdleSchema = z.object({ keep: z.number().int().min(0) }).strict();

const OptionsSchema = z
  .object({
    contamination: z.number().gt(0).max(0.5).default(0.01),
    threshold: z.number().gt(0).lt(1).default(0.7),
    forestShare: z.number().gt(0).lt(1).default(0.2),
    seed: z.number().int().min(0).default(42),
    mode: z.enum(['enforce', 'shadow']).default('enforce'),
  })
  .passthrough();

/** The verdict on one event. */
export interface ThreatAssessment {
  readonly agentId: string;
  readonly timestamp: Date;
  /** Calibrated combined score in [0, 1]. */
  readonly threatScore: number;
  readonly isThreat: boolean;
  readonly threatLevel: ThreatLevel;
  /** The forest's verdict. */
  readonly ml: AnomalyResult;
  /** The baseline's per-dimension scores, or `null` while the agent has too little history. */
  readonly baseline: BaselineScores | null;
  /** The combined tail probability behind `threatScore`. */
  readonly tailProbability: number;
  readonly explanation: string;
  /** True when the agent has no model of its own (scored by the fleet model, or not at all). */
  readonly coldStart: boolean;
  readonly mode: DetectionMode;
  /**
   * How the event's time stands to the agent's newest event: `current`, `late` (judged against the
   * activity of its own time), or `ahead` (more than `maxLeadMs` past it: assessed, but held out of
   * the agent's windows and baseline until later events confirm the time).
   */
  readonly eventTime: EventTime;
  /** What the event was: its id, type, tool, destination, path and session, as given. */
  readonly context: EventContext;
  /**
   * The incident the event joined or opened: non-null exactly when `isThreat`. Alerts of one agent
   * close in event time or about the same thing share one.
   */
  readonly incident: IncidentRef | null;
  /** The campaign (several agents, one unusual thing) the event is part of, or `null`. */
  readonly campaign: IncidentRef | null;
}

/** The event's identifying context, carried into every assessment, alert and log line. */
export interface EventContext {
  readonly eventId: string | undefined;
  readonly eventType: string;
  readonly tool: string | undefined;
  readonly action: string | undefined;
  /** The destination domain, else IP. */
  readonly destination: string | undefined;
  readonly path: string | undefined;
  readonly sessionId: string | undefined;
}

/** Options of {@link ThreatDetector.assess}. */
export interface AssessOptions {
  /** Record the event into the agent's windows and baseline after assessing it. Default true. */
  record?: boolean;
}

export interface ThreatTrainResult {
  readonly agentId: string;
  readonly ml: TrainResult;
  /** Whether the agent now has a baseline (enough events in its window). */
  readonly baselineReady: boolean;
}

const DIMENSION_LABEL: Record<keyof BaselineScores, string> = {
  temporal: 'time of activity',
  resource: 'resources used',
  duration: 'duration',
  eventType: 'event type or tool',
  rate: 'calls in the last hour',
  failure: 'failures in the last hour',
  content: 'sensitive location',
  novelty: 'new destination or location',
  action: 'action',
  volume: 'volume',
  concentration: 'calls to one destination',
};
/** Dimensions that describe what the event did, in words of their own (see `describeBehaviour`). */
const BEHAVIOUR_KEYS = ['content', 'novelty', 'action', 'volume', 'concentration'] as const;
/** The baseline's dimensions, in the order its scores list them. */
const BASELINE_KEYS = Object.keys(DIMENSION_LABEL) as (keyof BaselineScores)[];
const DAY_MS = 86_400_000;
/** The most the second channel's evidence lowers the combined tail (orders ties, see `combine`). */
const TIE_BREAK = 0.01;
/** The smallest combined tail reported (evidence past 300 decades is not told apart). */
const MIN_TAIL = 1e-300;

export class ThreatDetector {
  readonly detector: AnomalyDetector;
  readonly learner: BaselineLearner;
  readonly store: ModelStore;
  readonly mode: DetectionMode;
  private readonly contamination: number;
  private readonly threshold: number;
  private readonly forestShare: number;
  private readonly sortedTails = new Float64Array(16);
  private readonly bands: ThreatBands;
  private readonly tracker: IncidentTracker;
  /** Loading, saving, loading on demand, eviction and preparation of the agents' threat models. */
  private readonly lifecycle: ModelLifecycle;
  constructor(options: ThreatDetectorOptions = {}) {
    const o = parseOrThrow(OptionsSchema, options, 'ThreatDetector options');
    this.store = storeOf(options);
    this.contamination = o.contamination;
    this.threshold = o.threshold;
    this.forestShare = o.forestShare;
    this.mode = o.mode;
    const clock = options.eventClock ?? {};
    // The detector owns no store: models are stored as one threat-model artifact (forest and
    // baseline) by the lifecycle below.
    this.detector = new AnomalyDetector({
      ...options.detector,
      features: { ...options.detector?.features, ...clock },
      contamination: o.contamination,
      threshold: o.threshold,
      seed: o.seed,
      ...(options.bands ? { bands: options.bands } : {}),
    });
    this.bands = this.detector.options.bands;
    this.learner = new BaselineLearner({ ...options.baseline, ...clock });
    this.tracker = new IncidentTracker(options.incidents, (tail) => {
      const score = calibratedScore(tail, this.contamination, this.threshold);
      const isThreat = score >= this.threshold;
      return { score, isThreat, level: threatLevelFor(score, isThreat, this.bands) };
    });
    this.lifecycle = new ModelLifecycle(this.store, {
      kind: THREAT_MODEL_KIND,
      hasModel: (agentId) => this.detector.hasModel(agentId),
      exportArtifact: (agentId) => ({
        format: THREAT_MODEL_FORMAT,
        version: 1,
        detector: this.detector.exportModel(agentId),
        baseline: this.learner.exportAgent(agentId),
        incidents: this.tracker.exportAgent(agentId),
      }),
      importArtifact: (agentId, json) => {
        const artifact = threatModelOf(agentId, json);
        this.detector.importModel(agentId, artifact.detector);
        this.learner.importAgent(agentId, artifact.baseline);
        if (artifact.incidents !== undefined) {
          const stored = StoredIncidentsSchema.safeParse(artifact.incidents);
          if (!stored.success)
            throw new ModelArtifactError(
              'threat-model',
              'schema',
              `stored threat model of ${agentId} is invalid (incidents: ${stored.error.issues[0]?.message ?? 'invalid'})`,
            );
          this.tracker.importAgent(agentId, stored.data);
        }
      },
      // After the detector's cache dropped the forest, the baseline in memory is newer than the
      // stored one (it kept learning): only the forest comes back.
      restorer: (agentId) =>
        this.learner.hasAgent(agentId)
          ? (json) => this.detector.importModel(agentId, threatModelOf(agentId, json).detector)
          : undefined,
      train: (agentId, events, trainOptions) => this.train(agentId, events, trainOptions).ml,
    });
  }

  /** Trains the agent's forest and baseline on its history, replacing any earlier model of it. */
  train(
    agentId: string,
    events: readonly (SecurityEventInput | SecurityEvent)[],
    options: { timeZone?: string } = {},
  ): ThreatTrainResult {
    parseAgentId(agentId);
    const parsed = parseEvents(events);
    const { timeZone } = parseOrThrow(TrainOptionsSchema, options ?? {}, 'train options');
    this.lifecycle.changed(agentId);
    const ml = this.detector.train(agentId, parsed, timeZone ? { timeZone } : {});
    // Training replaces what the agent had: a second train() does not count its history twice.
    this.learner.deleteAgent(agentId);
    if (timeZone) this.learner.setTimeZone(agentId, timeZone);
    const ordered = [...parsed].sort((a, b) => a.timestamp.getTime() - b.timestamp.getTime());
    for (const event of ordered) this.learner.recordEvent(agentId, event);
    return { agentId, ml, baselineReady: this.learner.computeBaseline(agentId) !== null };
  }

  /**
   * Assesses an event, synchronously, then records it: into the agent's activity windows always,
   * and into its baseline profile only when it is not a threat. With `record: false` nothing is
   * recorded: a gateway assesses a call before it runs and calls {@link record} with the outcome.
   */
  assess(
    agentId: string,
    input: SecurityEventInput | SecurityEvent,
    options: AssessOptions = {},
  ): ThreatAssessment {
    const event = ensureSecurityEvent(input);
    const record = optionalFlag(options, 'record', 'assess options') !== false;
    const eventTime = this.learner.eventTime(agentId, event);
    // 1. The baseline's tails: the strongest dimension, and Simes over those that can judge the event
    // (the tails below 1 in ascending order, insertion-sorted: at most eleven).
    const tails = this.learner.tailProbabilities(agentId, event);
    let baselineTail = 1;
    let strongest: keyof BaselineScores | undefined;
    if (tails) {
      let n = 0;
      const sorted = this.sortedTails;
      for (const key of BASELINE_KEYS) {
        const t = tails[key];
        if (t < baselineTail) {
          baselineTail = t;
          strongest = key;
        }
        if (t < 1) {
          let i = n++;
          while (i > 0 && sorted[i - 1]! > t) {
            sorted[i] = sorted[i - 1]!;
            i--;
          }
          sorted[i] = t;
        }
      }
      const k = judgedDimensions(event);
      baselineTail = 1;
      for (let i = 0; i < n && i < k; i++) baselineTail = Math.min(baselineTail, (k * sorted[i]!) / (i + 1));
    }
    // 2. The forest's tail (the event enters the agent's activity window here when recording).
    const forest = this.detector.scoreEvent(agentId, event, { record });
    // 3. Combined, 4. calibrated once, 5. its level.
    const forestTail = this.liftedForestTail(forest.tailProbability, forest.confirmed);
    const judgedTail = tails ? baselineTail : undefined;
    const baselineLeads = this.baselineLeads(forestTail, judgedTail);
    const tail = this.combine(forestTail, judgedTail, baselineLeads, forest.confirmed);
    const threatScore = calibratedScore(tail, this.contamination, this.threshold);
    const isThreat = threatScore >= this.threshold;
    const threatLevel = threatLevelFor(threatScore, isThreat, this.bands);
    // 6. The forest's part explained only when the combined verdict is LOW or above (explanations
    // are the costly part of a flagged event; below LOW nobody reads them).
    const ml = this.detector.resultOf(forest, { explain: threatScore >= this.bands.low });
    const baseline = tails ? scoresOf(tails) : null;
    // Measured before recording: recording may confirm the time and move the agent's clock.
    const aheadBy =
      eventTime === 'ahead' ? event.timestamp.getTime() - this.learner.lastEventAt(agentId)! : 0;
    // Explained before recording: the words describe the event as it was judged (a first call to a
    // destination is "first contacted", its bytes counted once), not the state it leaves behind.
    const explanation = this.explain(
      agentId,
      event,
      ml,
      baseline,
      strongest,
      baselineLeads,
      threatScore,
      aheadBy,
    );
    // Learned only when ordinary (below LOW): what was worth a look, an exfiltration's first calls
    // among it, does not teach the baseline that it is normal (it still counts as activity).
    if (record) this.learner.recordEvent(agentId, event, { learn: this.learns(threatScore) });
    // 7. Incidents: a threat joins or opens its agent's incident; unusual subjects (flagged or not)
    // count towards campaigns across agents. Costs nothing for ordinary events.
    let incident: IncidentRef | null = null;
    let campaign: IncidentRef | null = null;
    const signalTail = this.tracker.options.signalTail;
    if (
      isThreat ||
      (tails !== null &&
        (tails.novelty <= signalTail || tails.content <= signalTail || tails.eventType <= signalTail))
    ) {
      const facts = event.filePath === undefined ? undefined : this.learner.pathFacts(event.filePath);
      if (isThreat) {
        incident = this.tracker.alert(
          this.alertFacts(agentId, event, facts, ml, strongest, baselineLeads, {
            threatScore,
            threatLevel,
            tail,
            clockConfirmed: eventTime !== 'ahead',
          }),
        );
      }
      if (tails !== null) {
        const signals = signalsOf(event, facts, tails, signalTail, (tool) =>
          this.learner.usesTool(agentId, tool),
        );
        if (signals.length)
          campaign = this.tracker.signal(
            agentId,
            event.timestamp.getTime(),
            event.eventId,
            signals,
            incident?.id,
            eventTime !== 'ahead',
          );
      }
    }
    return {
      agentId,
      timestamp: event.timestamp,
      threatScore,
      isThreat,
      threatLevel,
      ml,
      baseline,
      tailProbability: tail,
      explanation,
      coldStart: ml.source !== 'agent',
      mode: this.mode,
      eventTime,
      context: contextOf(event),
      incident,
      campaign,
    };
  }

  /**
   * Whether recording the assessed event should teach the agent's baseline: only an ordinary one,
   * scored below the LOW band (what `assess` itself does when it records). Pass it to
   * {@link record} as `learn` when assessing before a call and recording after it.
   */
  shouldLearn(assessment: Pick<ThreatAssessment, 'threatScore'>): boolean {
    return this.learns(assessment.threatScore);
  }

  private learns(threatScore: number): boolean {
    return threatScore < this.bands.low;
  }

  /**
   * Records a completed event (its outcome known: duration, success) without assessing it: into the
   * agent's activity windows, and into its baseline profile unless `learn` is false (pass
   * `learn: threats.shouldLearn(assessment)`, so that a threat let through in shadow mode, or an
   * event worth a look, does not become normal).
   * @throws {ValidationError} an invalid agent id or event.
   */
  record(
    agentId: string,
    input: SecurityEventInput | SecurityEvent,
    options: { learn?: boolean } = {},
  ): void {
    const event = ensureSecurityEvent(input);
    this.detector.record(agentId, event);
    this.learner.recordEvent(agentId, event, {
      learn: optionalFlag(options, 'learn', 'record options') !== false,
    });
  }

  /**
   * Restarts the agent's activity windows in event time (the forest's rate window and the baseline's
   * last-hour calls, failures and bytes per destination), keeping what it learned. Call it before
   * replaying a period whose first event precedes the agent's newest (re-scanning a training log):
   * the windows are then rebuilt from the replayed events instead of the hour that ended the history.
   * @throws {ValidationError} an invalid agent id.
   */
  resetWindows(agentId: string): void {
    this.detector.resetWindow(agentId);
    this.learner.resetActivity(agentId);
  }

  /**
   * Saves the fleet model (what scores agents without a model of their own) in the store, as kind
   * {@link FLEET_MODEL_KIND}; resolves to where, or `undefined` while there is none (fewer than
   * `minEvents` events trained on).
   */
  async saveFleetModel(): Promise<string | undefined> {
    const model = this.detector.exportFleetModel();
    return model && (await this.store.save(FLEET_MODEL_ID, FLEET_MODEL_KIND, model)).location;
  }

  /**
   * Loads the stored fleet model (see {@link saveFleetModel}): resolves `false` when the store has none.
   * @throws {CorruptError | TamperedError | UnsupportedVersionError | ModelArtifactError} one that cannot be used.
   */
  async loadFleetModel(): Promise<boolean> {
    if (!(await this.store.has(FLEET_MODEL_ID, FLEET_MODEL_KIND))) return false;
    this.detector.importFleetModel(await this.store.load(FLEET_MODEL_ID, FLEET_MODEL_KIND));
    return true;
  }

  /** Whether the agent's forest is in memory (else it is scored by the fleet model). */
  hasModel(agentId: string): boolean {
    return this.detector.hasModel(agentId);
  }

  /** The agents whose forest is in memory. */
  agentsWithModel(): string[] {
    return this.detector.agentIds;
  }

  /**
   * Loads the agent's model from the store unless it is in memory (for example after the detector's
   * cache evicted it: the baseline still in memory is kept, being newer than the stored one). Resolves
   * `true` when the agent has a model afterwards, `false` when the store has none (the agent stays on
   * the fleet model, and the store is not asked about it again until it is trained, saved or loaded).
   * Concurrent calls for one agent share one load; a time budget for it is the caller's business.
   * @throws {CorruptError | TamperedError | UnsupportedVersionError | ModelArtifactError} a stored model that
   *   cannot be used, unless `onFailure: 'cold-start'` (then `false`, and not tried again).
   */
  ensureLoaded(agentId: string, options: EnsureLoadedOptions = {}): Promise<boolean> {
    return this.lifecycle.ensureLoaded(agentId, options);
  }

  /**
   * Start-up: trains each agent of `histories` (`[agentId, events]` pairs: a Map, a list, a generator;
   * this also builds the fleet model for cold starts), then gives each of `options.agents` (default:
   * every agent of the history) the best model there is: its stored one, which wins (it holds what
   * the agent learned while serving), else the one just trained, which is saved, else none (the fleet
   * model scores it). `options.timeZones` gives agents' IANA time zones.
   * @throws {ValidationError} bad histories or options, an invalid agent id or event.
   * @throws {CorruptError | TamperedError | UnsupportedVersionError | ModelArtifactError} a stored model that
   *   cannot be used.
   */
  prepare(
    histories: Iterable<readonly [string, readonly (SecurityEventInput | SecurityEvent)[]]>,
    options: PrepareOptions = {},
  ): Promise<PrepareResult> {
    return this.lifecycle.prepare(histories, options);
  }

  /**
   * Forgets which agents the store had no usable model for, so that `ensureLoaded` asks again (after
   * another process may have trained or saved some).
   */
  forgetMissing(): void {
    this.lifecycle.forgetMissing();
  }

  /**
   * Bounds memory for fleets too large to keep in it: saves and drops every agent but the `keep`
   * most recently active (by their newest event), forest and baseline together. A dropped agent
   * loads again with {@link ensureLoaded} (integrations call it for agents without a model in
   * memory) and continues exactly where it left off. Agents without a forest (too few events to
   * train one, and none in the store) stay, and the store is asked about each of them once (until
   * it is trained, saved or loaded). Resolves to the agents dropped, least recently active first.
   * Cheap when there are `keep` agents or fewer: call it after every batch.
   * @throws {ValidationError} `keep` not an integer >= 0.
   */
  async evictIdle(options: { keep: number }): Promise<string[]> {
    const { keep } = parseOrThrow(EvictIdleSchema, options, 'evictIdle options');
    if (this.learner.agentCount <= keep) return [];
    const active = this.learner.agentIds
      .map((agentId) => ({ agentId, at: this.learner.lastEventAt(agentId) ?? Number.NEGATIVE_INFINITY }))
      .sort((a, b) => b.at - a.at || (a.agentId < b.agentId ? -1 : 1));
    const idle = active
      .slice(keep)
      .reverse()
      .map(({ agentId }) => agentId);
    return this.lifecycle.evictIdle(idle, (agentId) => this.dropAgent(agentId));
  }

  /**
   * The agent's threat model (forest, baseline with its windows, recent incidents) as the JSON-safe
   * artifact {@link save} stores, for stores the lifecycle does not own (versioned stores that save
   * it with a log position). Synchronous: it reflects exactly the events recorded so far.
   * @throws {ValidationError} an invalid agent id. @throws {Error} the agent has no model in memory.
   */
  exportThreatModel(agentId: string): unknown {
    return this.lifecycle.exportArtifact(agentId);
  }

  /**
   * Installs an artifact of {@link exportThreatModel} (or a stored one), replacing what memory holds
   * of the agent, as {@link load} does with the store's.
   * @throws {ValidationError} an invalid agent id. @throws {ModelArtifactError} an invalid artifact.
   */
  importThreatModel(agentId: string, artifact: unknown): void {
    this.lifecycle.importArtifact(agentId, artifact);
  }

  /**
   * Forgets everything memory holds of the agent (forest, baseline, windows, recent incidents)
   * without saving: a replica that lost the agent to another owner rebuilds it from the store.
   * @throws {ValidationError} an invalid agent id.
   */
  dropAgent(agentId: string): void {
    parseAgentId(agentId);
    this.detector.evict(agentId);
    this.learner.deleteAgent(agentId);
    this.tracker.deleteAgent(agentId);
    this.lifecycle.changed(agentId);
  }

  /** Analyst feedback for both the forest and the baseline (see their `updateFromFeedback`). */
  feedback(agentId: string, input: SecurityEventInput | SecurityEvent, isAnomaly: boolean): void {
    const event = ensureSecurityEvent(input);
    if (this.detector.hasModel(agentId)) this.detector.updateFromFeedback(agentId, event, isAnomaly);
    this.learner.updateFromFeedback(agentId, event, isAnomaly);
  }

  /**
   * Incidents (agents' and campaigns), most serious first: smallest tail probability, then the
   * latest. Kept in memory (bounded by `incidents.maxIncidents`); each agent's recent incidents are
   * saved with its model, so alerts after a restart join them.
   * @throws {ValidationError} bad options.
   */
  incidents(options: IncidentQuery = {}): Incident[] {
    return this.tracker.list(parseOrThrow(IncidentQuerySchema, options ?? {}, 'incidents options'));
  }

  /** How long after its last alert an agent's incident may still take alerts (then it is closed). */
  get incidentWindowMs(): number {
    return this.tracker.windowMs;
  }

  /** One incident by id, or `undefined` when unknown (or dropped from memory). */
  incident(id: string): Incident | undefined {
    return this.tracker.get(id);
  }

  /**
   * Marks an incident resolved: later alerts open a new one. Feedback on its events is separate
   * ({@link feedback}, per event). Returns whether the incident was known.
   */
  resolveIncident(id: string): boolean {
    return this.tracker.resolve(id);
  }

  /** Saves the agent's forest model and baseline as one artifact; resolves to where it was stored. */
  save(agentId: string): Promise<string> {
    return this.lifecycle.save(agentId);
  }

  /**
   * Loads what {@link save} stored, replacing what memory holds of the agent.
   * @throws {NotFoundError | CorruptError | TamperedError | UnsupportedVersionError} from the store.
   * @throws {ModelArtifactError} an invalid stored model.
   */
  load(agentId: string): Promise<void> {
    return this.lifecycle.load(agentId);
  }

  /**
   * The forest's tail with the analyst's word on near-identical events: a confirmed normal lifts it
   * to 4 x contamination, where the forest alone stays below LOW (at the default bands). Only the
   * forest's: the baseline learned what was cleared (that destination, template, verb, volume), so
   * an event that shares the tool, destination and directory but differs where it matters (rate,
   * volume, action, a sensitive file) still counts.
   */
  private liftedForestTail(mlTail: number, confirmed: ForestVerdict['confirmed']): number {
    return confirmed === 'normal' ? Math.max(mlTail, Math.min(1, 4 * this.contamination)) : mlTail;
  }

  /** Whether the baseline's weighted tail is the smaller (it then sets the verdict and leads its words). */
  private baselineLeads(forest: number, baselineTail: number | undefined): boolean {
    return baselineTail !== undefined && baselineTail * this.forestShare < forest * (1 - this.forestShare);
  }

  /**
   * The combined tail: a weighted Bonferroni over the two channels, min(forest / s, baseline /
   * (1 - s)) with s the forest's share (capped at 1), or the forest's tail alone while the baseline
   * cannot judge (`baselineTail` undefined). `forest` is {@link liftedForestTail}'s; a confirmed
   * anomaly overrides both channels.
   *
   * Ties: many events share the leading channel's tail (a new value's base rate, a catalogue hit,
   * the forest's last quantile), so the other channel orders them: up to TIE_BREAK (1%) less for an
   * event the other channel finds unusual too. Alerts rank by their whole evidence; validity moves
   * by at most that 1%.
   */
  private combine(
    forest: number,
    baselineTail: number | undefined,
    baselineLeads: boolean,
    confirmed: ForestVerdict['confirmed'],
  ): number {
    const share = this.forestShare;
    const weighted =
      baselineTail === undefined ? forest : Math.min(forest / share, baselineTail / (1 - share));
    const other = baselineLeads ? forest : (baselineTail ?? 1);
    // A tail that underflowed (a burst's Poisson tail, a value far past anything seen) is kept at
    // MIN_TAIL, where the other channel still orders events: 0 would tie them at a score of 1.
    let tail = Math.max(MIN_TAIL, Math.min(1, weighted)) * (1 - TIE_BREAK * (1 - other));
    if (confirmed === 'anomaly') tail = Math.min(tail, this.contamination);
    return tail;
  }

  /** An alert as the incident tracker sees it: when, how serious, what about, in plain words. */
  private alertFacts(
    agentId: string,
    event: SecurityEvent,
    facts: PathFacts | undefined,
    ml: AnomalyResult,
    strongest: keyof BaselineScores | undefined,
    baselineLeads: boolean,
    verdict: { threatScore: number; threatLevel: ThreatLevel; tail: number; clockConfirmed: boolean },
  ): AlertFacts {
    const subjects: string[] = [];
    const destination = destinationOf(event);
    if (destination !== undefined) subjects.push(`destination ${destination}`);
    if (facts !== undefined) subjects.push(`location ${facts.directory}`);
    if (facts?.sensitive !== undefined) subjects.push(`catalogue ${facts.sensitive.id}`);
    if (event.toolName !== undefined) subjects.push(`tool ${event.toolName}`);
    const lead = baselineLeads ? strongest : undefined;
    return {
      agentId,
      at: event.timestamp.getTime(),
      eventId: event.eventId,
      score: verdict.threatScore,
      level: verdict.threatLevel,
      tail: verdict.tail,
      reason: reasonOf(event, facts, ml, lead),
      subjects,
      aboutContent:
        facts?.sensitive !== undefined ||
        lead === 'content' ||
        lead === 'action' ||
        (destination !== undefined && (lead === 'volume' || lead === 'novelty' || lead === 'concentration')),
      clockConfirmed: verdict.clockConfirmed,
    };
  }

  private explain(
    agentId: string,
    event: SecurityEvent,
    ml: AnomalyResult,
    baseline: BaselineScores | null,
    strongest: keyof BaselineScores | undefined,
    baselineLeads: boolean,
    score: number,
    aheadBy: number,
  ): string {
    // A time past the agent's whole baseline window is worth saying whatever the score: it would
    // have expired everything the agent had learned (a forged or badly skewed clock). Shorter leads
    // (a quiet weekend) are ordinary; `eventTime` reports them.
    const clockNote =
      aheadBy > this.learner.options.windowDays * DAY_MS
        ? `; event time ${(aheadBy / DAY_MS).toFixed(0)} days after this agent's newest event (held out of its windows and baseline until confirmed)`
        : '';
    if (score < this.bands.low) return ml.explanation + clockNote;
    const parts: string[] = [];
    if (baseline && strongest && baseline[strongest] >= 0.5) {
      // What the event did, in words, for each behaviour dimension that found it unusual (strongest
      // first); the others by name.
      const said = new Set<keyof BaselineScores>();
      for (const key of [strongest, ...BEHAVIOUR_KEYS]) {
        if (said.has(key) || baseline[key] < 0.5 || !(BEHAVIOUR_KEYS as readonly string[]).includes(key))
          continue;
        const words = this.learner.describeBehaviour(agentId, event, key as (typeof BEHAVIOUR_KEYS)[number]);
        if (words === undefined) continue;
        said.add(key);
        parts.push(`${words} (${baseline[key].toFixed(2)})`);
      }
      if (!said.has(strongest))
        parts.unshift(`baseline: unusual ${DIMENSION_LABEL[strongest]} (${baseline[strongest].toFixed(2)})`);
    }
    // The forest's words only when it found something itself (not "typical for this agent").
    const mlText =
      ml.anomalyScore >= this.bands.low ? [ml.explanation] : ml.source === 'agent' ? [] : [ml.explanation];
    return (
      ((baselineLeads ? [...parts, ...mlText] : [...mlText, ...parts]).join('; ') || ml.explanation) +
      clockNote
    );
  }
}

/** A stored threat model, checked to be one. @throws {ModelArtifactError} anything else. */
function threatModelOf(agentId: string, json: unknown): z.output<typeof ThreatModelSchema> {
  return readTagged(json, {
    format: THREAT_MODEL_FORMAT,
    version: 1,
    schema: ThreatModelSchema,
    fail: (problem, message) =>
      new ModelArtifactError(
        'threat-model',
        problem,
        `stored threat model of ${agentId} is invalid (${message})`,
      ),
    describedAs: 'a threat model',
    upgrade: '@harombe/security-ml',
  });
}

function scoresOf(tails: BaselineScores): BaselineScores {
  return {
    temporal: surprise(tails.temporal),
    resource: surprise(tails.resource),
    duration: surprise(tails.duration),
    eventType: surprise(tails.eventType),
    rate: surprise(tails.rate),
    failure: surprise(tails.failure),
    content: surprise(tails.content),
    novelty: surprise(tails.novelty),
    action: surprise(tails.action),
    volume: surprise(tails.volume),
    concentration: surprise(tails.concentration),
  };
}

/** The event's identifying context: references, one fixed shape (this runs for every event). */
function contextOf(event: SecurityEvent): EventContext {
  return {
    eventId: event.eventId,
    eventType: event.eventType,
    tool: event.toolName,
    action: event.action,
    destination: destinationOf(event),
    path: event.filePath,
    sessionId: event.sessionId,
  };
}

/** What an alert is about, in a few plain words that recur across its incident's alerts. */
function reasonOf(
  event: SecurityEvent,
  facts: PathFacts | undefined,
  ml: AnomalyResult,
  dimension: keyof BaselineScores | undefined,
): string {
  const tool = event.toolName ?? event.eventType;
  const destination = destinationOf(event);
  switch (dimension) {
    case 'content':
      return facts?.sensitive
        ? `credential location read (catalogue: ${facts.sensitive.id})`
        : `unusual file read by ${tool}`;
    case 'novelty':
      return destination !== undefined
        ? `new destination ${destination}`
        : `new location ${facts?.directory ?? ''} for ${tool}`.trim();
    case 'action':
      return `unusual action ${verbOf(event) ?? ''} with ${tool}`.replace('  ', ' ');
    case 'volume':
      return destination !== undefined
        ? `unusual volume sent to ${destination}`
        : `unusual volume moved by ${tool}`;
    case 'concentration':
      return `many calls to ${destination ?? 'one destination'}`;
    case undefined:
      break;
    default:
      return `unusual ${DIMENSION_LABEL[dimension]}${dimension === 'rate' || dimension === 'failure' || dimension === 'temporal' ? '' : ` (${tool})`}`;
  }
  // The forest leads: its strongest factor.
  let top = '';
  let share = -1;
  for (const [name, value] of Object.entries(ml.contributingFactors)) {
    if (value > share) {
      share = value;
      top = name;
    }
  }
  if (!top) return `unusual event (${tool})`;
  const words =
    FEATURE_WORDS[top] ?? (top.startsWith('resource_usage.') ? top.slice(15).replaceAll('_', ' ') : top);
  return `unusual ${words}${top.includes('per_hour') || top.startsWith('window_') ? '' : ` (${tool})`}`;
}

/** The forest's features in an analyst's words (for incident reasons). */
const FEATURE_WORDS: Readonly<Record<string, string>> = {
  resource_count: 'resource count',
  duration_log: 'duration',
  hour_sin: 'time of day',
  hour_cos: 'time of day',
  weekday_sin: 'day of the week',
  weekday_cos: 'day of the week',
  weekend: 'weekend activity',
  event_type_rarity: 'event type',
  tool_rarity: 'use of a rarely used tool',
  failure: 'failure',
  new_destination: 'new destination',
  new_file_location: 'new file location',
  calls_per_hour: 'calls in the last hour',
  tool_calls_per_hour: 'tool calls in the last hour',
  errors_per_hour: 'errors in the last hour',
  window_avg_duration_log: 'average duration in the last hour',
  window_max_duration_log: 'longest call in the last hour',
  window_unique_tools: 'number of tools used in the last hour',
  window_unique_destinations: 'number of destinations in the last hour',
  window_file_operations: 'file operations in the last hour',
};

/** The agent's signals towards campaigns: what the event did that is unusual for it, by subject. */
function signalsOf(
  event: SecurityEvent,
  facts: PathFacts | undefined,
  tails: BaselineScores,
  signalTail: number,
  usesTool: (tool: string) => boolean,
): Signal[] {
  const signals: Signal[] = [];
  const destination = destinationOf(event);
  if (tails.novelty <= signalTail) {
    if (destination !== undefined)
      signals.push({
        subject: `destination ${destination}`,
        tail: tails.novelty,
        reason: `new destination ${destination}`,
      });
    else if (facts !== undefined)
      signals.push({
        subject: `location ${facts.directory}`,
        tail: tails.novelty,
        reason: `new location ${facts.directory}`,
      });
  }
  if (tails.content <= signalTail && facts?.sensitive !== undefined)
    signals.push({
      subject: `catalogue ${facts.sensitive.id}`,
      tail: tails.content,
      reason: `credential location read (catalogue: ${facts.sensitive.id})`,
    });
  // A tool counts when it is new to the agent (a rarely used one is its own business).
  if (tails.eventType <= signalTail && event.toolName !== undefined && !usesTool(event.toolName))
    signals.push({
      subject: `tool ${event.toolName}`,
      tail: tails.eventType,
      reason: `never-used tool ${event.toolName}`,
    });
  return signals;
}
