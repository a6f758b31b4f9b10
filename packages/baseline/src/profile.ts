// The statistics a baseline scores against, computed from an agent's day buckets: temporal
// p-values per hour-of-week slot, rarity p-values of event types and tools, robust location and
// scale of resources, durations and hourly rates, and the error rate.
import type { BehavioralBaseline, StatisticSummary } from '@harombe/models';
import { type AgentHistory, DAY_MS, NO_TOOL } from './agent-history.js';
import { type Distribution, MergedDistribution, type RobustSummary, robustSummary } from './distribution.js';

const SLOTS = 168;
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
  readonly slotPValues: Float64Array;
  readonly hourlyDistribution: number[];
  readonly dailyDistribution: number[];
  readonly eventTypes: CategoryProfile;
  readonly tools: CategoryProfile;
  readonly resourceCount: RobustSummary & { readonly count: number };
  readonly duration: RobustSummary & { readonly count: number };
  /** Per tool with enough observations (>= TOOL_MIN): its own duration and resource summaries. */
  readonly toolDuration: ReadonlyMap<string, RobustSummary>;
  readonly toolResource: ReadonlyMap<string, RobustSummary>;
  /** Calls in the trailing hour, as events saw them (ln(1 + x) space). */
  readonly rate: RobustSummary & { readonly meanPerHour: number };
  /** Calls in the trailing 5 minutes, as events saw them. */
  readonly burst: RobustSummary;
  /** Smoothed error rate. */
  readonly errorRate: number;
  readonly baseline: BehavioralBaseline;
}

export function buildProfile(agentId: string, history: AgentHistory, windowDays: number): Profile {
  const slotWeights = new Float64Array(SLOTS);
  const typeCounts = new Map<string, number>();
  const toolCounts = new Map<string, number>();
  const resource = new MergedDistribution();
  const duration = new MergedDistribution();
  const trailingCalls = new MergedDistribution();
  const trailingBurst = new MergedDistribution();
  const toolDurations = new Map<string, MergedDistribution>();
  const toolResources = new Map<string, MergedDistribution>();
  const activeHours: number[] = [];
  let events = 0;
  let failures = 0;
  let firstMs = Number.POSITIVE_INFINITY;
  for (const bucket of history.buckets.values()) {
    for (let h = 0; h < 24; h++) {
      slotWeights[bucket.weekday * 24 + h]! += bucket.slots[h]!;
      if (bucket.activity[h]! > 0) activeHours.push(Math.log1p(bucket.activity[h]!));
    }
    for (const [key, n] of bucket.eventTypes) typeCounts.set(key, (typeCounts.get(key) ?? 0) + n);
    for (const [key, n] of bucket.tools) toolCounts.set(key, (toolCounts.get(key) ?? 0) + n);
    resource.merge(bucket.resourceCount);
    duration.merge(bucket.duration);
    trailingCalls.merge(bucket.trailingCalls);
    trailingBurst.merge(bucket.trailingBurst);
    mergeInto(toolDurations, bucket.toolDurations);
    mergeInto(toolResources, bucket.toolResources);
    events += bucket.events;
    failures += bucket.failures;
    firstMs = Math.min(firstMs, bucket.firstMs);
  }
  const slotPValues = temporalPValues(slotWeights);
  const hourly = new Array<number>(24).fill(0);
  const daily = new Array<number>(7).fill(0);
  let weightTotal = 0;
  for (let s = 0; s < SLOTS; s++) {
    hourly[s % 24]! += slotWeights[s]!;
    daily[Math.floor(s / 24)]! += slotWeights[s]!;
    weightTotal += slotWeights[s]!;
  }
  const normalise = (values: number[]) => values.map((v) => (weightTotal > 0 ? v / weightTotal : 0));
  const eventTypes = categoryProfile(typeCounts);
  const tools = categoryProfile(toolCounts);
  const rate = { ...robustSummary(trailingCalls), meanPerHour: meanPerActiveHour(activeHours) };
  const resourceSummary = robustSummary(resource);
  const durationSummary = robustSummary(duration);
  const errorRate = (failures + 0.5) / (events + 1);
  const pattern = {
    agentId,
    hourlyDistribution: normalise(hourly),
    dailyDistribution: normalise(daily),
    resourceCount: summary(resource, resourceSummary),
    durationMs: summary(duration, durationSummary),
    eventTypeFrequencies: eventTypes.shares,
    toolFrequencies: tools.shares,
    eventsPerHour: rate.meanPerHour,
    errorRate: events > 0 ? failures / events : 0,
  };
  return {
    eventCount: events,
    slotPValues,
    hourlyDistribution: pattern.hourlyDistribution,
    dailyDistribution: pattern.dailyDistribution,
    eventTypes,
    tools,
    resourceCount: { ...resourceSummary, count: resource.count },
    duration: { ...durationSummary, count: duration.count },
    toolDuration: robustPerTool(toolDurations),
    toolResource: robustPerTool(toolResources),
    rate,
    burst: robustSummary(trailingBurst),
    errorRate,
    baseline: {
      agentId,
      pattern,
      eventCount: events,
      firstSeen: new Date(Number.isFinite(firstMs) ? firstMs : history.newestMs),
      lastUpdated: new Date(history.newestMs),
      windowDays,
    },
  };
}

/**
 * Smooths slot weights (half weight to each neighbouring hour; a blend with the product of the
 * hour-of-day and day-of-week marginals, which carries sparse histories) and returns, per slot, the
 * probability mass of all slots no more likely than it: the p-value of seeing an event there.
 */
function temporalPValues(weights: Float64Array): Float64Array {
  const total = weights.reduce((a, b) => a + b, 0);
  const hourMarginal = new Float64Array(24);
  const dayMarginal = new Float64Array(7);
  for (let s = 0; s < SLOTS; s++) {
    hourMarginal[s % 24]! += weights[s]!;
    dayMarginal[Math.floor(s / 24)]! += weights[s]!;
  }
  // The joint profile earns trust as data accumulates: with 5 events per slot on average, half.
  const trust = total / (total + 5 * SLOTS);
  const probability = new Float64Array(SLOTS);
  let sum = 0;
  for (let s = 0; s < SLOTS; s++) {
    const joint = weights[s]! + 0.5 * (weights[(s + SLOTS - 1) % SLOTS]! + weights[(s + 1) % SLOTS]!);
    const product = total > 0 ? (hourMarginal[s % 24]! * dayMarginal[Math.floor(s / 24)]!) / total : 0;
    const value = trust * (joint / 2) + (1 - trust) * product + SLOT_FLOOR;
    probability[s] = value;
    sum += value;
  }
  for (let s = 0; s < SLOTS; s++) probability[s]! /= sum;
  return massAtOrBelow(probability);
}

/** For each entry, the sum of all entries <= it (ties included). */
function massAtOrBelow(probability: Float64Array): Float64Array {
  const order = Array.from(probability.keys()).sort((a, b) => probability[a]! - probability[b]!);
  const out = new Float64Array(probability.length);
  let cumulative = 0;
  let i = 0;
  while (i < order.length) {
    let j = i;
    let tied = 0;
    while (j < order.length && probability[order[j]!] === probability[order[i]!])
      tied += probability[order[j++]!]!;
    cumulative += tied;
    for (let k = i; k < j; k++) out[order[k]!] = cumulative;
    i = j;
  }
  return out;
}

/** Observations a tool needs before its own distribution is used. */
export const TOOL_MIN = 20;

function mergeInto(target: Map<string, MergedDistribution>, source: ReadonlyMap<string, Distribution>): void {
  for (const [key, distribution] of source) {
    let merged = target.get(key);
    if (!merged) {
      merged = new MergedDistribution();
      target.set(key, merged);
    }
    merged.merge(distribution);
  }
}

function robustPerTool(distributions: Map<string, MergedDistribution>): Map<string, RobustSummary> {
  const out = new Map<string, RobustSummary>();
  for (const [key, distribution] of distributions) {
    if (distribution.count >= TOOL_MIN) out.set(key, robustSummary(distribution));
  }
  return out;
}

function categoryProfile(counts: Map<string, number>): CategoryProfile {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  const denominator = total + CATEGORY_ALPHA * (counts.size + 1);
  const keys = [...counts.keys()];
  const probability = new Float64Array(keys.length + 1);
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
