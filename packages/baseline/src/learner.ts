// BaselineLearner: per-agent behavioural baselines over a rolling window of event time, in
// bounded memory, with per-dimension anomaly scores in [0, 1] that are calibrated the same way.
import {
  type BaselineScores,
  type BehavioralBaseline,
  describeValue,
  EventClock,
  type EventTime,
  ensureSecurityEvent,
  LocalClock,
  MAX_TIMESTAMP_MS,
  MIN_TIMESTAMP_MS,
  optionalFlag,
  parseAgentId,
  parseOrThrow,
  readInput,
  type SecurityEvent,
  type SecurityEventInput,
  SensitiveMatcher,
  TimeZoneSchema,
  ValidationError,
} from '@harombe/models';
import {
  AgentHistory,
  BURST_MINUTES,
  DAY_MS,
  fingerprint,
  type HeldEvent,
  NO_TOOL,
  type RecentCounts,
} from './agent-history.js';
import { type BehaviourTails, ESTABLISHED_USES, NO_EVENTS, PathCache, type PathFacts } from './behaviour.js';
import { type RobustSummary, upperTail } from './distribution.js';
import { baselineModelError } from './errors.js';
import { FleetVocabulary } from './fleet-vocabulary.js';
import {
  type BaselineLearnerOptions,
  BaselineLearnerOptionsSchema,
  type ResolvedBaselineOptions,
} from './options.js';
import { buildProfile, type Profile, ProfileBuilder } from './profile.js';
import {
  type AgentSnapshot,
  decodeLearner,
  encodeLearner,
  type SerializedBaseline,
} from './serialization.js';
import { binomialUpperTail, surprise } from './surprise.js';
import { WindowTotals } from './window-totals.js';

/** The cached profile is rebuilt after this many new events, or this share of the window. */
const REFRESH_MIN_EVENTS = 50;
const REFRESH_SHARE = 0.1;
const MINUTE_MS = 60_000;

/**
 * Learns what is normal for each agent and scores new events against it.
 *
 * @example
 * const learner = new BaselineLearner({ windowDays: 30, minSamples: 100 });
 * for (const event of history) learner.recordEvent('agent-123', event);
 * learner.computeBaseline('agent-123'); // BehavioralBaseline | null
 * learner.detectAnomalies('agent-123', { timestamp: '2026-03-04T03:00:00Z', event_type: 'tool_call' });
 * // { temporal: 1, resource: 0, duration: 0, eventType: 0, rate: 0, failure: 0.05 }
 */
export class BaselineLearner {
  readonly options: Readonly<Omit<ResolvedBaselineOptions, never>>;
  private readonly clock: LocalClock;
  private readonly clocks = new Map<string, LocalClock>();
  private readonly now: (() => number) | undefined;
  private readonly agents = new Map<string, AgentHistory>();
  private readonly profiles = new Map<string, Profile>();
  /** Refreshes in progress, a step per scoring call (see `profile`). */
  private readonly refreshing = new Map<string, ProfileBuilder>();
  /** The rule for events ahead of an agent's clock; per agent, the ahead events it holds (made when needed). */
  private readonly clockRule: EventClock<never>;
  private readonly held = new Map<string, EventClock<HeldEvent>>();
  /** Path templates and catalogue hits, by path. */
  private readonly paths: PathCache;
  /** How many of the agents use each destination and location (see FleetVocabulary). */
  private readonly fleet = new FleetVocabulary();
  private readonly behaviourTails: BehaviourTails = {
    content: 1,
    novelty: 1,
    action: 1,
    volume: 1,
    counters: 1,
    concentration: 1,
  };

  constructor(options: BaselineLearnerOptions = {}) {
    const { clock, ...rest } = readInput('BaselineLearner options', () => {
      // Options that are not an object are refused before they are spread: a long string would
      // spread into one key per character, each then reported as unrecognised (slowly).
      if (options !== null && (typeof options !== 'object' || Array.isArray(options)))
        throw new ValidationError('BaselineLearner options', [
          {
            path: '',
            code: 'invalid_type',
            message: `expected an object, received ${describeValue(options)}`,
          },
        ]);
      return { ...(options ?? {}) };
    });
    if (clock !== undefined && typeof clock !== 'function') {
      throw new ValidationError('BaselineLearner options', [
        {
          path: 'clock',
          code: 'invalid_type',
          message: `expected a function, received ${describeValue(clock)}`,
        },
      ]);
    }
    this.options = Object.freeze(parseOrThrow(BaselineLearnerOptionsSchema, rest, 'BaselineLearner options'));
    this.clock = new LocalClock(this.options.timeZone);
    this.now = clock;
    this.clockRule = new EventClock(this.options);
    this.paths = new PathCache(
      this.options.sensitiveLocations === undefined
        ? new SensitiveMatcher()
        : new SensitiveMatcher(this.options.sensitiveLocations),
    );
  }

  private factsOf(event: SecurityEvent): PathFacts | undefined {
    return event.filePath === undefined ? undefined : this.paths.facts(event.filePath);
  }

  /** Whether the agent's baseline holds calls of the tool (false for an unknown agent). */
  usesTool(agentId: string, tool: string): boolean {
    return this.profile(agentId, false)?.tools.pValues.has(tool) ?? false;
  }

  /**
   * What the learner reads in a file path: its directory's template (dates, numbers, hashes, ids
   * generalised) and the sensitive-location catalogue's entry for it, if any.
   */
  pathFacts(path: string): PathFacts {
    return this.paths.facts(path);
  }

  /**
   * Sets an agent's IANA time zone (its hours and weekdays are read there); the learner's
   * `timeZone` applies otherwise. Set it before recording the agent's events.
   * @throws {ValidationError} unknown zone.
   */
  setTimeZone(agentId: string, timeZone: string): void {
    const id = parseAgentId(agentId);
    parseOrThrow(TimeZoneSchema, timeZone, 'timeZone');
    this.history(id, true)!.timeZone = timeZone;
    this.forgetProfile(id);
  }

  private clockOf(history: AgentHistory): LocalClock {
    const zone = history.timeZone;
    if (zone === undefined || zone === this.options.timeZone) return this.clock;
    let clock = this.clocks.get(zone);
    if (!clock) {
      clock = new LocalClock(zone);
      this.clocks.set(zone, clock);
    }
    return clock;
  }

  /** Agents with any recorded history. */
  get agentIds(): string[] {
    return [...this.agents.keys()];
  }

  /** How many agents have any recorded history (without listing them). */
  get agentCount(): number {
    return this.agents.size;
  }

  /**
   * Adds an event to the agent's history (snake_case or camelCase input). Amortised O(1); memory per
   * agent is bounded by the window's days, not by the number of events. With `learn: false` the
   * event only counts toward the last hour's activity (rate and failure), not the profile: for
   * events already judged anomalous.
   *
   * Event time: an event older than the agent's newest counts in the hour of its own time (never in
   * the newest hour). An event more than `maxLeadMs` (default 1 hour) ahead of the agent's newest is
   * held: it neither moves the agent's clock nor is learned until `corroboration` (default 3) such
   * events within a day of each other confirm the new time; then they are recorded, oldest first.
   * One stray or forged time (a year 9999) thus cannot expire the agent's window.
   * @throws {ValidationError} invalid agent id or event.
   */
  recordEvent(
    agentId: string,
    input: SecurityEventInput | SecurityEvent,
    options: { learn?: boolean } = {},
  ): void {
    const id = parseAgentId(agentId);
    const event = ensureSecurityEvent(input);
    const history = this.history(id, true)!;
    const learn = optionalFlag(options, 'learn', 'recordEvent options') !== false;
    const ms = event.timestamp.getTime();
    if (this.clockRule.isAhead(history.newestMs, ms)) {
      let guard = this.held.get(id);
      if (!guard) {
        guard = new EventClock<HeldEvent>(this.options);
        this.held.set(id, guard);
      }
      const confirmed = guard.admit(history.newestMs, ms, { event, learn });
      if (!confirmed) return; // held: the agent's clock stays where it is
      // Confirmed: nothing is held any more (only agents with held events keep a guard).
      this.held.delete(id);
      for (const held of confirmed) this.place(history, held.event, held.learn);
      return;
    }
    this.place(history, event, learn);
  }

  /**
   * How the event's time stands to the agent's clock (its newest recorded event): `ahead` (more than
   * `maxLeadMs` past it: not learned until confirmed), `late` (before it) or `current`.
   */
  eventTime(agentId: string, input: SecurityEventInput | SecurityEvent): EventTime {
    const event = ensureSecurityEvent(input);
    const history = this.agents.get(agentId);
    return this.clockRule.classify(history?.newestMs ?? Number.NEGATIVE_INFINITY, event.timestamp.getTime());
  }

  /**
   * Adds the agent's held ahead events of the hour up to `ms` to `recent`, so that the second event
   * after a quiet night is judged with the first in its hour, as if both were placed.
   */
  private countHeld(agentId: string, ms: number, recent: RecentCounts): void {
    const guard = this.held.get(agentId);
    if (!guard || guard.heldCount === 0) return;
    // In whole minutes, as the minute ring counts: the 60 minutes up to and including ms's minute.
    const minute = Math.floor(ms / MINUTE_MS);
    for (const { event } of guard.heldItems()) {
      const age = minute - Math.floor(event.timestamp.getTime() / MINUTE_MS);
      if (age < 0 || age >= 60) continue;
      recent.events++;
      if (!event.success) recent.failures++;
      if (age < BURST_MINUTES) recent.burst++;
    }
  }

  /** Records an event whose time may move the agent's clock. */
  private place(history: AgentHistory, event: SecurityEvent, learn: boolean): void {
    if (!learn) {
      // Counted as recent activity (rates, failures) at its own time, but kept out of the profile.
      const ms = event.timestamp.getTime();
      history.countRecent(ms, !event.success);
      if (ms > history.newestMs) history.newestMs = ms;
      history.behaviour.sighted(
        event,
        event.toolName ?? NO_TOOL,
        this.factsOf(event),
        this.options.maxVocabulary,
      );
      return;
    }
    if (history.quarantined.size > 0 && history.quarantined.has(fingerprint(event))) return;
    this.add(history, event, 1, true);
  }

  /**
   * Computes the agent's baseline from its window (the spec's `BehavioralBaseline`), or `null` while
   * the window holds fewer than `minSamples` events. The result is also what `detectAnomalies` uses.
   */
  computeBaseline(agentId: string): BehavioralBaseline | null {
    return this.profile(agentId, true)?.baseline ?? null;
  }

  /** The last computed baseline (without recomputing), or `null`. */
  getBaseline(agentId: string): BehavioralBaseline | null {
    return this.profiles.get(agentId)?.baseline ?? null;
  }

  /** Whether the agent has enough history for a baseline. */
  hasBaseline(agentId: string): boolean {
    return this.profile(agentId, false) !== undefined;
  }

  /**
   * Scores an event against the agent's baseline, each dimension in [0, 1] (0.5 means a tail
   * probability of about 3%, 1 means 0.1% or less); `null` without a baseline. The event is not
   * recorded. The baseline is recomputed when 10% of the window (at least 50 events) is new, or 10%
   * of it has left the window; call `computeBaseline` to force it.
   *
   * - temporal: mass of hour-of-week slots no more likely than the event's (smoothed profile);
   * - resource, duration: upper tail of ln(1 + x) against median/MAD (or mean/std), past the
   *   largest value seen no lighter than the values' own top (heavy-tailed durations);
   * - eventType: rarity of the event type and of the tool, whichever is rarer;
   * - rate: events in the last hour against the agent's events per active hour;
   * - failure: failures in the last hour against the agent's error rate (binomial tail).
   */
  detectAnomalies(agentId: string, input: SecurityEventInput | SecurityEvent): BaselineScores | null {
    const p = this.tailProbabilities(agentId, input);
    if (!p) return null;
    return {
      temporal: surprise(p.temporal),
      resource: surprise(p.resource),
      duration: surprise(p.duration),
      eventType: surprise(p.eventType),
      rate: surprise(p.rate),
      failure: surprise(p.failure),
      content: surprise(p.content),
      novelty: surprise(p.novelty),
      action: surprise(p.action),
      volume: surprise(p.volume),
      concentration: surprise(p.concentration),
    };
  }

  /**
   * The tail probabilities behind {@link detectAnomalies}: per dimension, the estimated chance that
   * an ordinary event of this agent is at least this unusual (1 = not unusual). `null` without a
   * baseline. Use these to combine the baseline with other evidence.
   */
  tailProbabilities(agentId: string, input: SecurityEventInput | SecurityEvent): BaselineScores | null {
    const event = ensureSecurityEvent(input);
    const profile = this.profile(parseAgentId(agentId), false);
    if (!profile) return null;
    const history = this.agents.get(agentId)!;
    const ms = event.timestamp.getTime();
    const temporal = profile.slotPValues[this.clockOf(history).hourOfWeek(ms)]!;
    // A tool with enough history is judged against itself, others against the agent as a whole.
    const tool = event.toolName ?? NO_TOOL;
    // A tool too new for a distribution of its own is judged against the agent's, unless it is
    // established already (an analyst confirmed it, or it has been used often enough): then its
    // values are its own, not the agent's other tools', until it has enough of them.
    const ownResource = profile.toolResource.get(tool);
    const ownDuration = profile.toolDuration.get(tool);
    const young =
      (ownResource === undefined || ownDuration === undefined) &&
      (profile.tools.shares[tool] ?? 0) * profile.eventCount >= ESTABLISHED_USES;
    const resource =
      event.resourceCount === undefined || (young && ownResource === undefined)
        ? 1
        : upperTail(event.resourceCount, ownResource ?? profile.resourceCount, this.options.robust, true);
    const duration =
      event.durationMs === undefined || (young && ownDuration === undefined)
        ? 1
        : upperTail(event.durationMs, ownDuration ?? profile.duration, this.options.robust, true);
    const typeP = profile.eventTypes.pValues.get(event.eventType) ?? profile.eventTypes.unseen;
    const toolP = profile.tools.pValues.get(event.toolName ?? NO_TOOL) ?? profile.tools.unseen;
    // Rate and failure at the event's own time: a late event is judged against its own hour, never
    // the newest one; one so late that the last hour's counts no longer reach its hour is not judged
    // on them at all (unknown is not "quiet": one call and one failure would read as unusual).
    let rate = 1;
    let failure = 1;
    const clock = this.clockOf(history);
    if (history.knowsHourOf(ms)) {
      const recent = history.recent(ms, BURST_MINUTES);
      if (this.held.size > 0) this.countHeld(agentId, ms, recent);
      const callsNow = recent.events + 1;
      // The hour and the last 5 minutes, whichever is more unusual (doubled for looking twice),
      // against the same period of the day once it has enough history (a nightly batch does not make
      // a daytime burst ordinary), else against all hours.
      const burstNow = recent.burst + 1;
      const inPeriod = history.behaviour.periodRateTail(
        (clock.hourOfDay(ms) / 3) | 0,
        callsNow,
        burstNow,
        this.options.robust,
      );
      rate = Number.isNaN(inPeriod)
        ? Math.min(
            1,
            2 * Math.min(this.upperTail(callsNow, profile.rate), this.upperTail(burstNow, profile.burst)),
          )
        : inPeriod;
      const failuresNow = recent.failures + (event.success ? 0 : 1);
      failure = binomialUpperTail(failuresNow, callsNow, profile.errorRate);
    }
    const b = history.behaviour.tails(
      event,
      tool,
      this.factsOf(event),
      this.options.robust,
      this.behaviourTails,
      this.heldEvents(agentId),
    );
    return {
      temporal,
      // The tool's other counters (rows, cpu, bytes received) count as resources it used.
      resource: b.counters < 1 ? Math.min(1, 2 * Math.min(resource, b.counters)) : resource,
      duration,
      eventType: Math.min(typeP, toolP),
      rate,
      failure,
      content: b.content,
      novelty: b.novelty,
      action: b.action,
      volume: b.volume,
      concentration: b.concentration,
    };
  }

  /**
   * In words, what the agent's behaviour dimension `dimension` saw in the event (a sensitive file,
   * a new destination and how often this tool meets one, a verb, a volume), or `undefined`.
   */
  describeBehaviour(
    agentId: string,
    input: SecurityEventInput | SecurityEvent,
    dimension: keyof BehaviourTails,
  ): string | undefined {
    const event = ensureSecurityEvent(input);
    const history = this.agents.get(agentId);
    if (!history) return undefined;
    return history.behaviour.describe(
      event,
      event.toolName ?? NO_TOOL,
      this.factsOf(event),
      dimension,
      this.heldEvents(agentId),
    );
  }

  /** The agent's events held ahead of its clock (see {@link recordEvent}), oldest first. */
  private heldEvents(agentId: string): readonly SecurityEvent[] {
    const guard = this.held.get(agentId);
    return guard === undefined || guard.heldCount === 0 ? NO_EVENTS : guard.heldItems().map((h) => h.event);
  }

  /**
   * Analyst feedback. `isAnomaly: false` (a false positive): the event is learned with the weight
   * of `feedbackWeight` events, or of 5% of the window's events if that is more, so the same kind
   * of event scores below 0.5 afterwards. `isAnomaly: true`: the
   * event is taken out of the baseline if it was recorded, and kept out if it is recorded later.
   */
  updateFromFeedback(agentId: string, input: SecurityEventInput | SecurityEvent, isAnomaly: boolean): void {
    const id = parseAgentId(agentId);
    const event = ensureSecurityEvent(input);
    const history = this.history(id, true)!;
    const key = fingerprint(event);
    if (isAnomaly) {
      const where = history.forget(event);
      if (where) history.unlearn(event, where.weight, where.day, where.hour);
      history.quarantine(key);
    } else {
      history.quarantined.delete(key);
      // An analyst's word confirms the event's time too: an event stamped ahead of the agent's clock
      // is learned (moving the clock) as if `corroboration` events had confirmed it.
      const known = history.lookup(event);
      const extra = this.feedbackWeight(id) - (known?.weight ?? 0);
      if (extra > 0) this.add(history, event, extra, known === undefined, (known?.weight ?? 0) + extra);
    }
    history.changes = Number.POSITIVE_INFINITY;
  }

  /** Weight of a confirmed-normal event: `feedbackWeight`, or 5% of the window if that is more. */
  private feedbackWeight(agentId: string): number {
    let events = 0;
    for (const bucket of this.agents.get(agentId)?.buckets.values() ?? []) events += bucket.events;
    // Whole numbers: the window's running totals stay exact.
    return Math.max(Math.ceil(this.options.feedbackWeight), Math.ceil(0.05 * events));
  }

  /** Sizes of what is kept for an agent, for monitoring memory. */
  footprint(agentId: string): {
    days: number;
    histogramBins: number;
    vocabulary: number;
    remembered: number;
  } {
    const history = this.agents.get(agentId);
    if (!history) return { days: 0, histogramBins: 0, vocabulary: 0, remembered: 0 };
    let bins = 0;
    let vocabulary = 0;
    for (const bucket of history.buckets.values()) {
      bins += bucket.resourceCount.binCount + bucket.duration.binCount;
      vocabulary += bucket.eventTypes.size + bucket.tools.size;
    }
    return {
      days: history.buckets.size,
      histogramBins: bins,
      vocabulary,
      remembered: history.rememberedCount,
    };
  }

  /** Time (epoch ms) of the newest event recorded for the agent, or `undefined` without history. */
  lastEventAt(agentId: string): number | undefined {
    const history = this.agents.get(agentId);
    return history && Number.isFinite(history.newestMs) ? history.newestMs : undefined;
  }

  /**
   * Restarts the agent's short-term activity in event time: the last hour's calls and failures, the
   * bytes per destination within the hour, and the events held ahead of its clock are forgotten; its
   * profile (what it learned) and its clock stay. Call it before replaying a period that starts before
   * the agent's newest event (re-scanning a training log, an overlapping file), so that the replay's
   * rates are built from its own events, not from the hour that ended the agent's history. Does
   * nothing for an agent without history.
   * @example
   * learner.resetActivity('coder-1');
   * for (const event of olderEvents) learner.detectAnomalies('coder-1', event); // rates from these alone
   */
  resetActivity(agentId: string): void {
    const history = this.agents.get(agentId);
    this.held.delete(agentId);
    if (!history) return;
    history.clearRecent();
    history.behaviour.recentBytes.clear();
  }

  /** Whether the learner holds any history of the agent (enough for a baseline or not). */
  hasAgent(agentId: string): boolean {
    return this.agents.has(agentId);
  }

  /** Forgets an agent entirely. */
  deleteAgent(agentId: string): boolean {
    this.forgetProfile(agentId);
    this.held.delete(agentId);
    this.agents.get(agentId)?.behaviour.leave();
    return this.agents.delete(agentId);
  }

  /**
   * A versioned JSON snapshot of every agent's aggregates (bounded, like the learner). Exporting
   * refreshes the agents' profiles first, so that a learner restored from it and this one score what
   * follows identically (a restored learner computes its profiles afresh).
   */
  toJSON(): SerializedBaseline {
    for (const agentId of this.agents.keys()) this.profile(agentId, true);
    return encodeLearner({ options: this.options, agents: this.snapshots() });
  }

  /**
   * Restores a learner from {@link toJSON} output; it gives the same scores. Pass `clock` again if
   * the original had one.
   * @throws {baselineModelError} foreign, wrong-version or malformed input.
   */
  static fromJSON(json: unknown, options: Pick<BaselineLearnerOptions, 'clock'> = {}): BaselineLearner {
    const snapshot = decodeLearner(json);
    const learner = new BaselineLearner({ ...snapshot.options, ...options });
    for (const agent of snapshot.agents) learner.adopt(agent);
    return learner;
  }

  /**
   * One agent's history as versioned JSON (the same format as {@link toJSON}, with one agent); like
   * `toJSON`, it refreshes the agent's profile first.
   */
  exportAgent(agentId: string): SerializedBaseline {
    const id = parseAgentId(agentId);
    this.profile(id, true);
    return encodeLearner({ options: this.options, agents: this.snapshots(id) });
  }

  /**
   * Restores one agent's history from {@link exportAgent} output, replacing what the learner had.
   * @throws {baselineModelError} foreign, wrong-version or malformed input, or no such agent in it.
   */
  importAgent(agentId: string, json: unknown): void {
    const id = parseAgentId(agentId);
    const agent = decodeLearner(json).agents.find((a) => a.agentId === id);
    if (!agent) throw baselineModelError('schema', `no baseline of agent ${JSON.stringify(id)} in the input`);
    this.forgetProfile(id);
    this.adopt(agent);
  }

  /** @internal The agents' histories (for tests that look inside). */
  histories(): ReadonlyMap<string, AgentHistory> {
    return this.agents;
  }

  /** Every agent (or one) as its codec reads it. */
  private *snapshots(only?: string): Generator<AgentSnapshot> {
    for (const [agentId, history] of this.agents) {
      if (only !== undefined && agentId !== only) continue;
      yield { agentId, history, held: this.held.get(agentId)?.heldItems() ?? [] };
    }
  }

  /** Takes over a restored agent: its history, and the events it holds ahead of its clock. */
  private adopt({ agentId, history, held }: AgentSnapshot): void {
    this.held.delete(agentId);
    if (held.length > 0) {
      const guard = new EventClock<HeldEvent>(this.options);
      guard.restore(held.map((item) => ({ ms: item.event.timestamp.getTime(), item })));
      this.held.set(agentId, guard);
    }
    history.changes = Number.POSITIVE_INFINITY;
    this.agents.get(agentId)?.behaviour.leave();
    history.behaviour.join(this.fleet, agentId);
    this.agents.set(agentId, history);
  }

  private history(agentId: string, create: boolean): AgentHistory | undefined {
    let history = this.agents.get(agentId);
    if (!history && create) {
      history = new AgentHistory(this.options.windowDays);
      history.behaviour.join(this.fleet, agentId);
      this.agents.set(agentId, history);
    }
    return history;
  }

  /** Learns the event into the agent's history, in its local day, within the window "now". */
  private add(
    history: AgentHistory,
    event: SecurityEvent,
    weight: number,
    countActivity: boolean,
    rememberedWeight = weight,
  ): void {
    const ms = event.timestamp.getTime();
    const firstDay = this.currentDay(history, ms) - this.options.windowDays + 1;
    const clock = this.clockOf(history);
    const cap = this.options.maxVocabulary;
    const hour = history.learn(event, weight, countActivity, rememberedWeight, clock, firstDay, cap);
    if (hour < 0) return;
    // With the rates the event saw (the minute ring counted it just now), for its period of the day.
    const tool = event.toolName ?? NO_TOOL;
    const period = (hour / 3) | 0;
    history.behaviour.learn(
      event,
      tool,
      this.factsOf(event),
      weight,
      countActivity,
      period,
      history.learnedRecent,
      cap,
    );
  }

  /** The local day "now" is in: the injected clock's, else the newest event's (or `ms`, if newer). */
  private currentDay(history: AgentHistory, ms: number): number {
    const now = this.now ? this.clockNow() : Math.max(ms, history.newestMs);
    return Math.floor((now + this.clockOf(history).offsetAt(now)) / DAY_MS);
  }

  /** The injected clock's time, checked: a clock that gives no instant cannot expire history. */
  private clockNow(): number {
    const now = this.now!();
    if (typeof now === 'number' && now >= MIN_TIMESTAMP_MS && now <= MAX_TIMESTAMP_MS) return now;
    throw new ValidationError('BaselineLearner clock', [
      {
        path: '',
        code: 'invalid_type',
        message: `expected epoch milliseconds between 1970 and 9999, received ${describeValue(now)}`,
      },
    ]);
  }

  /**
   * The agent's profile, refreshed when it is stale: when the events added since it was built reach
   * 10% of the window (at least 50), or the events of days that left the window reach 10% of it (a
   * day of a 30-day window is about 3%, so not every new day costs a refresh). Such a routine refresh runs
   * a step per call over the next few calls (the previous profile serves meanwhile), so no single
   * event pays for all of it. A forced refresh, a first profile, or feedback is built at once.
   */
  private profile(agentId: string, force: boolean): Profile | undefined {
    const history = this.agents.get(agentId);
    if (!history) return undefined;
    const cached = this.profiles.get(agentId);
    if (this.now) {
      const firstDay = this.currentDay(history, history.newestMs) - this.options.windowDays + 1;
      history.expire(firstDay);
    }
    const now = force || !cached || history.changes === Number.POSITIVE_INFINITY;
    let builder = this.refreshing.get(agentId);
    if (
      !now &&
      !builder &&
      history.changes < Math.max(REFRESH_MIN_EVENTS, REFRESH_SHARE * cached.eventCount) &&
      history.expiredEvents < REFRESH_SHARE * cached.eventCount
    ) {
      return cached;
    }
    history.totals ??= WindowTotals.of(history.buckets.values());
    if (now || !builder) {
      history.changes = 0;
      history.expiredEvents = 0;
      this.refreshing.delete(agentId);
      if (history.totals.events < this.options.minSamples) {
        this.profiles.delete(agentId);
        return undefined;
      }
      if (now) {
        const profile = buildProfile(agentId, history, history.totals, this.options.windowDays);
        this.profiles.set(agentId, profile);
        return profile;
      }
      builder = new ProfileBuilder(agentId, history, this.options.windowDays);
      this.refreshing.set(agentId, builder);
    }
    if (builder.step(history.totals)) {
      this.refreshing.delete(agentId);
      const profile = builder.finish();
      this.profiles.set(agentId, profile);
      return profile;
    }
    return cached;
  }

  private forgetProfile(agentId: string): void {
    this.profiles.delete(agentId);
    this.refreshing.delete(agentId);
  }

  private upperTail(x: number, summary: RobustSummary): number {
    return upperTail(x, summary, this.options.robust);
  }
}
