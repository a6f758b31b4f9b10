// AnomalyDetector: one isolation-forest model per agent over its event features, calibrated on the
// agent's own out-of-bag training scores, explained from the forest's attributions, taught by
// analyst feedback, exported and imported as versioned JSON, and backed by a fleet model for cold
// starts. It owns no store: saving, loading on demand and preparing from history are the model
// lifecycle's, in @harombe/security-ml.
import {
  type AnomalyResult,
  CompactEvents,
  ensureSecurityEvent,
  HarombeError,
  ModelArtifactError,
  messageOf,
  parseAgentId,
  parseEvents,
  parseOrThrow,
  readTagged,
  type ScoringSource,
  type SecurityEvent,
  type SecurityEventInput,
  threatLevelFor,
} from '@harombe/models';
import type { z } from 'zod';
import {
  AgentModel,
  DETECTOR_FORMAT,
  DETECTOR_FORMAT_VERSION,
  describeEvent,
  type ModelSettings,
  type Scored,
  type SerializedDetectorModel,
  SerializedDetectorModelSchema,
} from './agent-model.js';
import { calibratedScore } from './calibration.js';
import { FLEET_ID, FleetModel } from './fleet-model.js';
import { ModelCache } from './model-cache.js';
import { type AnomalyDetectorOptions, AnomalyDetectorOptionsSchema, calibrationRowsFor } from './options.js';
import { reservoirSample } from './sampling.js';

/** Events pooled from all agents for the fleet model. */

/** Per-agent training options. */
export interface TrainOptions {
  /** The agent's IANA time zone for hours and weekdays (default: the detector's `features.timeZone`, else UTC). */
  timeZone?: string;
}

/** What `train` did. */
export interface TrainResult {
  readonly agentId: string;
  readonly trained: boolean;
  readonly events: number;
  /** Why no model was trained, when `trained` is false. */
  readonly reason?: string;
  readonly features?: readonly string[];
}

/** A model could not be found, loaded or used. */
export class DetectorError extends HarombeError<'DETECTOR_NO_MODEL' | 'DETECTOR_INVALID_VERDICT'> {}

/** Detection result plus the tail probability behind the score (for combining with other evidence). */
export interface DetectionDetail {
  readonly result: AnomalyResult;
  /** P(a normal event of this agent looks at least this unusual), estimated. */
  readonly tailProbability: number;
  /** Whether the event is near-identical to one an analyst confirmed as normal or as an anomaly. */
  readonly confirmed?: 'normal' | 'anomaly';
}

/** Options of {@link AnomalyDetector.scoreEvent} and {@link AnomalyDetector.detectDetailed}. */
export interface DetectDetailedOptions {
  /** Enter the event into the agent's activity window after scoring it. Default true. */
  record?: boolean;
}

/**
 * The forest's verdict on one event, before it is explained ({@link AnomalyDetector.resultOf}): what
 * `detect` explains, and what a caller combining the forest with other evidence weighs first. Turn
 * it into a result before the next event of the same agent is scored (it refers to the model's
 * scratch vector).
 */
export interface ForestVerdict {
  readonly agentId: string;
  readonly timestamp: Date;
  /** `agent`: the agent's own model; `fleet`: the fleet model (cold start); `none`: not scored. */
  readonly source: ScoringSource;
  /** P(a normal event of this agent looks at least this unusual), estimated. */
  readonly tailProbability: number;
  /** The calibrated forest score in [0, 1]. */
  readonly anomalyScore: number;
  readonly isAnomaly: boolean;
  /** Whether the event is near-identical to one an analyst confirmed as normal or as an anomaly. */
  readonly confirmed?: 'normal' | 'anomaly';
}

/** A verdict with what explaining it needs (never part of the public types). */
class Verdict implements ForestVerdict {
  constructor(
    readonly agentId: string,
    readonly timestamp: Date,
    readonly source: ScoringSource,
    readonly tailProbability: number,
    readonly anomalyScore: number,
    readonly isAnomaly: boolean,
    readonly confirmed: 'normal' | 'anomaly' | undefined,
    readonly event: SecurityEvent,
    readonly model: AgentModel | undefined,
    readonly scored: Scored | undefined,
    /** What the explanation starts with (a cold-start note). */
    readonly note: string,
  ) {}
}

export class AnomalyDetector {
  readonly options: Readonly<z.output<typeof AnomalyDetectorOptionsSchema>>;
  private readonly settings: ModelSettings;
  private readonly models: ModelCache;
  private readonly fleet: FleetModel;

  constructor(options: AnomalyDetectorOptions = {}) {
    const { features, ...rest } = options;
    this.options = Object.freeze(parseOrThrow(AnomalyDetectorOptionsSchema, rest, 'AnomalyDetector options'));
    this.settings = {
      seed: this.options.seed,
      nEstimators: this.options.nEstimators,
      maxSamples: this.options.maxSamples,
      contamination: this.options.contamination,
      calibrationRows:
        this.options.calibrationRows === 'auto'
          ? calibrationRowsFor(this.options.contamination)
          : this.options.calibrationRows,
      features: features ?? {},
    };
    this.models = new ModelCache(this.options);
    this.fleet = new FleetModel(this.settings, this.options.minEvents);
  }

  /** Agents with a model in memory. */
  get agentIds(): string[] {
    return [...this.models.keys()];
  }

  hasModel(agentId: string): boolean {
    return this.models.has(agentId);
  }

  /**
   * Trains the agent's model on its events (snake_case or camelCase). Below `minEvents` no model is
   * trained and the result says why. Replaces any previous model of the agent.
   * @throws {ValidationError} an invalid agent id or event (names the index and field).
   */
  train(
    agentId: string,
    inputs: readonly (SecurityEventInput | SecurityEvent)[],
    options: TrainOptions = {},
  ): TrainResult {
    const id = parseAgentId(agentId);
    const events = parseEvents(inputs);
    if (events.length < this.options.minEvents) return this.tooFew(id, events.length, 'train');
    const settings = options.timeZone
      ? { ...this.settings, features: { ...this.settings.features, timeZone: options.timeZone } }
      : this.settings;
    const model = AgentModel.fit(id, events, settings);
    model.reservoir = this.reservoirOf(events);
    this.models.install(id, model);
    this.fleet.add(events);
    return { agentId: id, trained: true, events: events.length, features: model.extractor.featureNames };
  }

  /**
   * Scores an event for an agent: the spec's `AnomalyResult`, synchronously. With `record` (default
   * true) the event then enters the agent's activity window. Agents without a model are scored by
   * the fleet model (`source: 'fleet'`), and the result says so.
   */
  detect(
    agentId: string,
    input: SecurityEventInput | SecurityEvent,
    options: { record?: boolean } = {},
  ): AnomalyResult {
    return this.detectDetailed(agentId, input, options).result;
  }

  /** {@link detect} plus the tail probability behind the score. */
  detectDetailed(
    agentId: string,
    input: SecurityEventInput | SecurityEvent,
    options: DetectDetailedOptions = {},
  ): DetectionDetail {
    const verdict = this.scoreEvent(agentId, input, options);
    return {
      result: this.resultOf(verdict),
      tailProbability: verdict.tailProbability,
      // (A conditional field, not a spread of an empty object: this runs for every event.)
      ...(verdict.confirmed === undefined ? undefined : { confirmed: verdict.confirmed }),
    };
  }

  /**
   * Scores an event without explaining it: the calibrated forest verdict (an analyst's confirmation
   * of a near-identical event applied). With `record` (default true) the event then enters the
   * agent's activity window. Agents without a model are scored by the fleet model.
   */
  scoreEvent(
    agentId: string,
    input: SecurityEventInput | SecurityEvent,
    options: DetectDetailedOptions = {},
  ): ForestVerdict {
    const id = parseAgentId(agentId);
    const event = ensureSecurityEvent(input);
    let model = this.models.get(id);
    let source: ScoringSource = 'agent';
    let note = '';
    if (model) {
      this.models.touch(model);
    } else {
      this.scoredWithoutModel(id);
      model = this.fleetModel();
      source = model ? 'fleet' : 'none';
      note = model
        ? `no model for agent ${id}; scored against the fleet model. `
        : `no model for agent ${id} and no fleet model yet: not scored. `;
    }
    if (!model) {
      return new Verdict(
        id,
        event.timestamp,
        source,
        1,
        0,
        false,
        undefined,
        event,
        undefined,
        undefined,
        note,
      );
    }
    const { contamination, threshold } = this.options;
    const scored = model.score(event);
    let tail = Math.min(scored.forestTail, scored.noveltyTail);
    // What an analyst confirmed applies to near-identical events (described only when there is any).
    const descriptor =
      model.confirmedNormals.length > 0 || model.confirmedAnomalies.length > 0
        ? describeEvent(event)
        : undefined;
    const confirmedNormal = descriptor !== undefined && model.matchesConfirmedNormal(descriptor);
    const confirmedAnomaly = descriptor !== undefined && model.matchesConfirmedAnomaly(descriptor);
    if (confirmedNormal) tail = Math.max(tail, Math.min(1, contamination * 2));
    let anomalyScore = calibratedScore(tail, contamination, threshold);
    if (confirmedAnomaly) anomalyScore = Math.max(anomalyScore, threshold);
    const confirmed = confirmedAnomaly ? 'anomaly' : confirmedNormal ? 'normal' : undefined;
    // The window learns after scoring; explaining reads the scored vector, not the window.
    if (options.record !== false && source === 'agent') model.extractor.observe(event);
    return new Verdict(
      id,
      event.timestamp,
      source,
      tail,
      anomalyScore,
      anomalyScore >= threshold,
      confirmed,
      event,
      model,
      scored,
      note,
    );
  }

  /**
   * The spec's `AnomalyResult` for a verdict of {@link scoreEvent}: explained (attribution and text,
   * the costly part) when the forest rates it LOW or above and `explain` is true (default); with
   * `explain: false` (a caller whose combined verdict is below LOW) it says it was not explained.
   * @throws {DetectorError} a verdict this detector did not make.
   */
  resultOf(verdict: ForestVerdict, options: { explain?: boolean } = {}): AnomalyResult {
    if (!(verdict instanceof Verdict)) {
      throw new DetectorError('DETECTOR_INVALID_VERDICT', 'resultOf takes a verdict made by scoreEvent');
    }
    const { agentId, timestamp, anomalyScore, isAnomaly, confirmed, source, note } = verdict;
    let contributingFactors: Record<string, number> = {};
    let explanation: string;
    const { model, scored } = verdict;
    if (!model || !scored) {
      explanation = note.trim();
    } else if (anomalyScore >= this.options.bands.low || confirmed === 'anomaly') {
      if (options.explain !== false) {
        const shares = this.shares(model, scored);
        contributingFactors = factorsOf(model, shares);
        explanation = note + model.describer.explain(shares, verdict.event, scored.vector);
        if (confirmed === 'anomaly') explanation += '; matches an event an analyst confirmed as an anomaly';
      } else {
        explanation = `${note}not explained: forest score ${anomalyScore.toFixed(2)}, below LOW once combined with other evidence`;
      }
    } else {
      explanation = `${note}typical for this agent${confirmed === 'normal' ? ' (like an event an analyst confirmed as normal)' : ''}`;
    }
    return {
      agentId,
      timestamp,
      anomalyScore,
      isAnomaly,
      threatLevel: threatLevelFor(anomalyScore, isAnomaly, this.options.bands),
      contributingFactors,
      explanation,
      // Undefined when not scored (no model): one shape either way, no object spread per event.
      rawScore: scored?.rawScore,
      source,
    };
  }

  /**
   * Enters a completed event (with its outcome: duration, success) into the agent's activity window
   * without scoring it, for integrations that score a call before it runs (`detect(..., { record:
   * false })`) and learn how it went afterwards. Does nothing for an agent without a model in memory.
   * @throws {ValidationError} an invalid agent id or event.
   */
  record(agentId: string, input: SecurityEventInput | SecurityEvent): void {
    const id = parseAgentId(agentId);
    const event = ensureSecurityEvent(input);
    this.models.get(id)?.extractor.observe(event);
  }

  /**
   * Empties the agent's activity window (the rate features' recent events, and events held ahead of
   * its clock): the window is rebuilt from the events observed next. For replaying a period that
   * starts before the agent's newest event (a model's window holds the end of its training data).
   * Does nothing for an agent without a model in memory.
   * @throws {ValidationError} an invalid agent id.
   */
  resetWindow(agentId: string): void {
    this.models.get(parseAgentId(agentId))?.extractor.replaceWindow([]);
  }

  /**
   * Analyst feedback. `false` (a false positive): the event's type, tool, destination and location
   * are learned, it joins the training reservoir (weighted), the model is refit after `refitAfter`
   * such events, and near-identical events stop being flagged at once. `true`: near-identical events
   * stay flagged, and the event is kept out of training.
   */
  updateFromFeedback(agentId: string, input: SecurityEventInput | SecurityEvent, isAnomaly: boolean): void {
    const id = parseAgentId(agentId);
    const event = ensureSecurityEvent(input);
    const model = this.models.get(id);
    if (!model)
      throw new DetectorError(
        'DETECTOR_NO_MODEL',
        `no model for agent ${id}: train or load it before giving feedback`,
      );
    const descriptor = describeEvent(event);
    model.confirm(descriptor, isAnomaly);
    if (isAnomaly) {
      model.reservoir = model.reservoir.filter((e) => !sameEvent(e, event));
      return;
    }
    model.extractor.learn(event);
    if (model.reservoir.length > 0) {
      const copies = Math.max(3, Math.ceil(0.02 * model.reservoir.length));
      for (let i = 0; i < copies; i++) model.reservoir.push(event);
      model.pendingFeedback++;
      if (model.pendingFeedback >= this.options.refitAfter) this.retrain(id);
    }
  }

  /**
   * Refits the agent's model on its training reservoir (plus `events`, if given), keeping the
   * analyst's confirmations. After `importModel` the reservoir is empty: pass the events to train on.
   */
  retrain(agentId: string, events: readonly (SecurityEventInput | SecurityEvent)[] = []): TrainResult {
    const id = parseAgentId(agentId);
    const added = parseEvents(events);
    const old = this.models.get(id);
    // The reservoir alone (feedback's refit) is fitted from its columns and kept as it is when it is
    // within bounds (the old model is replaced); otherwise reservoir and new events are pooled.
    const alone = old !== undefined && added.length === 0;
    const pool = alone ? old.reservoir : [...(old?.reservoir.toArray() ?? []), ...added];
    if (pool.length < this.options.minEvents) return this.tooFew(id, pool.length, 'retrain');
    const features = old ? { ...this.settings.features, ...old.extractor.options } : this.settings.features;
    const model = AgentModel.fit(id, pool, { ...this.settings, features });
    model.reservoir = this.reservoirOf(pool);
    if (old) {
      model.confirmedNormals = old.confirmedNormals;
      model.confirmedAnomalies = old.confirmedAnomalies;
      model.extractor.replaceWindow(old.extractor.windowEntries(), old.extractor.heldEntries());
    }
    this.models.install(id, model);
    return { agentId: id, trained: true, events: pool.length, features: model.extractor.featureNames };
  }

  /** The training reservoir of a fit's events: all of them within `reservoirSize`, else a seeded sample. */
  private reservoirOf(events: readonly SecurityEvent[] | CompactEvents): CompactEvents {
    const size = this.options.reservoirSize;
    if (events instanceof CompactEvents) {
      return events.length <= size ? events : this.reservoirOf(events.toArray());
    }
    return CompactEvents.from(reservoirSample(events, size, this.options.seed));
  }

  private tooFew(agentId: string, events: number, verb: string): TrainResult {
    return {
      agentId,
      trained: false,
      events,
      reason: `needs at least ${this.options.minEvents} events to ${verb}, received ${events}`,
    };
  }

  /** The agent's model as versioned JSON (what a store keeps: see `saveModel` in @harombe/security-ml). */
  exportModel(agentId: string): SerializedDetectorModel {
    const id = parseAgentId(agentId);
    const model = this.models.get(id);
    if (!model) throw new DetectorError('DETECTOR_NO_MODEL', `no model for agent ${id} to save`);
    return model.toJSON();
  }

  /**
   * Installs a model from {@link exportModel} output.
   * @throws {DetectorError} not a valid detector model of this agent.
   */
  importModel(agentId: string, json: unknown): void {
    const id = parseAgentId(agentId);
    this.models.install(id, modelOf(id, json));
  }

  /**
   * The fleet model (cold starts) as versioned JSON, a detector model of the agent id `(fleet)`, or
   * `undefined` while there is none (fewer than `minEvents` events trained on).
   */
  exportFleetModel(): SerializedDetectorModel | undefined {
    return this.fleet.current()?.toJSON();
  }

  /**
   * Installs a fleet model from {@link exportFleetModel} output: agents without a model are scored
   * by it until this detector trains agents again (then it is rebuilt from their events).
   * @throws {ModelArtifactError} not a valid fleet model.
   */
  importFleetModel(json: unknown): void {
    this.fleet.install(modelOf(FLEET_ID, json));
  }

  /** Drops an agent's model from memory. */
  evict(agentId: string): boolean {
    return this.models.evict(agentId);
  }

  /** Memory use of the model cache. */
  cacheStats(): { models: number; estimatedBytes: number } {
    return this.models.stats();
  }

  /** Rebuilds the fleet model now from events pooled across trained agents. */
  rebuildFleetModel(): boolean {
    return this.fleet.rebuild();
  }

  private fleetModel(): AgentModel | undefined {
    return this.options.fleetModel ? this.fleet.current() : undefined;
  }

  /**
   * Called when an agent without a model in memory is scored (the fleet model scores it). Does
   * nothing here: this class owns no store. The facade's `AnomalyDetector` (@harombe/security-ml)
   * overrides it to load the agent's stored model in the background.
   */
  protected scoredWithoutModel(_agentId: string): void {}

  /**
   * Forest attribution shares, blended with the features the forest could not see when they moved;
   * normalised to sum to 1.
   */
  private shares(model: AgentModel, scored: ReturnType<AgentModel['score']>): Float64Array {
    const combined = model.forest.explain(scored.vector).shares;
    const forestWeight = -Math.log(Math.max(scored.forestTail, 1e-300));
    const noveltyWeight = scored.novel.length ? -Math.log(Math.max(scored.noveltyTail, 1e-300)) : 0;
    const total = forestWeight + noveltyWeight || 1;
    for (let i = 0; i < combined.length; i++) combined[i] = (combined[i]! * forestWeight) / total;
    for (const index of scored.novel) combined[index]! += noveltyWeight / total / scored.novel.length;
    let sum = 0;
    for (let i = 0; i < combined.length; i++) sum += combined[i]!;
    for (let i = 0; i < combined.length; i++) combined[i] = combined[i]! / (sum || 1);
    return combined;
  }
}

/** The shares above zero, by feature name. */
function factorsOf(model: AgentModel, shares: Float64Array): Record<string, number> {
  const infos = model.extractor.features;
  const factors: Record<string, number> = {};
  for (let i = 0; i < shares.length; i++) if (shares[i]! > 0) factors[infos[i]!.name] = shares[i]!;
  return factors;
}

function sameEvent(a: SecurityEvent, b: SecurityEvent): boolean {
  return (
    a.timestamp.getTime() === b.timestamp.getTime() &&
    a.eventType === b.eventType &&
    a.toolName === b.toolName &&
    a.eventId === b.eventId
  );
}

/**
 * A stored detector model of agent `id`, checked (tag, version, schema, owner) and rebuilt.
 * @throws {ModelArtifactError} anything else.
 */
function modelOf(id: string, json: unknown): AgentModel {
  const data = readTagged(json, {
    format: DETECTOR_FORMAT,
    version: DETECTOR_FORMAT_VERSION,
    schema: SerializedDetectorModelSchema,
    fail: (problem, message) =>
      new ModelArtifactError('detector', problem, `stored detector model of ${id} is invalid (${message})`),
    describedAs: 'a detector model',
    upgrade: '@harombe/detector',
  });
  if (data.agentId !== id)
    throw new ModelArtifactError(
      'detector',
      'schema',
      `stored detector model of ${id} is invalid (agentId: belongs to another agent)`,
    );
  let model: AgentModel;
  try {
    model = AgentModel.fromJSON(data);
  } catch (error) {
    // A part (forest, features) that is unusable keeps its problem: tampered, truncated, ...
    const problem = error instanceof ModelArtifactError ? error.problem : 'schema';
    throw new ModelArtifactError(
      'detector',
      problem,
      `stored detector model of ${id} is invalid: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
  return model;
}
