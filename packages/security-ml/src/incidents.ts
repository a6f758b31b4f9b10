// Incidents: the alerts of one agent that belong together, and campaigns across agents.
//
// An alert joins one of its agent's recent incidents when it is close to it in event time (within
// `gapMs`, by default the activity windows' hour, so an event flagged because the windows still hold
// an attack joins that attack's incident), or about the same thing (a destination, a path template,
// a tool, a catalogue entry) within `subjectWindowMs` (a day), or when it is a weak alert (up to
// `high`) and the incident is weak too (noise gathers with noise) within `weakWindowMs` (a week: an
// agent's stray statistical outliers make one incident a week, not one a day). An alert about what
// the event touched (a credential location, a file, an action, what was sent to a destination) never
// gathers into stray noise, and joins by subject only through what it touched, not its tool: it
// opens an incident of its own unless close in time, or brings its incident a new finding, which
// the incident reference reports. Otherwise it opens an incident.
//
// A campaign is the same unusual thing (a destination or location new to the agent, a never-used
// tool, a catalogue hit) at several agents within `campaignWindowMs`. Each agent's evidence is the
// tail of the dimension that found the thing unusual, flagged or not, so mild signals add up: the
// campaign's tail is Fisher's combination of the agents' tails, scored like an event's.
//
// Everything runs in event time and is bounded: a few recent incidents per agent, `maxIncidents` in
// all (the oldest closed ones go first), `maxEventIds` event ids per incident.
import { maxThreatLevel, parseOrThrow, type ThreatLevel, threatLevelRank } from '@harombe/models';
import { z } from 'zod';

/** Options of incident grouping (`ThreatDetectorOptions.incidents`). */
export interface IncidentOptions {
  /** An alert within this much event time of an agent's incident joins it. Default 1 hour. */
  gapMs?: number;
  /**
   * An alert about the same subject as an agent's incident joins it within this much; so does a weak
   * alert (up to `high`) a weak incident. Default 24 hours.
   */
  subjectWindowMs?: number;
  /**
   * A weak alert (up to `high`) joins its agent's weak incident within this much event time of it;
   * a weak incident stays open this long after its last alert. Default 7 days.
   */
  weakWindowMs?: number;
  /** How close in event time several agents' signals about one subject must be. Default 1 hour. */
  campaignWindowMs?: number;
  /** Agents needed for a campaign. Default 2. */
  campaignAgents?: number;
  /** A dimension's tail at or below this counts as a signal towards a campaign. Default 0.05. */
  signalTail?: number;
  /** Incidents kept in memory, agents' and campaigns' (the oldest closed ones are dropped). Default 10,000. */
  maxIncidents?: number;
  /** Event ids kept per incident (its alert count stays exact). Default 1,000. */
  maxEventIds?: number;
}

export const IncidentOptionsSchema = z
  .object({
    gapMs: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400_000)
      .default(3_600_000),
    subjectWindowMs: z
      .number()
      .int()
      .min(0)
      .max(30 * 86_400_000)
      .default(86_400_000),
    weakWindowMs: z
      .number()
      .int()
      .min(0)
      .max(30 * 86_400_000)
      .default(7 * 86_400_000),
    campaignWindowMs: z
      .number()
      .int()
      .min(0)
      .max(7 * 86_400_000)
      .default(3_600_000),
    campaignAgents: z.number().int().min(2).max(1000).default(2),
    signalTail: z.number().gt(0).lt(1).default(0.05),
    maxIncidents: z.number().int().min(1).max(10_000_000).default(10_000),
    maxEventIds: z.number().int().min(0).max(1_000_000).default(1_000),
  })
  .strict();
type ResolvedOptions = z.output<typeof IncidentOptionsSchema>;

/** An incident: alerts of one agent that belong together, or a campaign across agents. */
export interface Incident {
  readonly id: string;
  /** The agent (one), or the agents of a campaign. */
  readonly agentIds: string[];
  /** Event time of its first and last alert (or signal, for a campaign). */
  readonly firstSeen: Date;
  readonly lastSeen: Date;
  /** Alerts in it (a campaign: the signals of its agents, flagged or not). */
  readonly alerts: number;
  readonly peakLevel: ThreatLevel;
  /** The highest threat score among its alerts (a campaign: its combined score). */
  readonly peakScore: number;
  /** The smallest tail probability among its alerts (a campaign: the combined tail); ranks incidents. */
  readonly tailProbability: number;
  /** What it is about, in plain words, most serious first. */
  readonly reasons: string[];
  readonly campaign: boolean;
  /** `open` while alerts may still join it; `resolved` by an analyst. */
  readonly status: 'open' | 'closed' | 'resolved';
  /** Ids of its events (the first `maxEventIds`), in the order they joined. */
  readonly eventIds: string[];
  /** The destinations, path templates, tools and catalogue entries it is about. */
  readonly subjects: string[];
  /** A campaign: the agents' incidents it links. An agent's incident: the campaigns it belongs to. */
  readonly linked: string[];
}

/** Where an event stands to the incidents, as reported in its assessment. */
export interface IncidentRef {
  readonly id: string;
  /** The event opened the incident. */
  readonly opened: boolean;
  /** The event raised the incident's peak level (or opened it). */
  readonly escalated: boolean;
  /** The incident's peak level after the event. */
  readonly level: ThreatLevel;
  /**
   * The event joined an incident it did not open with a new finding about what it touched (a
   * credential location, a file, an action, what was sent to a destination, in words the incident
   * did not have yet): worth telling the analyst even when the level does not rise.
   */
  readonly finding: boolean;
}

/** Options of {@link IncidentTracker.list}. */
export interface IncidentQuery {
  /** Only incidents of (or campaigns including) this agent. */
  agentId?: string;
  /** Only incidents in this state. Default: all. */
  status?: 'open' | 'closed' | 'resolved';
  /** Only campaigns (`true`) or only agents' incidents (`false`). Default: both. */
  campaign?: boolean;
  /** Only incidents whose last alert is at or after this time. */
  since?: Date;
  /** At most this many (the most serious). Default: all. */
  limit?: number;
}

export const IncidentQuerySchema = z
  .object({
    agentId: z.string().optional(),
    status: z.enum(['open', 'closed', 'resolved']).optional(),
    campaign: z.boolean().optional(),
    since: z.date().optional(),
    limit: z.number().int().min(1).optional(),
  })
  .strict();

/** One alert, as the tracker sees it. */
export interface AlertFacts {
  readonly agentId: string;
  readonly at: number;
  readonly eventId: string | undefined;
  readonly score: number;
  readonly level: ThreatLevel;
  readonly tail: number;
  readonly reason: string;
  /** What the event is about: `destination x`, `location /a/b`, `tool t`, `catalogue ssh-key`. */
  readonly subjects: readonly string[];
  /**
   * The alert is about what the event touched (a credential location, a file, an action, what was
   * sent to a destination), not a statistical outlier: it never gathers into stray noise, its tool
   * alone does not relate it to an incident, and it tells its incident when it adds a finding.
   */
  readonly aboutContent?: boolean;
  /**
   * Whether the event's time may move the incidents' clock (`open`/`closed`, campaign windows): not
   * for an event stamped far ahead of its agent's clock, until later events confirm that time.
   */
  readonly clockConfirmed: boolean;
}

/** One agent's signal about a subject, towards a campaign. */
export interface Signal {
  readonly subject: string;
  readonly tail: number;
  readonly reason: string;
}

interface State {
  readonly id: string;
  readonly agentIds: string[];
  firstSeen: number;
  lastSeen: number;
  alerts: number;
  peakLevel: ThreatLevel;
  peakScore: number;
  tail: number;
  readonly reasons: string[];
  readonly campaign: boolean;
  resolved: boolean;
  readonly eventIds: string[];
  readonly subjects: string[];
  readonly linked: string[];
}

const MAX_REASONS = 8;
const MAX_SUBJECTS = 16;
/** An agent's incidents that alerts may still join (the most recent). */
const RECENT_PER_AGENT = 4;
/** Alerts up to this level join any weak incident of their agent within the weak window. */
const WEAK_LEVEL = threatLevelRank('high');
/** Subjects with recent signals kept before old ones are swept (then dropped, oldest first). */
const MAX_SUBJECT_SIGNALS = 4096;
/** A campaign's agents and an incident's links kept at most (memory stays bounded). */
const MAX_LISTED = 1000;

/** A stored agent's open incidents (in its threat-model artifact). */
const StoredIncidentSchema = z.object({
  id: z.string().min(1),
  firstSeen: z.number(),
  lastSeen: z.number(),
  alerts: z.number().int().min(0),
  peakLevel: z.enum(['none', 'low', 'medium', 'high', 'critical']),
  peakScore: z.number().min(0).max(1),
  tail: z.number().min(0).max(1),
  reasons: z.array(z.string()).max(MAX_REASONS),
  eventIds: z.array(z.string()),
  subjects: z.array(z.string()).max(MAX_SUBJECTS),
  linked: z.array(z.string()),
  resolved: z.boolean(),
});
export const StoredIncidentsSchema = z.array(StoredIncidentSchema).max(RECENT_PER_AGENT);
export type StoredIncidents = z.output<typeof StoredIncidentsSchema>;

/**
 * Fisher's combination of independent tail probabilities: the chance that as many independent
 * uniform tails have a product this small. For 2k degrees of freedom the chi-squared survival
 * function is e^(-x/2) * sum_{j<k} (x/2)^j / j!.
 */
export function fisherCombined(tails: readonly number[]): number {
  if (tails.length === 0) return 1;
  let half = 0;
  for (const p of tails) half -= Math.log(Math.max(p, Number.MIN_VALUE));
  // In logs (many agents, or tiny tails, would overflow the terms or underflow e^(-x/2)):
  // ln P = -x/2 + ln sum_j e^(j ln(x/2) - ln j!).
  const logHalf = Math.log(Math.max(half, Number.MIN_VALUE));
  let logTerm = 0;
  let logSum = 0;
  for (let j = 1; j < tails.length; j++) {
    logTerm += logHalf - Math.log(j);
    const high = Math.max(logSum, logTerm);
    logSum = high + Math.log(Math.exp(logSum - high) + Math.exp(logTerm - high));
  }
  const p = Math.exp(logSum - half);
  return Number.isFinite(p) ? Math.min(1, Math.max(p, MIN_COMBINED)) : MIN_COMBINED;
}

/** The smallest combined tail reported (as the detector's tails). */
const MIN_COMBINED = 1e-300;

function pushDistinct(list: string[], value: string, max: number): void {
  if (list.length < max && !list.includes(value)) list.push(value);
}

/** Scores a campaign's combined tail (the detector's calibration and levels). */
export type CampaignScorer = (tail: number) => { score: number; level: ThreatLevel; isThreat: boolean };

export class IncidentTracker {
  readonly options: ResolvedOptions;
  /** Every incident kept, in the order they were opened (a Map keeps it). */
  private readonly incidents = new Map<string, State>();
  /** Each agent's most recent incidents, newest last. */
  private readonly recent = new Map<string, State[]>();
  /** Signals per subject within the campaign window: agent → its strongest recent signal. */
  private readonly signals = new Map<
    string,
    Map<string, { at: number; tail: number; eventId: string | undefined }>
  >();
  /** The open campaign per subject. */
  private readonly campaigns = new Map<string, State>();
  /** Newest event time seen (what `open` is measured against). */
  private now = Number.NEGATIVE_INFINITY;
  private serial = 0;

  constructor(
    options: IncidentOptions | undefined,
    private readonly scoreCampaign: CampaignScorer,
  ) {
    this.options = parseOrThrow(IncidentOptionsSchema, options ?? {}, 'incident options');
  }

  /** Files an alert into its agent's incident, opening one when none fits. */
  alert(facts: AlertFacts): IncidentRef {
    if (facts.clockConfirmed && facts.at > this.now) this.now = facts.at;
    const o = this.options;
    const recent = this.recent.get(facts.agentId) ?? [];
    // The incident the alert belongs to, by the strongest reason: close in event time, then about
    // the same thing, then weak with weak (the most recent first within each).
    let target: State | undefined;
    let rank = 0;
    const weak = !facts.aboutContent && threatLevelRank(facts.level) <= WEAK_LEVEL;
    const related = facts.aboutContent
      ? facts.subjects.filter((s) => !s.startsWith('tool '))
      : facts.subjects;
    for (let i = recent.length - 1; i >= 0; i--) {
      const incident = recent[i]!;
      if (incident.resolved) continue;
      // Distance in event time to the incident's span (late events may fall inside it).
      const distance = Math.max(incident.firstSeen - facts.at, facts.at - incident.lastSeen, 0);
      let fit = 0;
      if (distance <= o.gapMs) fit = 3;
      else if (distance <= o.subjectWindowMs && related.some((s) => incident.subjects.includes(s))) fit = 2;
      // Noise gathers with noise: a serious incident takes in only what is close or related.
      else if (weak && distance <= o.weakWindowMs && threatLevelRank(incident.peakLevel) <= WEAK_LEVEL)
        fit = 1;
      if (fit > rank) {
        rank = fit;
        target = incident;
      }
    }
    const opened = target === undefined;
    if (target === undefined) {
      target = this.open(
        `${facts.agentId}/${new Date(facts.at).toISOString()}`,
        [facts.agentId],
        facts.at,
        false,
      );
      recent.push(target);
      if (recent.length > RECENT_PER_AGENT) recent.shift();
      this.recent.set(facts.agentId, recent);
      this.bound();
    }
    const before = target.alerts === 0 ? -1 : threatLevelRank(target.peakLevel);
    // A finding: words about what the event touched that the incident did not have (a full list of
    // reasons takes no more, so it announces none either).
    const finding =
      !opened &&
      facts.aboutContent === true &&
      target.reasons.length < MAX_REASONS &&
      !target.reasons.includes(facts.reason);
    this.add(
      target,
      facts.at,
      facts.score,
      facts.level,
      facts.tail,
      facts.reason,
      facts.eventId,
      facts.subjects,
    );
    return {
      id: target.id,
      opened,
      escalated: threatLevelRank(target.peakLevel) > before,
      level: target.peakLevel,
      finding,
    };
  }

  /**
   * Records an agent's signals about subjects (a destination new to it, ...), flagged or not, and
   * opens or grows the campaign of each subject that several agents now signal. `incidentId`: the
   * agent's incident the event joined, if any (the campaign links it). Returns the campaign the
   * event is part of (the most serious, if several), or `null`.
   */
  signal(
    agentId: string,
    at: number,
    eventId: string | undefined,
    signals: readonly Signal[],
    incidentId: string | undefined,
    clockConfirmed = true,
  ): IncidentRef | null {
    if (clockConfirmed && at > this.now) this.now = at;
    const o = this.options;
    let result: IncidentRef | null = null;
    for (const { subject, tail, reason } of signals) {
      let bySubject = this.signals.get(subject);
      if (bySubject === undefined) {
        if (this.signals.size >= MAX_SUBJECT_SIGNALS) {
          this.sweep();
          // Still full (all within the window): the subjects signalled first go (insertion order).
          for (const key of this.signals.keys()) {
            if (this.signals.size < MAX_SUBJECT_SIGNALS) break;
            this.signals.delete(key);
          }
        }
        bySubject = new Map();
        this.signals.set(subject, bySubject);
      }
      for (const [other, s] of bySubject)
        if (Math.abs(at - s.at) > o.campaignWindowMs) bySubject.delete(other);
      const earlier = bySubject.get(agentId);
      if (earlier === undefined || earlier.tail > tail) bySubject.set(agentId, { at, tail, eventId });
      if (bySubject.size < o.campaignAgents) continue;
      const combined = fisherCombined([...bySubject.values()].map((s) => s.tail));
      let campaign = this.campaigns.get(subject);
      if (campaign !== undefined && (campaign.resolved || at - campaign.lastSeen > o.campaignWindowMs))
        campaign = undefined;
      const verdict = this.scoreCampaign(combined);
      if (campaign === undefined && !verdict.isThreat) continue;
      const opened = campaign === undefined;
      const before = opened ? -1 : threatLevelRank(campaign!.peakLevel);
      if (campaign === undefined) {
        campaign = this.open(`campaign/${subject}/${new Date(at).toISOString()}`, [], at, true);
        this.campaigns.set(subject, campaign);
        this.bound();
        // The agents that signalled before this event, with their events.
        for (const [other, s] of bySubject) {
          pushDistinct(campaign.agentIds, other, MAX_LISTED);
          this.linkAgentIncident(campaign, other, s.at, subject);
          if (other === agentId) continue;
          this.add(campaign, s.at, 0, 'none', 1, reason, s.eventId, [subject]);
        }
      } else {
        pushDistinct(campaign.agentIds, agentId, MAX_LISTED);
      }
      if (incidentId !== undefined) this.link(campaign, this.incidents.get(incidentId));
      this.add(campaign, at, verdict.score, verdict.level, combined, `${reason} at several agents`, eventId, [
        subject,
      ]);
      const escalated = threatLevelRank(campaign.peakLevel) > before;
      if (result === null || escalated)
        result = { id: campaign.id, opened, escalated, level: campaign.peakLevel, finding: false };
    }
    return result;
  }

  /** Drops signals and campaigns older than the campaign window (bounds memory). */
  private sweep(): void {
    const horizon = this.now - this.options.campaignWindowMs;
    for (const [subject, bySubject] of this.signals) {
      for (const [agentId, s] of bySubject) if (s.at < horizon) bySubject.delete(agentId);
      if (bySubject.size === 0) this.signals.delete(subject);
    }
    for (const [subject, campaign] of this.campaigns)
      if (campaign.lastSeen < horizon) this.campaigns.delete(subject);
  }

  /** Incidents, most serious first (smallest tail, then the latest). */
  list(query: IncidentQuery = {}): Incident[] {
    const out: Incident[] = [];
    for (const state of this.incidents.values()) {
      if (query.agentId !== undefined && !state.agentIds.includes(query.agentId)) continue;
      if (query.campaign !== undefined && state.campaign !== query.campaign) continue;
      if (query.since !== undefined && state.lastSeen < query.since.getTime()) continue;
      const status = this.statusOf(state);
      if (query.status !== undefined && status !== query.status) continue;
      out.push(this.view(state, status));
    }
    out.sort((a, b) => a.tailProbability - b.tailProbability || b.lastSeen.getTime() - a.lastSeen.getTime());
    return query.limit === undefined ? out : out.slice(0, query.limit);
  }

  get(id: string): Incident | undefined {
    const state = this.incidents.get(id);
    return state && this.view(state, this.statusOf(state));
  }

  /** Marks an incident resolved: later alerts open a new one. Returns whether it exists. */
  resolve(id: string): boolean {
    const state = this.incidents.get(id);
    if (state === undefined) return false;
    state.resolved = true;
    return true;
  }

  /** The agent's recent incidents, for its stored model. */
  exportAgent(agentId: string): StoredIncidents {
    return (this.recent.get(agentId) ?? []).map((s) => ({
      id: s.id,
      firstSeen: s.firstSeen,
      lastSeen: s.lastSeen,
      alerts: s.alerts,
      peakLevel: s.peakLevel,
      peakScore: s.peakScore,
      tail: s.tail,
      reasons: [...s.reasons],
      eventIds: [...s.eventIds],
      subjects: [...s.subjects],
      linked: [...s.linked],
      resolved: s.resolved,
    }));
  }

  /** Restores an agent's recent incidents from its stored model (replacing what memory holds). */
  importAgent(agentId: string, stored: StoredIncidents): void {
    this.deleteAgent(agentId);
    const recent: State[] = [];
    for (const s of stored) {
      const state: State = {
        ...s,
        agentIds: [agentId],
        campaign: false,
        reasons: [...s.reasons],
        eventIds: s.eventIds.slice(0, this.options.maxEventIds),
        subjects: [...s.subjects],
        linked: [...s.linked],
      };
      this.incidents.delete(state.id);
      this.incidents.set(state.id, state);
      recent.push(state);
      if (state.lastSeen > this.now) this.now = state.lastSeen;
    }
    if (recent.length) this.recent.set(agentId, recent);
    this.bound();
  }

  /** Forgets the agent's recent incidents (it was evicted or retrained); listed ones stay listed. */
  deleteAgent(agentId: string): void {
    this.recent.delete(agentId);
  }

  /** How long after its last alert an agent's incident may still take alerts (the longest case). */
  get windowMs(): number {
    const o = this.options;
    return Math.max(o.gapMs, o.subjectWindowMs, o.weakWindowMs);
  }

  private statusOf(state: State): Incident['status'] {
    if (state.resolved) return 'resolved';
    const o = this.options;
    const window = state.campaign
      ? o.campaignWindowMs
      : Math.max(
          o.gapMs,
          o.subjectWindowMs,
          threatLevelRank(state.peakLevel) <= WEAK_LEVEL ? o.weakWindowMs : 0,
        );
    return this.now - state.lastSeen <= window ? 'open' : 'closed';
  }

  private view(state: State, status: Incident['status']): Incident {
    return {
      id: state.id,
      agentIds: [...state.agentIds],
      firstSeen: new Date(state.firstSeen),
      lastSeen: new Date(state.lastSeen),
      alerts: state.alerts,
      peakLevel: state.peakLevel,
      peakScore: state.peakScore,
      tailProbability: state.tail,
      reasons: [...state.reasons],
      campaign: state.campaign,
      status,
      eventIds: [...state.eventIds],
      subjects: [...state.subjects],
      linked: [...state.linked],
    };
  }

  private open(base: string, agentIds: string[], at: number, campaign: boolean): State {
    let id = base;
    while (this.incidents.has(id)) id = `${base}#${++this.serial}`;
    const state: State = {
      id,
      agentIds,
      firstSeen: at,
      lastSeen: at,
      alerts: 0,
      peakLevel: 'none',
      peakScore: 0,
      tail: 1,
      reasons: [],
      campaign,
      resolved: false,
      eventIds: [],
      subjects: [],
      linked: [],
    };
    this.incidents.set(id, state);
    return state;
  }

  private add(
    state: State,
    at: number,
    score: number,
    level: ThreatLevel,
    tail: number,
    reason: string,
    eventId: string | undefined,
    subjects: readonly string[],
  ): void {
    state.alerts++;
    if (at < state.firstSeen) state.firstSeen = at;
    if (at > state.lastSeen) state.lastSeen = at;
    state.peakLevel = maxThreatLevel(state.peakLevel, level);
    if (score > state.peakScore) state.peakScore = score;
    if (tail < state.tail) {
      state.tail = tail;
      // The most serious reason first.
      const i = state.reasons.indexOf(reason);
      if (i > 0) state.reasons.splice(i, 1);
      if (i !== 0) state.reasons.unshift(reason);
      if (state.reasons.length > MAX_REASONS) state.reasons.pop();
    } else {
      pushDistinct(state.reasons, reason, MAX_REASONS);
    }
    if (eventId !== undefined && state.eventIds.length < this.options.maxEventIds)
      state.eventIds.push(eventId);
    for (const subject of subjects) pushDistinct(state.subjects, subject, MAX_SUBJECTS);
  }

  /** Links the agent's incident about `subject` near `at` (if any) to the campaign. */
  private linkAgentIncident(campaign: State, agentId: string, at: number, subject: string): void {
    for (const incident of this.recent.get(agentId) ?? []) {
      if (
        incident.subjects.includes(subject) &&
        Math.abs(incident.lastSeen - at) <= this.options.subjectWindowMs
      )
        this.link(campaign, incident);
    }
  }

  private link(campaign: State, incident: State | undefined): void {
    if (incident === undefined || incident.campaign) return;
    pushDistinct(campaign.linked, incident.id, MAX_LISTED);
    pushDistinct(incident.linked, campaign.id, MAX_LISTED);
  }

  /** Drops the oldest incidents no agent can still join once there are more than `maxIncidents`. */
  private bound(): void {
    if (this.incidents.size <= this.options.maxIncidents) return;
    for (const [id, state] of this.incidents) {
      if (this.incidents.size <= this.options.maxIncidents) break;
      if (
        state.campaign
          ? this.campaigns.get(state.subjects[0] ?? '') === state
          : this.recent.get(state.agentIds[0]!)?.includes(state)
      )
        continue;
      this.incidents.delete(id);
    }
    // Still too many (every kept one is recent): drop the oldest anyway, and let no alert join it.
    for (const [id, state] of this.incidents) {
      if (this.incidents.size <= this.options.maxIncidents) break;
      this.incidents.delete(id);
      if (state.campaign) {
        for (const [subject, campaign] of this.campaigns)
          if (campaign === state) this.campaigns.delete(subject);
      } else {
        const recent = this.recent.get(state.agentIds[0]!);
        const at = recent?.indexOf(state) ?? -1;
        if (at >= 0) recent!.splice(at, 1);
      }
    }
  }
}
