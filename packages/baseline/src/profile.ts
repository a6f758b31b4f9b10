// The statistics a baseline scores against, computed from an agent's window totals: temporal
// p-values per hour-of-week slot, rarity p-values of event types and tools, robust location and
// scale of resources, durations and hourly rates, and the error rate. The spec's report of the
// window (moments, shares, events per hour) is computed from the day buckets when first read.
import type { BehavioralBaseline, StatisticSummary } from '@harombe/models';
import { type AgentHistory, DAY_MS, NO_TOOL } from './agent-history.js';
import {
  type DenseHistogram,
  MergedDistribution,
  type RobustSummary,
  robustSummary,
} from './distribution.js';
import { SLOTS, WindowTotals } from './window-totals.js';

/** Probability floor per empty hour-of-week slot, relative to one event. */
const SLOT_FLOOR = 1e-5;
/** Laplace pseudo-count for event types and tools (including the unseen category). */
const CATEGORY_ALPHA = 0.1;

/** Rarity p-values of categories: P(a category at most as likely as this one). */
export interface CategoryProfile {
  readonly pValues: ReadonlyMap<string, number>;
  readonly unseen: number;
  readonly shares: Record<string, number>;
}

export interface Profile {
  readonly eventCount: number;
  /** Per hour-of-week slot (0 = Monday 00:00): probability mass of slots no more likely than it. */
  readonly slotPValues: readonly number[];
  readonly eventTypes: CategoryProfile;
  readonly tools: CategoryProfile;
  readonly resourceCount: RobustSummary;
  readonly duration: RobustSummary;
  /** Per tool with enough observations (>= TOOL_MIN): its own duration and resource summaries. */
  readonly toolDuration: ReadonlyMap<string, RobustSummary>;
  readonly toolResource: ReadonlyMap<string, RobustSummary>;
  /** Calls in the trailing hour, as events saw them (ln(1 + x) space). */
  readonly rate: RobustSummary;
  /** Calls in the trailing 5 minutes, as events saw them. */
  readonly burst: RobustSummary;
  /** Smoothed error rate. */
  readonly errorRate: number;
  /** The spec's report of the window, computed on first read (scoring does not need it). */
  readonly baseline: BehavioralBaseline;
}

/** The parts of a profile that scoring reads. */
type ScoringParts = Omit<Profile, 'baseline'>;
type Draft = { -readonly [K in keyof ScoringParts]?: ScoringParts[K] };

/** The steps of a profile build, each on the window's totals as they are when it runs. */
const STEPS: readonly ((draft: Draft, totals: WindowTotals) => void)[] = [
  (draft, totals) => {
    draft.slotPValues = temporalPValues(totals.slots, marginals(totals.slots));
  },
  (draft, totals) => {
    draft.eventCount = totals.events;
    draft.errorRate = (totals.failures + 0.5) / (totals.events + 1);
    draft.eventTypes = categoryProfile(totals.eventTypes);
    draft.tools = categoryProfile(totals.tools);
    draft.resourceCount = robustSummary(totals.resourceCount);
    draft.duration = robustSummary(totals.duration);
  },
  (draft, totals) => {
    draft.rate = robustSummary(totals.trailingCalls);
    draft.burst = robustSummary(totals.trailingBurst);
  },
  (draft, totals) => {
    draft.toolDuration = robustPerTool(totals.toolDurations);
    draft.toolResource = robustPerTool(totals.toolResources);
  },
];

/**
 * Builds a profile step by step, so that a routine refresh can be spread over a few events instead
 * of one event paying for all of it (each step reads the totals as they are then).
 */
export class ProfileBuilder {
  private readonly draft: Draft = {};
  private next = 0;

  constructor(
    private readonly agentId: string,
    private readonly history: AgentHistory,
    private readonly windowDays: number,
  ) {}

  /** Runs the next step; true when every step has run. */
  step(totals: WindowTotals): boolean {
    STEPS[this.next++]!(this.draft, totals);
    return this.next === STEPS.length;
  }

  /** The finished profile (after the last step). */
  finish(): Profile {
    const { agentId, history, windowDays } = this;
    const d = this.draft as ScoringParts;
    let report: BehavioralBaseline | undefined;
    // A literal of fixed shape (a spread with a getter would make a slower dictionary object).
    return {
      eventCount: d.eventCount,
      slotPValues: d.slotPValues,
      eventTypes: d.eventTypes,
      tools: d.tools,
      resourceCount: d.resourceCount,
      duration: d.duration,
      toolDuration: d.toolDuration,
      toolResource: d.toolResource,
      rate: d.rate,
      burst: d.burst,
      errorRate: d.errorRate,
      get baseline() {
        report ??= describeWindow(agentId, history, windowDays);
        return report;
      },
    };
  }
}

/** A whole profile at once, from the window's totals (see {@link WindowTotals}). */
export function buildProfile(
  agentId: string,
  history: AgentHistory,
  totals: WindowTotals,
  windowDays: number,
): Profile {
  const builder = new ProfileBuilder(agentId, history, windowDays);
  while (!builder.step(totals));
  return builder.finish();
}

/** The spec's `BehavioralBaseline` of the agent's window: shares, moments and robust summaries. */
function describeWindow(agentId: string, history: AgentHistory, windowDays: number): BehavioralBaseline {
  const slotWeights = new Float64Array(SLOTS);
  const resource = new MergedDistribution();
  const duration = new MergedDistribution();
  const activeHours: number[] = [];
  let events = 0;
  let failures = 0;
  let firstMs = Number.POSITIVE_INFINITY;
  // In day order, so the floating-point moments do not depend on the order days were first seen.
  const buckets = Array.from(history.buckets.values()).sort((a, b) => a.day - b.day);
  for (const bucket of buckets) {
    const base = bucket.weekday * 24;
    for (let h = 0; h < 24; h++) {
      slotWeights[base + h]! += bucket.slots[h]!;
      if (bucket.activity[h]! > 0) activeHours.push(Math.log1p(bucket.activity[h]!));
    }
    resource.merge(bucket.resourceCount);
    duration.merge(bucket.duration);
    events += bucket.events;
    failures += bucket.failures;
    firstMs = Math.min(firstMs, bucket.firstMs);
  }
  const totals = WindowTotals.of(buckets);
  const marginal = marginals(slotWeights);
  const normalise = (values: readonly number[]) =>
    Array.from(values, (v) => (marginal.total > 0 ? v / marginal.total : 0));
  return {
    agentId,
    pattern: {
      agentId,
      hourlyDistribution: normalise(marginal.hour),
      dailyDistribution: normalise(marginal.day),
      resourceCount: summary(resource, robustSummary(resource)),
      durationMs: summary(duration, robustSummary(duration)),
      eventTypeFrequencies: categoryProfile(totals.eventTypes).shares,
      toolFrequencies: categoryProfile(totals.tools).shares,
      eventsPerHour: meanPerActiveHour(activeHours),
      errorRate: events > 0 ? failures / events : 0,
    },
    eventCount: events,
    firstSeen: new Date(Number.isFinite(firstMs) ? firstMs : history.newestMs),
    lastUpdated: new Date(history.newestMs),
    windowDays,
  };
}

interface Marginals {
  /** Weight per hour of day, per day of week, and in all. */
  readonly hour: number[];
  readonly day: number[];
  readonly total: number;
}

/**
 * The marginals of hour-of-week weights. Small scratch arrays here and below are plain arrays: a
 * typed array of this size is allocated outside the heap, several times dearer, and profiles are
 * rebuilt while events are being scored.
 */
function marginals(weights: Float64Array): Marginals {
  const hour = zeros(24);
  const day = zeros(7);
  let total = 0;
  for (let d = 0, s = 0; d < 7; d++) {
    for (let h = 0; h < 24; h++, s++) {
      hour[h]! += weights[s]!;
      day[d]! += weights[s]!;
      total += weights[s]!;
    }
  }
  return { hour, day, total };
}

/**
 * Smooths slot weights (half weight to each neighbouring hour; a blend with the product of the
 * hour-of-day and day-of-week marginals, which carries sparse histories) and returns, per slot, the
 * probability mass of all slots no more likely than it: the p-value of seeing an event there.
 */
function temporalPValues(weights: Float64Array, marginal: Marginals): number[] {
  const { hour: hourMarginal, day: dayMarginal, total } = marginal;
  // The joint profile earns trust as data accumulates: with 5 events per slot on average, half.
  const trust = total / (total + 5 * SLOTS);
  const probability = zeros(SLOTS);
  let sum = 0;
  for (let d = 0, s = 0; d < 7; d++) {
    for (let h = 0; h < 24; h++, s++) {
      const previous = s === 0 ? SLOTS - 1 : s - 1;
      const next = s === SLOTS - 1 ? 0 : s + 1;
      const joint = weights[s]! + 0.5 * (weights[previous]! + weights[next]!);
      const product = total > 0 ? (hourMarginal[h]! * dayMarginal[d]!) / total : 0;
      const value = trust * (joint / 2) + (1 - trust) * product + SLOT_FLOOR;
      probability[s] = value;
      sum += value;
    }
  }
  for (let s = 0; s < SLOTS; s++) probability[s]! /= sum;
  return massAtOrBelow(probability);
}

/**
 * For each entry, the sum of all entries <= it (ties included). A native sort of the values (no
 * comparator), cumulative mass per group of equal values, then a binary search per entry.
 */
function massAtOrBelow(probability: readonly number[]): number[] {
  const n = probability.length;
  const sorted = Float64Array.from(probability).sort();
  const through = zeros(n);
  let cumulative = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    let tied = 0;
    while (j < n && sorted[j] === sorted[i]) tied += sorted[j++]!;
    cumulative += tied;
    for (let k = i; k < j; k++) through[k] = cumulative;
    i = j;
  }
  const out = zeros(n);
  for (let s = 0; s < n; s++) {
    const value = probability[s]!;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! <= value) lo = mid + 1;
      else hi = mid;
    }
    out[s] = through[lo - 1]!;
  }
  return out;
}

/** A packed array of `n` zeros (holding doubles once written: no holes, no typed-array allocation). */
function zeros(n: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push(0);
  return out;
}

/** Observations a tool needs before its own distribution is used. */
export const TOOL_MIN = 20;

function robustPerTool(histograms: ReadonlyMap<string, DenseHistogram>): Map<string, RobustSummary> {
  const out = new Map<string, RobustSummary>();
  for (const [key, histogram] of histograms) {
    if (histogram.total >= TOOL_MIN) out.set(key, robustSummary(histogram));
  }
  return out;
}

function categoryProfile(counts: Map<string, number>): CategoryProfile {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const denominator = total + CATEGORY_ALPHA * (counts.size + 1);
  const keys = [...counts.keys()];
  const probability = zeros(keys.length + 1);
  keys.forEach((key, i) => {
    probability[i] = (counts.get(key)! + CATEGORY_ALPHA) / denominator;
  });
  probability[keys.length] = CATEGORY_ALPHA / denominator;
  const mass = massAtOrBelow(probability);
  const pValues = new Map<string, number>();
  const shares: Record<string, number> = {};
  keys.forEach((key, i) => {
    pValues.set(key, mass[i]!);
    if (key !== '__proto__') shares[key] = total > 0 ? counts.get(key)! / total : 0;
  });
  return { pValues, unseen: mass[keys.length]!, shares };
}

/** Mean events per hour over the hours with any activity (given as ln(1 + count)). */
function meanPerActiveHour(logCounts: number[]): number {
  return logCounts.length ? logCounts.reduce((a, b) => a + Math.expm1(b), 0) / logCounts.length : 0;
}

function summary(distribution: MergedDistribution, robust: RobustSummary): StatisticSummary {
  if (distribution.count === 0) return { count: 0, mean: 0, std: 0, median: 0, mad: 0, min: 0, max: 0 };
  const median = Math.expm1(robust.logMedian);
  return {
    count: Math.round(distribution.count),
    mean: distribution.mean,
    std: Math.sqrt(distribution.variance),
    median,
    mad: Math.max(0, Math.expm1(robust.logMedian + robust.logMad) - median),
    min: distribution.min,
    max: distribution.max,
  };
}

export { DAY_MS, NO_TOOL };
