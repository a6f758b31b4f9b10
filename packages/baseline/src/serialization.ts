// The learner as versioned JSON: options and, per agent, its day buckets, last-hour counters and
// quarantined events. Agent ids are values, never object keys.
import { AgentIdSchema, readTagged, safeParseSecurityEvent } from '@harombe/models';
import { z } from 'zod';
import { AgentHistory, type HeldEvent } from './agent-history.js';
import {
  type Behaviour,
  FadingHistogram,
  MAX_HOUR_CALLS,
  NOVELTY_KINDS,
  type NoveltyKind,
  SUMMARY_REFRESH,
  type ValueStats,
} from './behaviour.js';
import { DayBucket } from './day-bucket.js';
import { binOf, Distribution } from './distribution.js';
import { baselineModelError } from './errors.js';
import { BaselineLearnerOptionsSchema, type ResolvedBaselineOptions } from './options.js';

export const BASELINE_FORMAT = 'harombe.baseline';
export const BASELINE_FORMAT_VERSION = 2;

const counts = z.array(z.tuple([z.string(), z.number().positive()]));

/**
 * The highest histogram bin a value can fall in (the largest finite double's). Values are counts and
 * durations, never negative, so bins run from 0 to this. A forged bin beyond it would size the dense
 * histograms a profile sums the days into (a bin of 10^9 is 8 GB and seconds of scanning).
 */
const MAX_BIN = binOf(Number.MAX_VALUE);

/** Per bin, the check (below) that last saw it: duplicates are found in one pass, without allocating. */
const seenIn = new Uint32Array(MAX_BIN + 1);
let check = 0;

/**
 * Flat [bin, weight, bin, weight, ...] (fewer objects to validate and allocate than pairs): whole bins
 * in 0..MAX_BIN, each at most once (as written), and positive weights. Distinct bins also let a
 * histogram be restored in one pass; duplicates would cost a scan per bin.
 */
const BinsSchema = z.array(z.number()).superRefine((flat, context) => {
  if (flat.length % 2 !== 0) {
    context.addIssue({ code: 'custom', message: 'expected [bin, weight, ...] pairs, found an odd length' });
    return;
  }
  check = check === 0xffffffff ? 1 : check + 1;
  if (check === 1) seenIn.fill(0);
  for (let i = 0; i < flat.length; i += 2) {
    const bin = flat[i]!;
    const weight = flat[i + 1]!;
    let problem: string | undefined;
    if (!Number.isInteger(bin) || bin < 0 || bin > MAX_BIN) {
      problem = `expected a whole bin in 0..${MAX_BIN}, received ${bin}`;
    } else if (seenIn[bin] === check) {
      problem = `bin ${bin} appears twice`;
    } else if (!(weight > 0)) {
      problem = `expected a positive weight for bin ${bin}, received ${weight}`;
    }
    if (problem !== undefined) {
      context.addIssue({ code: 'custom', message: problem, path: [i] });
      return;
    }
    seenIn[bin] = check;
  }
});

const DistributionSchema = z.object({
  count: z.number().min(0),
  mean: z.number(),
  variance: z.number().min(0),
  min: z.number().nullable(),
  max: z.number().nullable(),
  bins: BinsSchema,
});
const BucketSchema = z.object({
  day: z.number().int(),
  weekday: z.number().int().min(0).max(6),
  activity: z.array(z.number().min(0)).length(24),
  slots: z.array(z.number().min(0)).length(24),
  eventTypes: counts,
  tools: counts,
  resourceCount: DistributionSchema,
  duration: DistributionSchema,
  toolDurations: z.array(z.tuple([z.string(), DistributionSchema])).default([]),
  toolResources: z.array(z.tuple([z.string(), DistributionSchema])).default([]),
  trailingCalls: DistributionSchema.optional(),
  trailingBurst: DistributionSchema.optional(),
  events: z.number().min(0),
  failures: z.number().min(0),
  firstMs: z.number().nullable(),
});
/** [value, learned, first ms, last ms] */
const ValuesSchema = z.array(z.tuple([z.string(), z.number().min(0), z.number(), z.number()]));
/** A histogram: [bin, weight, ...], and the bins added since its cached summary (null: none cached). */
const FadingSchema = z.tuple([
  BinsSchema,
  z.array(z.number().int().min(0).max(MAX_BIN)).max(SUMMARY_REFRESH).nullable(),
]);
const HistogramsSchema = z.array(z.tuple([z.string(), FadingSchema]));
const BehaviourSchema = z.object({
  startMs: z.number().nullable(),
  learnedSinceSweep: z.number().int().min(0),
  destinations: ValuesSchema,
  places: ValuesSchema,
  sensitiveFiles: ValuesSchema,
  verbs: ValuesSchema,
  /** [key, events, novel] */
  /** [kind, tool (null: pooled over tools), events, novel] */
  novelty: z.array(
    z.tuple([
      z.enum(NOVELTY_KINDS as [NoveltyKind, ...NoveltyKind[]]),
      z.string().nullable(),
      z.number().min(0),
      z.number().min(0),
    ]),
  ),
  /** [tool, counter, histogram] */
  counters: z.array(z.tuple([z.string(), z.string(), FadingSchema])),
  /** [tool, histogram of bytes sent per call] */
  outbound: HistogramsSchema,
  destinationHours: HistogramsSchema,
  /** [tool, histogram of bytes per hour to young destinations] (absent in artifacts before it). */
  youngHours: HistogramsSchema.default([]),
  /** [tool, destination, histogram of bytes per hour to it] (absent in artifacts before it). */
  ownHours: z.array(z.tuple([z.string(), z.string(), FadingSchema])).default([]),
  /** [tool, histogram of the concentration of its calls on their destination] (absent before it). */
  concentrations: HistogramsSchema.default([]),
  /** [tool, its learned calls to destinations, times of its calls to them in the last hour] (absent before it). */
  toolCalls: z
    .array(z.tuple([z.string(), z.number().min(0), z.array(z.number().finite()).max(MAX_HOUR_CALLS)]))
    .default([]),
  periodCalls: z.array(FadingSchema).length(8),
  periodBurst: z.array(FadingSchema).length(8),
  /** [destination, [time ms, bytes, time ms, bytes, ...]] of the last hour. */
  recentBytes: z.array(z.tuple([z.string(), z.array(z.number())])),
});
const AgentSchema = z.object({
  agentId: AgentIdSchema,
  timeZone: z.string().optional(),
  newestMs: z.number().nullable(),
  buckets: z.array(BucketSchema),
  recent: z.array(z.tuple([z.number(), z.number().min(0), z.number().min(0)])).max(60),
  quarantined: z.array(z.string()),
  behaviour: BehaviourSchema,
  /**
   * Events stamped ahead of the agent's clock, held until their time is confirmed (absent: none):
   * [time ms, event type, tool, resource count, duration ms, success, event id, learn].
   */
  held: z
    .array(
      z.tuple([
        z.number(),
        z.string(),
        z.string().nullable(),
        z.number().nullable(),
        z.number().nullable(),
        z.boolean(),
        z.string().nullable(),
        z.boolean(),
      ]),
    )
    .max(16)
    .optional(),
});
const SerializedBaselineSchema = z.object({
  format: z.literal(BASELINE_FORMAT),
  version: z.literal(BASELINE_FORMAT_VERSION),
  options: BaselineLearnerOptionsSchema,
  agents: z.array(AgentSchema),
});

export type SerializedBaseline = z.infer<typeof SerializedBaselineSchema>;

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** The flat histogram (bin, weight, bin, weight, ...) with its bins in ascending order. */
function flatBins(bins: readonly number[]): number[] {
  const order = Array.from({ length: bins.length >> 1 }, (_, i) => 2 * i).sort((a, b) => bins[a]! - bins[b]!);
  const flat = new Array<number>(bins.length);
  for (let i = 0; i < order.length; i++) {
    flat[2 * i] = bins[order[i]!]!;
    flat[2 * i + 1] = bins[order[i]! + 1]!;
  }
  return flat;
}

function writeDistribution(d: Distribution): z.infer<typeof DistributionSchema> {
  return {
    count: d.count,
    mean: d.mean,
    // Values past ~1e154 (durations are any finite number) overflow the variance to Infinity (or
    // NaN after a removal); JSON would write null and the snapshot could not be read back.
    variance: Number.isNaN(d.variance) ? 0 : Math.min(d.variance, Number.MAX_VALUE),
    min: finiteOrNull(d.min),
    max: finiteOrNull(d.max),
    bins: flatBins(d.bins),
  };
}

/**
 * Sets an empty distribution to the serialized one. The bins are distinct (checked by the schema),
 * so they are appended as they come: the order `addToBin` would give, in one pass instead of a scan
 * per bin (thousands of bins in a forged file would otherwise cost quadratic time).
 */
function fill(d: Distribution, json: z.infer<typeof DistributionSchema>): Distribution {
  d.count = json.count;
  d.mean = json.mean;
  d.variance = json.variance;
  d.min = json.min ?? Number.POSITIVE_INFINITY;
  d.max = json.max ?? Number.NEGATIVE_INFINITY;
  for (let i = 0; i < json.bins.length; i++) d.bins.push(json.bins[i]!);
  return d;
}

function readDistribution(json: z.infer<typeof DistributionSchema>): Distribution {
  return fill(new Distribution(), json);
}

/**
 * Loads a serialized distribution into one of a new bucket (empty): what merging it in gives (an
 * empty one is skipped, as `merge` skips it; otherwise moments and bins are taken as they are).
 */
function loadInto(target: Distribution, json: z.infer<typeof DistributionSchema>): void {
  if (json.count !== 0) fill(target, json);
}

/** One agent of a learner as it is in memory: its history and the events it holds ahead of its clock. */
export interface AgentSnapshot {
  readonly agentId: string;
  readonly history: AgentHistory;
  readonly held: readonly HeldEvent[];
}

/** A learner as it is in memory (what its codec reads and writes; the learner calls the codec). */
export interface LearnerSnapshot {
  readonly options: ResolvedBaselineOptions;
  readonly agents: Iterable<AgentSnapshot>;
}

export function encodeLearner(snapshot: LearnerSnapshot): SerializedBaseline {
  const agents: SerializedBaseline['agents'] = [];
  for (const { agentId, history, held } of snapshot.agents) {
    const recent: Array<[number, number, number]> = [];
    for (let i = 0; i < history.minuteOf.length; i++) {
      if (history.minuteOf[i]! >= 0)
        recent.push([history.minuteOf[i]!, history.recentEvents[i]!, history.recentFailures[i]!]);
    }
    agents.push({
      agentId,
      ...(history.timeZone === undefined ? {} : { timeZone: history.timeZone }),
      newestMs: finiteOrNull(history.newestMs),
      buckets: [...history.buckets.values()]
        .sort((a, b) => a.day - b.day)
        .map((b) => ({
          day: b.day,
          weekday: b.weekday,
          activity: Array.from(b.activity),
          slots: Array.from(b.slots),
          eventTypes: [...b.eventTypes],
          tools: [...b.tools],
          resourceCount: writeDistribution(b.resourceCount),
          duration: writeDistribution(b.duration),
          trailingCalls: writeDistribution(b.trailingCalls),
          trailingBurst: writeDistribution(b.trailingBurst),
          toolDurations: [...b.toolDurations].map(
            ([k, d]) => [k, writeDistribution(d)] as [string, ReturnType<typeof writeDistribution>],
          ),
          toolResources: [...b.toolResources].map(
            ([k, d]) => [k, writeDistribution(d)] as [string, ReturnType<typeof writeDistribution>],
          ),
          events: b.events,
          failures: b.failures,
          firstMs: finiteOrNull(b.firstMs),
        })),
      recent,
      quarantined: [...history.quarantined],
      behaviour: writeBehaviour(history.behaviour),
      ...writeHeld(held),
    });
  }
  return {
    format: BASELINE_FORMAT,
    version: BASELINE_FORMAT_VERSION,
    options: { ...snapshot.options },
    agents,
  };
}

/** Validates serialized baselines (format, version, schema). */
function parseSerialized(input: unknown): SerializedBaseline {
  return readTagged(input, {
    format: BASELINE_FORMAT,
    version: BASELINE_FORMAT_VERSION,
    schema: SerializedBaselineSchema,
    fail: (problem, message) => baselineModelError(problem, message),
  });
}

/** What an event held ahead of the clock needs when it is placed: what `add` and feedback read. */
function writeHeld(held: readonly HeldEvent[]): { held?: SerializedBaseline['agents'][number]['held'] } {
  if (held.length === 0) return {};
  return {
    held: held.map(({ event: e, learn }) => [
      e.timestamp.getTime(),
      e.eventType,
      e.toolName ?? null,
      e.resourceCount ?? null,
      e.durationMs ?? null,
      e.success,
      e.eventId ?? null,
      learn,
    ]),
  };
}

/** The held events of a serialized agent, each validated as an event. */
function readHeld(agent: SerializedBaseline['agents'][number]): HeldEvent[] {
  return (agent.held ?? []).map(([timestamp, type, tool, count, duration, success, id, learn], index) => {
    const parsed = safeParseSecurityEvent({
      timestamp,
      event_type: type,
      tool_name: tool,
      resource_count: count,
      duration_ms: duration,
      success,
      event_id: id,
    });
    if (!parsed.success) {
      throw baselineModelError('schema', `field "held.${index}": ${parsed.error.message}`);
    }
    return { event: parsed.data, learn };
  });
}

/**
 * Reads {@link encodeLearner} output (object or JSON text): the options and every agent, validated.
 * @throws {baselineModelError} foreign, wrong-version or malformed input.
 */
export function decodeLearner(input: unknown): { options: ResolvedBaselineOptions; agents: AgentSnapshot[] } {
  const data = parseSerialized(input);
  return {
    options: data.options,
    agents: data.agents.map((agent) => ({
      agentId: agent.agentId,
      history: readHistory(agent, data.options.windowDays),
      held: readHeld(agent),
    })),
  };
}

/** One agent's history from its serialized form. */
function readHistory(agent: SerializedBaseline['agents'][number], windowDays: number): AgentHistory {
  const history = new AgentHistory(windowDays);
  readBehaviour(history.behaviour, agent.behaviour);
  history.timeZone = agent.timeZone;
  history.newestMs = agent.newestMs ?? Number.NEGATIVE_INFINITY;
  for (const b of agent.buckets) {
    const bucket = new DayBucket(b.day, b.weekday);
    bucket.activity.set(b.activity);
    bucket.slots.set(b.slots);
    for (const [key, n] of b.eventTypes) bucket.eventTypes.set(key, n);
    for (const [key, n] of b.tools) bucket.tools.set(key, n);
    loadInto(bucket.resourceCount, b.resourceCount);
    loadInto(bucket.duration, b.duration);
    if (b.trailingCalls) loadInto(bucket.trailingCalls, b.trailingCalls);
    if (b.trailingBurst) loadInto(bucket.trailingBurst, b.trailingBurst);
    for (const [key, d] of b.toolDurations) bucket.toolDurations.set(key, readDistribution(d));
    for (const [key, d] of b.toolResources) bucket.toolResources.set(key, readDistribution(d));
    bucket.events = b.events;
    bucket.failures = b.failures;
    bucket.firstMs = b.firstMs ?? Number.POSITIVE_INFINITY;
    history.buckets.set(b.day, bucket);
  }
  for (const [minute, events, failures] of agent.recent) {
    const slot = minute % 60;
    history.minuteOf[slot] = minute;
    history.recentEvents[slot] = events;
    history.recentFailures[slot] = failures;
  }
  history.rebuildRecent();
  for (const key of agent.quarantined) history.quarantine(key);
  return history;
}

type SerializedBehaviour = z.infer<typeof BehaviourSchema>;

function writeValues(map: ReadonlyMap<string, ValueStats>): SerializedBehaviour['places'] {
  return [...map].map(([value, v]) => [value, v.learned, v.firstMs, v.lastMs]);
}

function readValues(map: Map<string, ValueStats>, values: SerializedBehaviour['places']): void {
  for (const [value, learned, firstMs, lastMs] of values) map.set(value, { learned, firstMs, lastMs });
}

function writeHistogram(histogram: FadingHistogram): z.infer<typeof FadingSchema> {
  return [histogram.flat(), histogram.summarised ? [...histogram.pending] : null];
}

function readHistogram([flat, pending]: z.infer<typeof FadingSchema>): FadingHistogram {
  const histogram = new FadingHistogram();
  for (let i = 0; i < flat.length; i += 2) histogram.addBin(flat[i]!, flat[i + 1]!);
  if (pending !== null) histogram.restoreSummary(pending);
  return histogram;
}

function writeBehaviour(b: Behaviour): SerializedBehaviour {
  return {
    startMs: finiteOrNull(b.startMs),
    learnedSinceSweep: b.learnedSinceSweep,
    destinations: writeValues(b.destinations),
    places: writeValues(b.places),
    sensitiveFiles: writeValues(b.sensitiveFiles),
    verbs: writeValues(b.verbs),
    novelty: NOVELTY_KINDS.flatMap((kind) => [
      [kind, null, b.pooled[kind].events, b.pooled[kind].novel] as const,
      ...[...b.novelty[kind]].map(([tool, n]) => [kind, tool, n.events, n.novel] as const),
    ]).map((row) => [...row]),
    counters: [...b.counters].flatMap(([tool, histograms]) =>
      [...histograms].map(
        ([key, h]) => [tool, key, writeHistogram(h)] as [string, string, ReturnType<typeof writeHistogram>],
      ),
    ),
    outbound: [...b.outbound].map(([tool, h]) => [tool, writeHistogram(h)]),
    destinationHours: [...b.destinationHours].map(([key, h]) => [key, writeHistogram(h)]),
    youngHours: [...b.youngHours].map(([key, h]) => [key, writeHistogram(h)]),
    ownHours: [...b.ownHours].flatMap(([tool, histograms]) =>
      [...histograms].map(
        ([destination, h]) =>
          [tool, destination, writeHistogram(h)] as [string, string, ReturnType<typeof writeHistogram>],
      ),
    ),
    concentrations: [...b.concentrations].map(([tool, h]) => [tool, writeHistogram(h)]),
    toolCalls: [...b.toolCalls].map(([tool, c]) => [tool, c.uses, c.times.slice(c.head)]),
    periodCalls: b.periodCalls.map(writeHistogram),
    periodBurst: b.periodBurst.map(writeHistogram),
    recentBytes: [...b.recentBytes].map(([destination, w]) => {
      const flat: number[] = [];
      for (let i = w.head; i < w.times.length; i++) flat.push(w.times[i]!, w.bytes[i]!);
      return [destination, flat];
    }),
  };
}

function readBehaviour(b: Behaviour, json: SerializedBehaviour): void {
  b.startMs = json.startMs ?? Number.POSITIVE_INFINITY;
  b.learnedSinceSweep = json.learnedSinceSweep;
  readValues(b.destinations, json.destinations);
  readValues(b.places, json.places);
  readValues(b.sensitiveFiles, json.sensitiveFiles);
  readValues(b.verbs, json.verbs);
  for (const [kind, tool, events, novel] of json.novelty) {
    if (tool === null) b.pooled[kind] = { events, novel };
    else b.novelty[kind].set(tool, { events, novel });
  }
  for (const [tool, key, histogram] of json.counters) {
    let histograms = b.counters.get(tool);
    if (histograms === undefined) {
      histograms = new Map();
      b.counters.set(tool, histograms);
    }
    histograms.set(key, readHistogram(histogram));
  }
  for (const [tool, histogram] of json.outbound) b.outbound.set(tool, readHistogram(histogram));
  for (const [key, flat] of json.destinationHours) b.destinationHours.set(key, readHistogram(flat));
  for (const [key, flat] of json.youngHours) b.youngHours.set(key, readHistogram(flat));
  for (const [tool, destination, histogram] of json.ownHours) {
    let histograms = b.ownHours.get(tool);
    if (histograms === undefined) {
      histograms = new Map();
      b.ownHours.set(tool, histograms);
    }
    if (!histograms.has(destination)) b.ownEntries++;
    histograms.set(destination, readHistogram(histogram));
  }
  for (const [tool, flat] of json.concentrations) b.concentrations.set(tool, readHistogram(flat));
  for (const [tool, uses, times] of json.toolCalls) b.toolCalls.set(tool, { times, head: 0, uses });
  json.periodCalls.forEach((histogram, i) => {
    b.periodCalls[i] = readHistogram(histogram);
  });
  json.periodBurst.forEach((histogram, i) => {
    b.periodBurst[i] = readHistogram(histogram);
  });
  for (const [destination, flat] of json.recentBytes) {
    const window = { times: [] as number[], bytes: [] as number[], head: 0, sum: 0 };
    for (let i = 0; i + 1 < flat.length; i += 2) {
      window.times.push(flat[i]!);
      window.bytes.push(flat[i + 1]!);
      window.sum += flat[i + 1]!;
    }
    b.recentBytes.set(destination, window);
  }
}
