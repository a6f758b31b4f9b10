// What an agent does, beside how much and when: the places (path templates) and destinations it
// uses, with counts and first/last-seen event times; how often it meets new ones (its base rate);
// the verbs each tool runs; how much each tool moves per call and per destination per hour; its call
// rates by time of day; and the sensitive-location catalogue as an indicator. Each dimension gives a
// tail probability like the others, and says in words what it saw.
import {
  destinationOf,
  directoryOf,
  fileNameOf,
  type SecurityEvent,
  type SensitiveMatcher,
  templatePath,
  verbOf,
} from '@harombe/models';
import { binOf, DenseHistogram, type RobustSummary, robustSummary, upperTail } from './distribution.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** A value is established once learned this often, or first seen this long ago. */
export const ESTABLISHED_USES = 10;
export const YOUNG_MS = 14 * DAY_MS;
/** Novelty met in an agent's first week is the agent starting out, not its base rate. */
export const WARM_UP_MS = 7 * DAY_MS;
/** Tail of a catalogue hit on a file this agent has not established reading (before its own rate). */
export const SENSITIVE_TAIL = 1e-4;
/** A never-seen verb that destroys or rewrites counts this much rarer than the tool's new-verb rate. */
const DESTRUCTIVE_FACTOR = 0.05;
const DESTRUCTIVE_VERBS = new Set([
  'drop',
  'delete',
  'truncate',
  'destroy',
  'rm',
  'rmdir',
  'shred',
  'wipe',
  'purge',
  'erase',
  'format',
  'mkfs',
  'dd',
  'kill',
  'shutdown',
  'revoke',
  'chmod',
  'chown',
  'alter',
  'grant',
  'git push',
  'git reset',
  'kubectl delete',
  'docker rm',
  'helm uninstall',
]);
/** Histograms halve their weights past this total, so old behaviour fades (about a month of calls). */
const HISTOGRAM_CAP = 20_000;
/** Samples a histogram needs before it judges. */
const MIN_SAMPLES = 20;
/** Summaries are recomputed after this many additions. */
const SUMMARY_REFRESH = 64;
/** Periods of the day for rates in context (3 hours each). */
const PERIODS = 8;
/** Byte-count resource keys: any whose name holds `bytes`. */
function isBytesKey(key: string): boolean {
  return key.includes('bytes') || key.includes('Bytes');
}

/** The bytes an event moved: the sum of its resource counters named `bytes`. */
function bytesOf(event: SecurityEvent): number {
  let bytes = 0;
  const usage = event.resourceUsage;
  for (const key in usage) if (isBytesKey(key)) bytes += usage[key]!;
  return bytes;
}

/** A learned value: how often learned, seen at all, and when first and last seen (event time). */
export interface ValueStats {
  learned: number;
  seen: number;
  firstMs: number;
  lastMs: number;
}

/** Whether a value is part of the agent's routine at `ms`: used often, or known for long. */
export function established(stats: ValueStats | undefined, ms: number): boolean {
  return stats !== undefined && (stats.learned >= ESTABLISHED_USES || ms - stats.firstMs >= YOUNG_MS);
}

/** Events that could meet a new value, and those that did (after the warm-up). */
interface NoveltyCount {
  events: number;
  novel: number;
}

/**
 * A histogram whose weights fade, with its summary cached: the summary is of the histogram as it
 * stood before the last few values (`pending`, at most SUMMARY_REFRESH), so that saving the pending
 * bins lets a restored histogram rebuild the very summary the saved one judged with.
 */
export class FadingHistogram {
  readonly histogram = new DenseHistogram();
  /** Bins added since the summary was made (only while there is one). */
  readonly pending: number[] = [];
  private summary: RobustSummary | undefined;

  add(value: number): void {
    const bin = binOf(value);
    this.histogram.addBin(bin, 1);
    if (this.summary !== undefined) {
      this.pending.push(bin);
      if (this.pending.length >= SUMMARY_REFRESH) this.forgetSummary();
    }
    if (this.histogram.total > HISTOGRAM_CAP) {
      const weights = this.histogram.weights;
      for (let i = 0; i < weights.length; i++) weights[i] = weights[i]! / 2;
      this.histogram.total /= 2;
      this.forgetSummary();
    }
  }

  private forgetSummary(): void {
    this.summary = undefined;
    this.pending.length = 0;
  }

  get total(): number {
    return this.histogram.total;
  }

  /** Whether a summary is cached (saved with the histogram). */
  get summarised(): boolean {
    return this.summary !== undefined;
  }

  /** Restores a saved cached summary: that of the histogram without the `pending` bins. */
  restoreSummary(pending: readonly number[]): void {
    const before = new DenseHistogram();
    before.weights = Float64Array.from(this.histogram.weights);
    before.total = this.histogram.total;
    for (const bin of pending) before.addBin(bin, -1);
    this.summary = robustSummary(before);
    this.pending.push(...pending);
  }

  /** P(an ordinary value >= x); 1 until the histogram has enough samples. */
  tail(x: number, robust: boolean): number {
    if (this.histogram.total < MIN_SAMPLES) return 1;
    if (this.summary === undefined) this.summary = robustSummary(this.histogram);
    return upperTail(x, this.summary, robust);
  }

  /** Typical range (10th-90th percentile) of the values, for explanations. */
  range(): [number, number] {
    const weights = this.histogram.weights;
    const total = this.histogram.total;
    let low = 0;
    let high = 0;
    let seen = 0;
    for (let bin = 0; bin < weights.length; bin++) {
      const before = seen;
      seen += weights[bin]!;
      if (before < 0.1 * total && seen >= 0.1 * total) low = Math.expm1(bin * 0.05);
      if (before < 0.9 * total && seen >= 0.9 * total) high = Math.expm1((bin + 1) * 0.05);
    }
    return [low, high];
  }
}

/** The behaviour tails of one event (1 = not unusual), and what each saw. */
export interface BehaviourTails {
  content: number;
  novelty: number;
  action: number;
  volume: number;
}

/** Bytes sent to one destination in the last hour: (time, bytes) pairs, oldest first. */
export interface DestinationWindow {
  readonly times: number[];
  readonly bytes: number[];
  head: number;
  sum: number;
}

/** The path facts of an event (a template, its directory's, and the catalogue's word). */
export interface PathFacts {
  readonly template: string;
  readonly directory: string;
  readonly sensitive: { readonly id: string; readonly description: string } | undefined;
}

/** Path facts by path, shared by the learner's agents (paths recur); cleared when full. */
export class PathCache {
  private readonly cache = new Map<string, PathFacts>();

  constructor(private readonly matcher: SensitiveMatcher) {}

  facts(path: string): PathFacts {
    let facts = this.cache.get(path);
    if (facts === undefined) {
      const template = templatePath(path);
      facts = { template, directory: directoryOf(template), sensitive: this.matcher.match(path) };
      if (this.cache.size >= 4096) this.cache.clear();
      this.cache.set(path, facts);
    }
    return facts;
  }
}

/** One agent's behaviour: vocabularies with counts and times, base rates, volumes, rates by period. */
export class Behaviour {
  /** Time of the first event learned (the warm-up runs from it). */
  startMs = Number.POSITIVE_INFINITY;
  readonly destinations = new Map<string, ValueStats>();
  readonly places = new Map<string, ValueStats>();
  /** Sensitive files (templates) read, only those the catalogue names. */
  readonly sensitiveFiles = new Map<string, ValueStats>();
  /** `tool \0 verb`. */
  readonly verbs = new Map<string, ValueStats>();
  /** `kind \0 tool` and `kind \0` (any tool), for kinds destination, place, verb, sensitive. */
  readonly novelty = new Map<string, NoveltyCount>();
  /** `tool \0 resource key` per call, and `tool` for bytes per destination per hour. */
  readonly volumes = new Map<string, FadingHistogram>();
  readonly destinationHours = new Map<string, FadingHistogram>();
  /** Calls in the trailing hour and 5 minutes, as learned events saw them, by period of the day. */
  readonly periodCalls: FadingHistogram[] = Array.from({ length: PERIODS }, () => new FadingHistogram());
  readonly periodBurst: FadingHistogram[] = Array.from({ length: PERIODS }, () => new FadingHistogram());
  /** Bytes per destination in the last hour. */
  readonly recentBytes = new Map<string, DestinationWindow>();
  /** Events learned since vocabularies were last trimmed. */
  learnedSinceSweep = 0;

  /** `windowMs`: values unseen this long are forgotten. */
  constructor(readonly windowMs: number) {}

  /** Base rate of new values of a kind for a tool: (novel + 0.5) / (events + 1), pooled when few. */
  rate(kind: string, tool: string): number {
    const own = this.novelty.get(`${kind}\0${tool}`);
    const count = own !== undefined && own.events >= MIN_SAMPLES ? own : this.novelty.get(`${kind}\0`);
    if (count === undefined) return 1;
    return Math.min(1, (count.novel + 0.5) / (count.events + 1));
  }

  private countNovelty(kind: string, tool: string, novel: boolean, ms: number): void {
    if (ms - this.startMs < WARM_UP_MS) return;
    for (const key of [`${kind}\0${tool}`, `${kind}\0`]) {
      let count = this.novelty.get(key);
      if (count === undefined) {
        count = { events: 0, novel: 0 };
        this.novelty.set(key, count);
      }
      count.events++;
      if (novel) count.novel++;
      if (count.events > HISTOGRAM_CAP) {
        count.events /= 2;
        count.novel /= 2;
      }
    }
  }

  /** A value's tail: 1 when established, else the tool's rate of meeting new ones. */
  private noveltyTail(
    map: Map<string, ValueStats>,
    kind: string,
    tool: string,
    value: string,
    ms: number,
  ): number {
    return established(map.get(value), ms) ? 1 : this.rate(kind, tool);
  }

  /** Bytes sent to the destination in the hour before `ms` (not counting an event at `ms`). */
  private bytesInHour(destination: string, ms: number): number {
    const window = this.recentBytes.get(destination);
    if (window === undefined) return 0;
    let sum = window.sum;
    for (let i = window.head; i < window.times.length && window.times[i]! <= ms - HOUR_MS; i++)
      sum -= window.bytes[i]!;
    return sum;
  }

  /**
   * The event's tails. `tool` is its tool's name (or the no-tool category); `facts` its path's.
   */
  tails(
    event: SecurityEvent,
    tool: string,
    facts: PathFacts | undefined,
    robust: boolean,
    out: BehaviourTails,
  ): BehaviourTails {
    const ms = event.timestamp.getTime();
    let content = 1;
    let novelty = 1;
    if (facts !== undefined) {
      if (facts.sensitive !== undefined && !established(this.sensitiveFiles.get(facts.template), ms)) {
        content = Math.min(1, SENSITIVE_TAIL * (1 + (this.novelty.get('sensitive\0')?.novel ?? 0)));
      }
      novelty = this.noveltyTail(this.places, 'place', tool, facts.directory, ms);
    }
    const destination = destinationOf(event);
    if (destination !== undefined)
      novelty = Math.min(novelty, this.noveltyTail(this.destinations, 'destination', tool, destination, ms));
    let action = 1;
    const verb = verbOf(event);
    if (verb !== undefined) action = this.verbTail(tool, verb);
    out.content = content;
    out.novelty = novelty;
    out.action = action;
    out.volume = this.volumeTail(event, tool, destination, ms, robust);
    return out;
  }

  private verbTail(tool: string, verb: string): number {
    const stats = this.verbs.get(`${tool}\0${verb}`);
    if (stats !== undefined && stats.learned > 0) return 1;
    const rate = this.rate('verb', tool);
    return DESTRUCTIVE_VERBS.has(verb) ? rate * DESTRUCTIVE_FACTOR : rate;
  }

  private volumeTail(
    event: SecurityEvent,
    tool: string,
    destination: string | undefined,
    ms: number,
    robust: boolean,
  ): number {
    const usage = event.resourceUsage;
    let keys = 0;
    let tail = 1;
    let bytes = 0;
    for (const key in usage) {
      const value = usage[key]!;
      if (isBytesKey(key)) bytes += value;
      const histogram = this.volumes.get(`${tool}\0${key}`);
      if (histogram === undefined) continue;
      keys++;
      const t = histogram.tail(value, robust);
      if (t < tail) tail = t;
    }
    tail = Math.min(1, tail * Math.max(1, keys));
    if (destination !== undefined && bytes > 0) {
      const hourly = this.destinationHours.get(tool);
      if (hourly !== undefined) {
        const sum = this.bytesInHour(destination, ms) + bytes;
        tail = Math.min(1, 2 * Math.min(tail, hourly.tail(sum, robust)));
      }
    }
    return tail;
  }

  /** Rate and burst tails in the context of the period of the day (1 until the period has samples). */
  periodTails(period: number, callsNow: number, burstNow: number, robust: boolean): [number, number] {
    return [
      this.periodCalls[period]!.tail(callsNow, robust),
      this.periodBurst[period]!.tail(burstNow, robust),
    ];
  }

  /** Whether the period has enough learned calls to judge rates by. */
  knowsPeriod(period: number): boolean {
    return this.periodCalls[period]!.total >= 50;
  }

  /**
   * Learns an event: `weight` for learned counts (feedback counts more than one call), volumes and
   * rates once. `recent` (calls in the trailing hour and 5 minutes as the event saw them) is given
   * when the event was counted as activity at a known time.
   */
  learn(
    event: SecurityEvent,
    tool: string,
    facts: PathFacts | undefined,
    weight: number,
    countActivity: boolean,
    period: number,
    recent: { events: number; burst: number } | undefined,
    cap: number,
  ): void {
    const ms = event.timestamp.getTime();
    if (ms < this.startMs) this.startMs = ms;
    if (facts !== undefined) {
      this.countNovelty('place', tool, !this.places.has(facts.directory), ms);
      see(this.places, facts.directory, ms, weight, cap);
      if (facts.sensitive !== undefined) {
        const known = this.sensitiveFiles.get(facts.template);
        if (known === undefined) this.countNovelty('sensitive', tool, true, ms);
        see(this.sensitiveFiles, facts.template, ms, weight, cap);
      }
    }
    const destination = destinationOf(event);
    if (destination !== undefined) {
      this.countNovelty('destination', tool, !this.destinations.has(destination), ms);
      see(this.destinations, destination, ms, weight, cap);
    }
    const verb = verbOf(event);
    if (verb !== undefined) {
      const key = `${tool}\0${verb}`;
      this.countNovelty('verb', tool, this.verbs.get(key) === undefined, ms);
      see(this.verbs, key, ms, weight, cap);
    }
    if (countActivity) {
      let bytes = 0;
      const usage = event.resourceUsage;
      for (const key in usage) {
        const value = usage[key]!;
        if (isBytesKey(key)) bytes += value;
        histogramFor(this.volumes, `${tool}\0${key}`, cap).add(value);
      }
      if (destination !== undefined && bytes > 0) {
        const sum = this.addBytes(destination, ms, bytes);
        histogramFor(this.destinationHours, tool, cap).add(sum);
      }
      if (recent !== undefined) {
        this.periodCalls[period]!.add(recent.events);
        this.periodBurst[period]!.add(recent.burst);
      }
    }
    if (++this.learnedSinceSweep >= 1000) this.sweep(ms, cap);
  }

  /**
   * Marks a value as seen (not learned): it was recorded, but judged unusual. Its bytes count toward
   * its destination's hour all the same (exfiltration spread over many calls adds up).
   */
  sighted(event: SecurityEvent, facts: PathFacts | undefined, cap: number): void {
    const ms = event.timestamp.getTime();
    if (facts !== undefined) see(this.places, facts.directory, ms, 0, cap);
    const destination = destinationOf(event);
    if (destination === undefined) return;
    see(this.destinations, destination, ms, 0, cap);
    const bytes = bytesOf(event);
    if (bytes > 0) this.addBytes(destination, ms, bytes);
  }

  /** Adds bytes sent to a destination; returns the destination's sum over the last hour. */
  private addBytes(destination: string, ms: number, bytes: number): number {
    let window = this.recentBytes.get(destination);
    if (window === undefined) {
      if (this.recentBytes.size >= 256) this.recentBytes.clear();
      window = { times: [], bytes: [], head: 0, sum: 0 };
      this.recentBytes.set(destination, window);
    }
    while (window.head < window.times.length && window.times[window.head]! <= ms - HOUR_MS) {
      window.sum -= window.bytes[window.head]!;
      window.head++;
    }
    if (window.head > 64) {
      window.times.splice(0, window.head);
      window.bytes.splice(0, window.head);
      window.head = 0;
    }
    if (window.times.length - window.head < 512) {
      window.times.push(ms);
      window.bytes.push(bytes);
      window.sum += bytes;
    }
    return window.sum;
  }

  /** Forgets values not seen for the window's span, and trims vocabularies to `cap` (oldest first). */
  private sweep(ms: number, cap: number): void {
    this.learnedSinceSweep = 0;
    for (const map of [this.destinations, this.places, this.sensitiveFiles, this.verbs])
      trim(map, ms - this.windowMs, cap);
  }

  /** A short account of the strongest finding, for explanations. */
  describe(
    event: SecurityEvent,
    tool: string,
    facts: PathFacts | undefined,
    dimension: keyof BehaviourTails,
  ): string | undefined {
    const ms = event.timestamp.getTime();
    const destination = destinationOf(event);
    switch (dimension) {
      case 'content': {
        if (facts?.sensitive === undefined || event.filePath === undefined) return undefined;
        const known = this.places.get(facts.directory);
        const where = established(known, ms)
          ? 'in a directory this agent uses'
          : 'in a directory new to this agent';
        const stats = this.sensitiveFiles.get(facts.template);
        return `file ${fileNameOf(event.filePath)} ${where}, ${facts.sensitive.description} (catalogue: ${facts.sensitive.id}); ${firstUse('read by this agent', stats, ms)}`;
      }
      case 'novelty': {
        const parts: string[] = [];
        if (destination !== undefined && !established(this.destinations.get(destination), ms))
          parts.push(
            `destination ${destination}, ${firstUse('contacted', this.destinations.get(destination), ms)}`,
          );
        if (facts !== undefined && !established(this.places.get(facts.directory), ms))
          parts.push(
            `location ${facts.directory}, ${firstUse('used', this.places.get(facts.directory), ms)}`,
          );
        if (parts.length === 0) return undefined;
        const kind =
          destination !== undefined && parts[0]!.startsWith('destination') ? 'destination' : 'place';
        const rate = this.rate(kind, tool);
        return `${parts.join('; ')} (${tool} meets a new ${kind === 'destination' ? 'destination' : 'location'} in ${formatShare(rate)} of calls)`;
      }
      case 'action': {
        const verb = verbOf(event);
        if (verb === undefined) return undefined;
        const stats = this.verbs.get(`${tool}\0${verb}`);
        return `action "${verb}" ${stats === undefined || stats.learned === 0 ? 'never' : 'rarely'} run by ${tool} before${DESTRUCTIVE_VERBS.has(verb) ? ' (destructive)' : ''}`;
      }
      case 'volume': {
        const parts: string[] = [];
        const usage = event.resourceUsage;
        let bytes = 0;
        for (const key in usage) {
          const value = usage[key]!;
          if (isBytesKey(key)) bytes += value;
          const histogram = this.volumes.get(`${tool}\0${key}`);
          if (histogram === undefined || histogram.total < MIN_SAMPLES) continue;
          const [low, high] = histogram.range();
          if (value > high)
            parts.push(
              `${key} ${formatAmount(value, key)} (typical for ${tool} ${formatAmount(low, key)}-${formatAmount(high, key)})`,
            );
        }
        if (destination !== undefined && bytes > 0) {
          const sum = this.bytesInHour(destination, ms) + bytes;
          const stats = this.destinations.get(destination);
          if (sum > bytes)
            parts.push(
              `sent ${formatAmount(sum, 'bytes')} to ${destination} within the hour, ${firstUse('contacted', stats, ms)}`,
            );
        }
        return parts.length ? parts.join('; ') : undefined;
      }
    }
  }
}

/** "first X 3 days ago" / "first X by this agent" (never before) / "known for 20 days". */
function firstUse(verb: string, stats: ValueStats | undefined, ms: number): string {
  if (stats === undefined || stats.firstMs > ms) return `first ${verb}`;
  const minutes = Math.round((ms - stats.firstMs) / 60_000);
  const age =
    minutes < 60
      ? `${minutes} min ago`
      : minutes < 24 * 60
        ? `${Math.round(minutes / 60)} h ago`
        : `${Math.round(minutes / (24 * 60))} days ago`;
  return `first ${verb.replace(' by this agent', '')} ${age}`;
}

function formatShare(rate: number): string {
  const percent = rate * 100;
  return percent >= 1 ? `${percent.toFixed(0)}%` : percent >= 0.1 ? `${percent.toFixed(1)}%` : '<0.1%';
}

function formatAmount(value: number, key: string): string {
  if (!isBytesKey(key)) return value >= 100 ? value.toFixed(0) : value.toPrecision(2);
  if (value >= 1e9) return `${(value / 1e9).toFixed(1)} GB`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)} MB`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(0)} KB`;
  return `${value.toFixed(0)} B`;
}

function see(map: Map<string, ValueStats>, value: string, ms: number, weight: number, cap: number): void {
  const stats = map.get(value);
  if (stats === undefined) {
    if (map.size >= cap + (cap >> 3)) trim(map, Number.NEGATIVE_INFINITY, cap);
    map.set(value, { learned: weight, seen: 1, firstMs: ms, lastMs: ms });
    return;
  }
  stats.learned += weight;
  stats.seen++;
  if (ms > stats.lastMs) stats.lastMs = ms;
  if (ms < stats.firstMs) stats.firstMs = ms;
}

/** Drops values last seen before `beforeMs`, then the least recently seen past `cap`. */
function trim(map: Map<string, ValueStats>, beforeMs: number, cap: number): void {
  for (const [value, stats] of map) if (stats.lastMs < beforeMs) map.delete(value);
  if (map.size <= cap) return;
  const byAge = [...map].sort((a, b) => a[1].lastMs - b[1].lastMs);
  for (let i = 0; i < byAge.length - cap; i++) map.delete(byAge[i]![0]);
}

function histogramFor(map: Map<string, FadingHistogram>, key: string, cap: number): FadingHistogram {
  let histogram = map.get(key);
  if (histogram === undefined) {
    histogram = new FadingHistogram();
    if (map.size < cap) map.set(key, histogram);
  }
  return histogram;
}
