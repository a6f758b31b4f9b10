// What an agent does, beside how much and when: the places (path templates) and destinations it
// uses, with counts and first/last-seen event times; how often it meets new ones (its base rate);
// the verbs each tool runs; how much each tool moves per call and per destination per hour; its call
// rates by time of day; and the sensitive-location catalogue as an indicator. Each dimension gives a
// tail probability like the others, and says in words what it saw.
import {
  destinationOf,
  directoryOf,
  fileNameOf,
  normaliseCataloguePath as normalise,
  type SecurityEvent,
  type SensitiveMatcher,
  templatePath,
  verbOf,
} from '@harombe/models';
import {
  BIN_WIDTH,
  binOf,
  binValue,
  empiricalTail,
  logScale,
  type RobustSummary,
  robustSummary,
  topExcess,
  upperTail,
} from './distribution.js';
import { FLEET_KINDS, type FleetKind, type FleetVocabulary, MAX_USERS } from './fleet-vocabulary.js';

const HOUR_MS = 3_600_000;
/** Category for events without a tool. */
export const NO_TOOL = '(none)';
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
/**
 * A destination's own hourly sums count for n / (n + OWN_PRIOR) of its location and scale (n of
 * them), the tool's (all its destinations pooled) for the rest: a few hours say little of its own.
 */
const OWN_PRIOR = 20;
/** Calls of one tool within an hour counted for concentrations, at most. */
export const MAX_HOUR_CALLS = 4096;
/** Destinations with a window of bytes in the last hour, at most (those idle for the hour go first). */
const MAX_WINDOWS = 256;
/** Summaries are recomputed after this many additions. */
export const SUMMARY_REFRESH = 64;
/** Periods of the day for rates in context (3 hours each). */
const PERIODS = 8;
/** Byte counters with an outbound direction in their name, and with an inbound one. */
const OUTBOUND = /sent|out|upload|tx|writ|egress|request|put|post/i;
const INBOUND = /receiv|recv|(^|_)in(_|$)|download|rx|read|response|ingress|get/i;
/** Per counter name: 2 outbound, 1 bytes of no stated direction, 0 anything else (names recur). */
const DIRECTION = new Map<string, 0 | 1 | 2>();

function directionOf(key: string): 0 | 1 | 2 {
  let direction = DIRECTION.get(key);
  if (direction === undefined) {
    direction = !/bytes/i.test(key) ? 0 : OUTBOUND.test(key) ? 2 : INBOUND.test(key) ? 0 : 1;
    if (DIRECTION.size < 1024) DIRECTION.set(key, direction);
  }
  return direction;
}

/**
 * The bytes an event sent out: its counters named as outbound bytes (`bytes_sent`, `upload_bytes`),
 * else those named bytes with no direction (`network_bytes`); 0 when it names neither. The last
 * answer is kept for the same object (one event is read several times; recorded usage is not changed).
 */
export function outboundBytes(usage: Readonly<Record<string, number>>): number {
  // Scoring, recording and explaining one event each ask: the last answer first.
  if (usage === lastUsage) return lastOutbound;
  lastUsage = usage;
  lastOutbound = sumOutbound(usage);
  return lastOutbound;
}

let lastUsage: object | undefined;
let lastOutbound = 0;

function sumOutbound(usage: Readonly<Record<string, number>>): number {
  let outbound = 0;
  let undirected = 0;
  for (const key in usage) {
    const direction = directionOf(key);
    if (direction === 2) outbound += usage[key]!;
    else if (direction === 1) undirected += usage[key]!;
  }
  return outbound > 0 ? outbound : undirected;
}

/** Whether a counter is one of the bytes that {@link outboundBytes} sums (judged as volume, not as a counter). */
function isVolumeKey(key: string): boolean {
  return directionOf(key) !== 0;
}

/**
 * What novelty is counted of. `young`: calls that send bytes to a destination, counting those whose
 * destination is still young to the agent (counted once the agent is past its first YOUNG_MS, when
 * every destination is young).
 */
export type NoveltyKind = 'destination' | 'place' | 'verb' | 'sensitive' | 'young';
export const NOVELTY_KINDS: readonly NoveltyKind[] = ['destination', 'place', 'verb', 'sensitive', 'young'];

/**
 * How many baseline dimensions can find an event unusual at all (the multiplicity a combination
 * over them pays): the six that judge every event, plus novelty (a destination or path), content
 * (a path), concentration (a destination), action (a verb) and volume (bytes sent) when the event
 * has what they read.
 */
export function judgedDimensions(event: SecurityEvent): number {
  const path = event.filePath !== undefined;
  const destination = event.destinationDomain !== undefined || event.destinationIp !== undefined;
  let n = 6;
  if (path || destination) n++;
  if (path) n++;
  if (destination) n++;
  if (verbOf(event) !== undefined) n++;
  if (outboundBytes(event.resourceUsage) > 0) n++;
  return n;
}

/** A learned value: how often learned, and when first and last seen (event time). */
export interface ValueStats {
  learned: number;
  firstMs: number;
  lastMs: number;
}

/** Whether a value is part of the agent's routine at `ms`: used often, or known for long. */
export function established(stats: ValueStats | undefined, ms: number): boolean {
  return stats !== undefined && (stats.learned >= ESTABLISHED_USES || ms - stats.firstMs >= YOUNG_MS);
}

/** Events that could meet a new value, and those that did (after the warm-up). */
export interface NoveltyCount {
  events: number;
  novel: number;
}

function count(n: NoveltyCount, novel: boolean): void {
  n.events++;
  if (novel) n.novel++;
  if (n.events > HISTOGRAM_CAP) {
    n.events /= 2;
    n.novel /= 2;
  }
}

/**
 * A histogram whose weights fade, with its summary cached: the summary is of the histogram as it
 * stood before the last few values (`pending`, at most SUMMARY_REFRESH), so that saving the pending
 * bins lets a restored histogram rebuild the very summary the saved one judged with.
 */
export class FadingHistogram {
  /**
   * Weights of bins `base` .. `base + weights.length - 1` (values cluster: bytes of one tool span a few
   * dozen bins, far from bin 0, so a histogram dense from 0 would hold hundreds of empty ones).
   */
  private base = 0;
  private weights = new Float64Array(0);
  total = 0;
  /** Bins added since the summary was made (only while there is one). */
  readonly pending: number[] = [];
  private summary: RobustSummary | undefined;

  add(value: number): void {
    const bin = binOf(value);
    this.addBin(bin, 1);
    if (this.summary !== undefined) {
      this.pending.push(bin);
      if (this.pending.length >= SUMMARY_REFRESH) this.forgetSummary();
    }
    if (this.total > HISTOGRAM_CAP) {
      const weights = this.weights;
      for (let i = 0; i < weights.length; i++) weights[i] = weights[i]! / 2;
      this.total /= 2;
      this.forgetSummary();
    }
  }

  /** Adds weight to a bin (restoring, or a value's). */
  addBin(bin: number, weight: number): void {
    const weights = this.weights;
    if (weights.length === 0) {
      this.base = Math.max(0, bin - 4);
      this.weights = new Float64Array(bin - this.base + 8);
    } else if (bin < this.base || bin >= this.base + weights.length) {
      const low = Math.max(0, Math.min(this.base, bin - 4));
      const high = Math.max(this.base + weights.length, bin + 8);
      const grown = new Float64Array(high - low);
      grown.set(weights, this.base - low);
      this.base = low;
      this.weights = grown;
    }
    this.weights[bin - this.base]! += weight;
    this.total += weight;
  }

  /** The bins with weight, ascending: [bin, weight, bin, weight, ...]. */
  flat(): number[] {
    const flat: number[] = [];
    for (let i = 0; i < this.weights.length; i++)
      if (this.weights[i]! > 0) flat.push(this.base + i, this.weights[i]!);
    return flat;
  }

  /** The summary of this histogram less `without` (one weight each). */
  private summarise(without: readonly number[] = []): RobustSummary {
    let weights = this.weights;
    if (without.length > 0) {
      weights = weights.slice();
      // (A forged pending bin that holds no weight, or one outside the range, is passed over.)
      for (const bin of without) {
        const i = bin - this.base;
        if (i >= 0 && i < weights.length && weights[i]! >= 1) weights[i]! -= 1;
      }
    }
    return robustSummary({ weights, base: this.base });
  }

  private forgetSummary(): void {
    this.summary = undefined;
    this.pending.length = 0;
  }

  /** Whether a summary is cached (saved with the histogram). */
  get summarised(): boolean {
    return this.summary !== undefined;
  }

  /** Restores a saved cached summary: that of the histogram without the `pending` bins. */
  restoreSummary(pending: readonly number[]): void {
    this.summary = this.summarise(pending);
    this.pending.push(...pending);
  }

  /** P(an ordinary value >= x); 1 until the histogram has enough samples. */
  tail(x: number, robust: boolean, heavy = false): number {
    if (this.total < MIN_SAMPLES) return 1;
    this.summary ??= this.summarise();
    // At or below the median nothing is unusual (and the tail's arithmetic is the costly part).
    if (Math.log1p(x) <= this.summary.logMedian) return 1;
    return upperTail(x, this.summary, robust, heavy);
  }

  /**
   * P(an ordinary value >= x) of a log-likelihood ratio: the smoothed empirical tail up to the
   * largest value learned; past it 1/(n + 1) x e^-(x - largest)/s, an exponential whose scale s is
   * the mean excess of the top values, never steeper than the ratio's own decay (s >= 1: real hours
   * are clumpier than independent draws, and the top of the history says by how much). 1 at 0 and
   * until the histogram has enough samples.
   */
  exceedance(x: number): number {
    if (!(x > 0) || this.total < MIN_SAMPLES) return 1;
    this.summary ??= this.summarise();
    const { values, total } = this.summary;
    const top = values[values.length - 1] ?? 0;
    const bin = binValue(x);
    if (bin <= top) return empiricalTail(this.summary, bin);
    const scale = Math.max(1, topExcess(this.summary));
    return Math.exp(-(x - Math.expm1(top)) / scale) / (total + 1);
  }

  /**
   * The centre of ln(1 + value) (the median, or the mean when not `robust`) and its scale (1.4826
   * MAD, or the standard deviation; at least 0.1), as {@link tail} judges by; NaN until the
   * histogram has enough samples.
   */
  logCentre(robust: boolean): number {
    if (this.total < MIN_SAMPLES) return Number.NaN;
    this.summary ??= this.summarise();
    return robust ? this.summary.logMedian : this.summary.logMean;
  }

  logScale(robust: boolean): number {
    if (this.total < MIN_SAMPLES) return Number.NaN;
    this.summary ??= this.summarise();
    return logScale(this.summary, robust);
  }

  /** Typical range (10th-90th percentile) of the values, for explanations. */
  range(): [number, number] {
    const weights = this.weights;
    const total = this.total;
    let low = 0;
    let high = 0;
    let seen = 0;
    for (let i = 0; i < weights.length; i++) {
      const bin = this.base + i;
      const before = seen;
      seen += weights[i]!;
      if (before < 0.1 * total && seen >= 0.1 * total) low = Math.expm1(bin * BIN_WIDTH);
      if (before < 0.9 * total && seen >= 0.9 * total) high = Math.expm1((bin + 1) * BIN_WIDTH);
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
  /** The tool's other counters (`resource_usage` other than bytes sent), Bonferroni over them. */
  counters: number;
  /**
   * How far the tool's calls within the hour crowd onto the event's destination, beyond its usual
   * share of them (see {@link concentration}), against the tool's own such hours.
   */
  concentration: number;
}

/** Calls to one destination in the last hour and the bytes each sent: (time, bytes) pairs, oldest first. */
export interface DestinationWindow {
  readonly times: number[];
  readonly bytes: number[];
  head: number;
  sum: number;
}

/** The path facts of an event: its directory's template, and the catalogue's word (with the path's template then). */
export interface PathFacts {
  /** The whole path templated, when the catalogue names it (a sensitive file is known by it); else ''. */
  readonly template: string;
  readonly directory: string;
  readonly sensitive: { readonly id: string; readonly description: string } | undefined;
}

/** What one directory (as written) gives: its template, and whether catalogue paths can reach it. */
interface DirectoryFacts {
  readonly template: string;
  readonly reached: boolean;
}

/**
 * Path facts, shared by the learner's agents. Directories recur far more than paths (every file of a
 * partition is new), so what costs (templating, the catalogue's path globs) is cached per directory;
 * a file name costs one test against the catalogue's name globs.
 */
export class PathCache {
  private readonly directories = new Map<string, DirectoryFacts>();
  private lastPath: string | undefined;
  private lastFacts: PathFacts | undefined;

  constructor(private readonly matcher: SensitiveMatcher) {}

  facts(path: string): PathFacts {
    // One event asks up to three times (score, record, explain): the last answer first.
    if (path === this.lastPath) return this.lastFacts!;
    const directory = directoryOf(path);
    let known = this.directories.get(directory);
    if (known === undefined) {
      const text = normalise(directory);
      known = { template: templatePath(directory), reached: this.matcher.reaches(text) };
      if (this.directories.size >= 4096) this.directories.clear();
      this.directories.set(directory, known);
    }
    // The file name alone first (cheap); the whole path only where the catalogue's path globs reach.
    let sensitive: PathFacts['sensitive'];
    if (known.reached || this.matcher.namesMatch(fileNameOf(path).toLowerCase())) {
      const text = normalise(path);
      sensitive = this.matcher.matchParts(
        text,
        text.slice(0, Math.max(0, text.lastIndexOf('/'))),
        known.reached,
      );
    }
    const facts: PathFacts = {
      template: sensitive === undefined ? '' : templatePath(path),
      directory: known.template,
      sensitive,
    };
    this.lastPath = path;
    this.lastFacts = facts;
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
  /** Per kind, per tool and pooled over tools: events that could meet a new value, and those that did. */
  readonly novelty: Record<NoveltyKind, Map<string, NoveltyCount>> = {
    destination: new Map(),
    place: new Map(),
    verb: new Map(),
    sensitive: new Map(),
    young: new Map(),
  };
  readonly pooled: Record<NoveltyKind, NoveltyCount> = {
    destination: { events: 0, novel: 0 },
    place: { events: 0, novel: 0 },
    verb: { events: 0, novel: 0 },
    sensitive: { events: 0, novel: 0 },
    young: { events: 0, novel: 0 },
  };
  /** Per tool: each other counter per call; bytes sent per call; bytes per destination per hour. */
  readonly counters = new Map<string, Map<string, FadingHistogram>>();
  readonly outbound = new Map<string, FadingHistogram>();
  readonly destinationHours = new Map<string, FadingHistogram>();
  /**
   * Per tool, per destination: bytes sent to that destination in the trailing hour (its own scale;
   * a destination the tool uses now and then is judged by its own hours once it has enough of them).
   */
  readonly ownHours = new Map<string, Map<string, FadingHistogram>>();
  /** Histograms in {@link ownHours}, all tools together (at most the vocabulary cap). */
  ownEntries = 0;
  /**
   * Per tool, bytes sent in the trailing hour to destinations still young to the agent (not
   * established): what a tool ordinarily sends where it has barely been (a first look is light;
   * an upload to a domain contacted a few times is not).
   */
  readonly youngHours = new Map<string, FadingHistogram>();
  /**
   * Per tool: the {@link concentration} of the called destination within the hour, at each call the
   * tool made there (after the warm-up): how crowded an ordinary hour of this tool gets.
   */
  readonly concentrations = new Map<string, FadingHistogram>();
  /** Per tool: its calls to destinations in the last hour, and its learned such calls. */
  readonly toolCalls = new Map<string, ToolCalls>();
  /** Calls in the trailing hour and 5 minutes, as learned events saw them, by period of the day. */
  readonly periodCalls: FadingHistogram[] = Array.from({ length: PERIODS }, () => new FadingHistogram());
  readonly periodBurst: FadingHistogram[] = Array.from({ length: PERIODS }, () => new FadingHistogram());
  /** Bytes per destination in the last hour. */
  readonly recentBytes = new Map<string, DestinationWindow>();
  /** Events learned since vocabularies were last trimmed. */
  learnedSinceSweep = 0;

  /** The learner's fleet vocabulary this agent's values count in, and the agent's id there. */
  private fleet: FleetVocabulary | undefined;
  private agentId = '';

  /** `windowMs`: values unseen this long are forgotten. */
  constructor(readonly windowMs: number) {}

  /** Counts the agent's learned destinations and locations in `fleet` from now on (see FleetVocabulary). */
  join(fleet: FleetVocabulary, agentId: string): void {
    this.leave();
    this.fleet = fleet;
    this.agentId = agentId;
    for (const kind of FLEET_KINDS)
      for (const [value, stats] of this.fleetMap(kind)) if (stats.learned > 0) this.count(kind, value, stats);
  }

  /** Takes the agent's values out of its fleet vocabulary (it leaves the learner, or is replaced). */
  leave(): void {
    const fleet = this.fleet;
    if (fleet === undefined) return;
    for (const kind of FLEET_KINDS)
      for (const [value, stats] of this.fleetMap(kind))
        if (stats.learned > 0) fleet.remove(kind, value, this.agentId);
    this.fleet = undefined;
  }

  private fleetMap(kind: FleetKind): Map<string, ValueStats> {
    return kind === 'destination' ? this.destinations : this.places;
  }

  private count(kind: FleetKind, value: string, stats: ValueStats): void {
    this.fleet?.add(kind, value, this.agentId, stats.firstMs, stats.firstMs - this.startMs >= WARM_UP_MS);
  }

  /**
   * {@link see} for a destination or location, keeping the fleet vocabulary in step: a value counts
   * there once learned (sighted only, it does not), from its first sighting, until forgotten.
   */
  private seeValue(kind: FleetKind, value: string, ms: number, weight: number, cap: number): void {
    const map = this.fleetMap(kind);
    const stats = map.get(value);
    const counted = stats !== undefined && stats.learned > 0;
    const firstMs = stats?.firstMs;
    const now = see(map, value, ms, weight, cap, this.forgetter(kind));
    if (now.learned > 0 && (!counted || now.firstMs !== firstMs)) this.count(kind, value, now);
  }

  /** A learned destination or location forgotten leaves the fleet vocabulary too. */
  private readonly forgetDestination: Forget = (value, stats) => {
    if (stats.learned > 0) this.fleet?.remove('destination', value, this.agentId);
  };
  private readonly forgetPlace: Forget = (value, stats) => {
    if (stats.learned > 0) this.fleet?.remove('place', value, this.agentId);
  };
  private forgetter(kind: FleetKind): Forget {
    return kind === 'destination' ? this.forgetDestination : this.forgetPlace;
  }

  /**
   * The fleet's factor for a value new or young to the agent at `ms`: P(an ordinary first meeting
   * finds its value at most as widespread), 1 without a fleet (see FleetVocabulary).
   */
  private fleetFactor(kind: FleetKind, value: string, ms: number): number {
    const fleet = this.fleet;
    return fleet === undefined ? 1 : fleet.factor(kind, fleet.others(kind, value, this.agentId, ms));
  }

  /** How many other agents use the value, in words ('' while the agent is alone in its fleet). */
  private fleetWords(kind: FleetKind, value: string, ms: number): string {
    const fleet = this.fleet;
    if (fleet === undefined || fleet.agentCount < 2) return '';
    const n = fleet.others(kind, value, this.agentId, ms);
    if (n === 0) return ', used by no other agent';
    return `, used by ${n}${n >= MAX_USERS ? ' or more' : ''} other agent${n === 1 ? '' : 's'}`;
  }

  /** Base rate of new values of a kind for a tool: (novel + 0.5) / (events + 1), pooled when few. */
  rate(kind: NoveltyKind, tool: string): number {
    const own = this.novelty[kind].get(tool);
    const count = own !== undefined && own.events >= MIN_SAMPLES ? own : this.pooled[kind];
    if (count.events === 0) return 1;
    return Math.min(1, (count.novel + 0.5) / (count.events + 1));
  }

  private countNovelty(kind: NoveltyKind, tool: string, novel: boolean, ms: number): void {
    if (ms - this.startMs < (kind === 'young' ? YOUNG_MS : WARM_UP_MS)) return;
    const tools = this.novelty[kind];
    let own = tools.get(tool);
    if (own === undefined) {
      own = { events: 0, novel: 0 };
      tools.set(tool, own);
    }
    count(own, novel);
    count(this.pooled[kind], novel);
  }

  /**
   * A value's tail: 1 when established, else the tool's rate of meeting new ones times the fleet's
   * factor for how widespread the value is.
   */
  private noveltyTail(kind: FleetKind, tool: string, value: string, ms: number): number {
    if (established(this.fleetMap(kind).get(value), ms)) return 1;
    return this.rate(kind, tool) * this.fleetFactor(kind, value, ms);
  }

  /**
   * Bytes sent to the destination in the hour before `ms` (not counting an event at `ms`), the
   * agent's `held` calls of that hour included.
   */
  private bytesInHour(destination: string, ms: number, held: readonly SecurityEvent[]): number {
    let sum = 0;
    for (const event of held)
      if (inHour(event, ms) && destinationOf(event) === destination)
        sum += outboundBytes(event.resourceUsage);
    const window = this.recentBytes.get(destination);
    if (window === undefined) return sum;
    sum += window.sum;
    const start = hourStart(window, ms);
    for (let i = window.head; i < start; i++) sum -= window.bytes[i]!;
    return sum;
  }

  /**
   * Whether bytes to a destination are judged as bytes to a young one: it is not established, or it
   * is only by its calls of the hour before `ms` (learned or not). A domain contacted a few times
   * days ago does not become routine within the hour of an upload to it, however many calls that
   * upload takes. (Judging only: what is learned as young is what {@link established} says.)
   */
  private youngForVolume(destination: string, stats: ValueStats | undefined, ms: number): boolean {
    if (!established(stats, ms)) return true;
    if (ms - stats!.firstMs >= YOUNG_MS) return false;
    const window = this.recentBytes.get(destination);
    const callsInHour = window === undefined ? 0 : window.times.length - hourStart(window, ms);
    return stats!.learned - callsInHour < ESTABLISHED_USES;
  }

  /**
   * The event's tails. `tool` is its tool's name (or the no-tool category); `facts` its path's;
   * `held` the agent's calls held ahead of its clock, not placed yet (see `BaselineLearner`): those
   * of the event's hour count toward its destination's hour and its tool's (the second call of an
   * upload after a quiet night is judged with the first, as if both were placed).
   */
  tails(
    event: SecurityEvent,
    tool: string,
    facts: PathFacts | undefined,
    robust: boolean,
    out: BehaviourTails,
    held: readonly SecurityEvent[] = NO_EVENTS,
  ): BehaviourTails {
    const ms = event.timestamp.getTime();
    let content = 1;
    let novelty = 1;
    if (facts !== undefined) {
      if (facts.sensitive !== undefined && !established(this.sensitiveFiles.get(facts.template), ms)) {
        content = Math.min(1, SENSITIVE_TAIL * (1 + this.pooled.sensitive.novel));
      }
      novelty = this.noveltyTail('place', tool, facts.directory, ms);
    }
    const destination = destinationOf(event);
    if (destination !== undefined)
      novelty = Math.min(novelty, this.noveltyTail('destination', tool, destination, ms));
    let action = 1;
    const verb = verbOf(event);
    if (verb !== undefined) action = this.verbTail(tool, verb);
    out.content = content;
    out.novelty = novelty;
    out.action = action;
    out.volume = this.volumeTail(tool, destination, outboundBytes(event.resourceUsage), ms, robust, held);
    out.counters = this.countersTail(event.resourceUsage, tool, robust);
    out.concentration = destination === undefined ? 1 : this.concentrationTail(tool, destination, ms, held);
    return out;
  }

  private verbTail(tool: string, verb: string): number {
    const stats = this.verbs.get(`${tool}\0${verb}`);
    if (stats !== undefined && stats.learned > 0) return 1;
    const rate = this.rate('verb', tool);
    return DESTRUCTIVE_VERBS.has(verb) ? rate * DESTRUCTIVE_FACTOR : rate;
  }

  /**
   * The destination's hourly sum as a sum of the tool's pooled distribution: at the same distance
   * from the centre, in units of scale, as from the destination's own centre and scale (shrunk
   * toward the tool's by its number of hours, n / (n + OWN_PRIOR)). A destination the tool uses now
   * and then, with hours far lighter than the tool's busiest destination's, is judged on its own
   * terms, but with the pooled distribution's many samples for the tail; the sum as it is while the
   * destination has fewer than MIN_SAMPLES hours.
   */
  private onToolScale(
    tool: string,
    destination: string,
    sum: number,
    hourly: FadingHistogram,
    robust: boolean,
  ): number {
    const own = this.ownHours.get(tool)?.get(destination);
    if (own === undefined || own.total < MIN_SAMPLES || hourly.total < MIN_SAMPLES) return sum;
    const w = own.total / (own.total + OWN_PRIOR);
    const toolCentre = hourly.logCentre(robust);
    const toolScale = hourly.logScale(robust);
    const centre = w * own.logCentre(robust) + (1 - w) * toolCentre;
    const scale = w * own.logScale(robust) + (1 - w) * toolScale;
    return Math.expm1(toolCentre + ((Math.log1p(sum) - centre) / scale) * toolScale);
  }

  /**
   * The concentration of calls on `destination` within the hour before `ms`, with one more call to it
   * at `ms` (the event judged, or the one being learned, not yet counted).
   */
  private concentrationAt(
    tool: string,
    calls: ToolCalls,
    destination: string,
    ms: number,
    held: readonly SecurityEvent[],
  ): number {
    const share = this.hourShare(tool, calls, destination, ms, held);
    // The call itself is the novelty dimension's to judge (a first call to a rare destination);
    // this one asks whether the hour's other calls went there too.
    return concentration(share.calls - 1, share.all - 1, share.usual);
  }

  /**
   * The tool's calls within the hour before `ms` and one more at `ms`: how many went to
   * `destination`, of how many, and the share of the tool's learned calls it usually gets (smoothed,
   * and at least the tool's rate of new destinations: a value it barely knows is one of the many it
   * meets, and its share must not shrink as the tool's history grows). A destination still young
   * (not established) has only that rate: a few calls planted days ago do not make it one the tool
   * usually crowds onto. Not while the agent itself is younger than YOUNG_MS: then every value is
   * young, and the concentrations learned then would measure nothing but that. The agent's `held`
   * calls of the hour count as calls (see {@link tails}).
   */
  private hourShare(
    tool: string,
    calls: ToolCalls,
    destination: string,
    ms: number,
    held: readonly SecurityEvent[],
  ) {
    let heldTo = 0;
    let heldAll = 0;
    for (const event of held) {
      const to = destinationOf(event);
      if (to === undefined || (event.toolName ?? NO_TOOL) !== tool || !inHour(event, ms)) continue;
      heldAll++;
      if (to === destination) heldTo++;
    }
    const to = this.callsInHour(destination, ms) + heldTo + 1;
    const all = Math.max(to, calls.times.length - firstInHour(calls.times, calls.head, ms) + heldAll + 1);
    const stats = this.destinations.get(destination);
    const ownShare = ms - this.startMs < YOUNG_MS || established(stats, ms);
    const learned = ownShare ? (stats?.learned ?? 0) : 0;
    const usual = Math.max((learned + 1) / (calls.uses + 1), this.rate('destination', tool));
    return { calls: to, all, usual: Math.min(1, usual) };
  }

  /**
   * P(an ordinary call of this tool finds its destination this crowded in the hour): against the
   * tool's learned concentrations (see {@link FadingHistogram.exceedance}).
   */
  private concentrationTail(
    tool: string,
    destination: string,
    ms: number,
    held: readonly SecurityEvent[],
  ): number {
    const learned = this.concentrations.get(tool);
    const calls = this.toolCalls.get(tool);
    if (learned === undefined || calls === undefined || learned.total < MIN_SAMPLES) return 1;
    return learned.exceedance(this.concentrationAt(tool, calls, destination, ms, held));
  }

  private callsInHour(destination: string, ms: number): number {
    const window = this.recentBytes.get(destination);
    return window === undefined ? 0 : window.times.length - hourStart(window, ms);
  }

  /** The tool's calls to destinations, made if there is room (`cap` tools). */
  private callsOf(tool: string, cap: number): ToolCalls | undefined {
    let calls = this.toolCalls.get(tool);
    if (calls === undefined && this.toolCalls.size < cap) {
      calls = { times: [], head: 0, uses: 0 };
      this.toolCalls.set(tool, calls);
    }
    return calls;
  }

  /** Outbound bytes per call for the tool, and per destination within the hour (twice the smaller). */
  private volumeTail(
    tool: string,
    destination: string | undefined,
    outbound: number,
    ms: number,
    robust: boolean,
    held: readonly SecurityEvent[],
  ): number {
    if (!(outbound > 0)) return 1;
    let tail = this.outbound.get(tool)?.tail(outbound, robust) ?? 1;
    if (destination !== undefined) {
      const sum = this.bytesInHour(destination, ms, held) + outbound;
      const hourly = this.destinationHours.get(tool);
      if (hourly !== undefined)
        tail = Math.min(tail, hourly.tail(this.onToolScale(tool, destination, sum, hourly, robust), robust));
      // A destination still young to the agent is also judged jointly: P(a call of this tool sends
      // bytes to a young destination) x P(this much within the hour | a young destination), the chance
      // that an ordinary call is both (the chain rule, no independence assumed). A first look at a new
      // domain is light; an upload to one is rare twice over. Bonferroni over the three then.
      const young = this.youngForVolume(destination, this.destinations.get(destination), ms)
        ? this.youngHours.get(tool)
        : undefined;
      if (young !== undefined && young.total >= MIN_SAMPLES)
        tail = Math.min(1, 3 * Math.min(tail, this.rate('young', tool) * young.tail(sum, robust)));
      else tail = Math.min(1, 2 * tail);
    }
    return tail;
  }

  /** The tool's other counters, each against its own history, Bonferroni over those judged. */
  private countersTail(usage: Readonly<Record<string, number>>, tool: string, robust: boolean): number {
    const histograms = this.counters.get(tool);
    if (histograms === undefined) return 1;
    let judged = 0;
    let tail = 1;
    for (const key in usage) {
      if (isVolumeKey(key)) continue;
      const histogram = histograms.get(key);
      if (histogram === undefined) continue;
      judged++;
      const t = histogram.tail(usage[key]!, robust, true);
      if (t < tail) tail = t;
    }
    return Math.min(1, tail * Math.max(1, judged));
  }

  /**
   * The rate tail in the context of the period of the day (twice the smaller of the hour's and the
   * last 5 minutes' tails), or NaN until the period has enough learned calls to judge by.
   */
  periodRateTail(period: number, callsNow: number, burstNow: number, robust: boolean): number {
    const calls = this.periodCalls[period]!;
    if (calls.total < 50) return Number.NaN;
    return Math.min(
      1,
      2 * Math.min(calls.tail(callsNow, robust), this.periodBurst[period]!.tail(burstNow, robust)),
    );
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
      this.seeValue('place', facts.directory, ms, weight, cap);
      if (facts.sensitive !== undefined) {
        const known = this.sensitiveFiles.get(facts.template);
        if (known === undefined) this.countNovelty('sensitive', tool, true, ms);
        see(this.sensitiveFiles, facts.template, ms, weight, cap);
      }
    }
    const destination = destinationOf(event);
    const calls = destination === undefined ? undefined : this.callsOf(tool, cap);
    if (destination !== undefined) {
      this.countNovelty('destination', tool, !this.destinations.has(destination), ms);
      if (calls !== undefined) {
        if (countActivity && ms - this.startMs >= WARM_UP_MS)
          histogramFor(this.concentrations, tool, cap).add(
            this.concentrationAt(tool, calls, destination, ms, NO_EVENTS),
          );
        calls.uses += weight;
      }
      this.seeValue('destination', destination, ms, weight, cap);
    }
    const verb = verbOf(event);
    if (verb !== undefined) {
      const key = `${tool}\0${verb}`;
      this.countNovelty('verb', tool, this.verbs.get(key) === undefined, ms);
      see(this.verbs, key, ms, weight, cap);
    }
    if (countActivity) {
      const usage = event.resourceUsage;
      for (const key in usage) {
        if (isVolumeKey(key)) continue;
        let histograms = this.counters.get(tool);
        if (histograms === undefined) {
          histograms = new Map();
          if (this.counters.size < cap) this.counters.set(tool, histograms);
        }
        histogramFor(histograms, key, cap).add(usage[key]!);
      }
      const outbound = outboundBytes(usage);
      if (calls !== undefined) addCall(calls, ms);
      if (outbound > 0) histogramFor(this.outbound, tool, cap).add(outbound);
      if (destination !== undefined) {
        const sum = this.addBytes(destination, ms, outbound);
        if (outbound > 0) {
          histogramFor(this.destinationHours, tool, cap).add(sum);
          this.ownHistogram(tool, destination, cap)?.add(sum);
          const young = !established(this.destinations.get(destination), ms);
          if (young) histogramFor(this.youngHours, tool, cap).add(sum);
          this.countNovelty('young', tool, young, ms);
        }
      }
      if (recent !== undefined) {
        this.periodCalls[period]!.add(recent.events);
        this.periodBurst[period]!.add(recent.burst);
      }
    }
    if (++this.learnedSinceSweep >= 1000) this.sweep(ms, cap);
  }

  /**
   * Marks a value as seen (not learned): it was recorded, but judged unusual. Its call and bytes
   * count toward its destination's hour all the same (exfiltration spread over many calls adds up).
   */
  sighted(event: SecurityEvent, tool: string, facts: PathFacts | undefined, cap: number): void {
    const ms = event.timestamp.getTime();
    if (facts !== undefined) this.seeValue('place', facts.directory, ms, 0, cap);
    const destination = destinationOf(event);
    if (destination === undefined) return;
    this.seeValue('destination', destination, ms, 0, cap);
    const calls = this.callsOf(tool, cap);
    if (calls !== undefined) addCall(calls, ms);
    this.addBytes(destination, ms, outboundBytes(event.resourceUsage));
  }

  /**
   * The tool's histogram of hourly sums to the destination, made if there is room: `cap` of them in
   * all tools together (a tool per destination is the usual case; many tools times many
   * destinations is not, and must not grow the agent's memory by their product).
   */
  private ownHistogram(tool: string, destination: string, cap: number): FadingHistogram | undefined {
    let own = this.ownHours.get(tool);
    const histogram = own?.get(destination);
    if (histogram !== undefined || this.ownEntries >= cap) return histogram;
    if (own === undefined) {
      own = new Map();
      this.ownHours.set(tool, own);
    }
    const made = new FadingHistogram();
    own.set(destination, made);
    this.ownEntries++;
    return made;
  }

  /** Adds bytes sent to a destination; returns the destination's sum over the last hour. */
  private addBytes(destination: string, ms: number, bytes: number): number {
    let window = this.recentBytes.get(destination);
    if (window === undefined) {
      if (this.recentBytes.size >= MAX_WINDOWS) this.evictWindows(ms);
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

  /**
   * Makes room for a destination's window: drops those with nothing in the hour before `ms` (a
   * destination met once in passing), then, while still full, those idle longest (half an hour, a
   * quarter, ...; rare: as many destinations within the hour), then the oldest made. Clearing them
   * all would forget, mid-transfer, what the hour sent.
   */
  private evictWindows(ms: number): void {
    const room = MAX_WINDOWS - (MAX_WINDOWS >> 3);
    for (let idle = HOUR_MS; this.recentBytes.size >= room && idle >= 1000; idle /= 2) {
      for (const [destination, window] of this.recentBytes) {
        const newest = window.times[window.times.length - 1];
        if (newest === undefined || newest <= ms - idle) this.recentBytes.delete(destination);
      }
    }
    for (const destination of this.recentBytes.keys()) {
      if (this.recentBytes.size < room) break;
      this.recentBytes.delete(destination);
    }
  }

  /**
   * Forgets values not seen for the window's span, and trims vocabularies to `cap` (oldest first);
   * a destination forgotten takes its own hourly sums along.
   */
  private sweep(ms: number, cap: number): void {
    this.learnedSinceSweep = 0;
    trim(this.destinations, ms - this.windowMs, cap, this.forgetDestination);
    trim(this.places, ms - this.windowMs, cap, this.forgetPlace);
    for (const map of [this.sensitiveFiles, this.verbs]) trim(map, ms - this.windowMs, cap);
    for (const [tool, own] of this.ownHours) {
      for (const destination of own.keys()) {
        if (this.destinations.has(destination)) continue;
        own.delete(destination);
        this.ownEntries--;
      }
      if (own.size === 0) this.ownHours.delete(tool);
    }
  }

  /** A short account of the strongest finding, for explanations (`held` as in {@link tails}). */
  describe(
    event: SecurityEvent,
    tool: string,
    facts: PathFacts | undefined,
    dimension: keyof BehaviourTails,
    held: readonly SecurityEvent[] = NO_EVENTS,
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
            `destination ${destination}, ${firstUse('contacted', this.destinations.get(destination), ms)}${this.fleetWords('destination', destination, ms)}`,
          );
        if (facts !== undefined && !established(this.places.get(facts.directory), ms))
          parts.push(
            `location ${facts.directory}, ${firstUse('used', this.places.get(facts.directory), ms)}${this.fleetWords('place', facts.directory, ms)}`,
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
        const outbound = outboundBytes(event.resourceUsage);
        const perCall = this.outbound.get(tool);
        if (perCall !== undefined && perCall.total >= MIN_SAMPLES) {
          const [low, high] = perCall.range();
          if (outbound > high)
            parts.push(
              `sent ${formatBytes(outbound)} in one call (typical for ${tool} ${formatBytes(low)}-${formatBytes(high)})`,
            );
        }
        if (destination !== undefined && outbound > 0) {
          const sum = this.bytesInHour(destination, ms, held) + outbound;
          const stats = this.destinations.get(destination);
          const young = this.youngForVolume(destination, stats, ms);
          const share = young ? this.rate('young', tool) : 1;
          if (sum > outbound || young)
            parts.push(
              `sent ${formatBytes(sum)} to ${destination} within the hour, ${firstUse('contacted', stats, ms)}${share < 1 ? ` (${tool} sends to a destination it barely knows on ${formatShare(share)} of its calls)` : ''}`,
            );
        }
        return parts.length ? parts.join('; ') : undefined;
      }
      case 'concentration': {
        const calls = this.toolCalls.get(tool);
        if (destination === undefined || calls === undefined) return undefined;
        const share = this.hourShare(tool, calls, destination, ms, held);
        return `${share.calls} of ${tool}'s ${share.all} calls within the hour went to ${destination} (usually ${formatShare(share.usual)} of them)`;
      }
    }
  }
}

/**
 * How crowded one destination is among a tool's calls within an hour: `calls` of the `all` calls
 * went to it, where it usually gets share `p` of them. The log-likelihood ratio of that many against
 * its usual share, all x KL(calls/all || p) (0 when no more than usual): by Chernoff's bound, an
 * hour that crowded is at most e^-ratio likely were each call an independent draw; real hours are
 * not (sessions, paging), so the ratio is judged against the tool's own hours, not that bound.
 */
export function concentration(calls: number, all: number, p: number): number {
  if (!(calls > 0 && all > 0)) return 0;
  const a = Math.min(1, calls / all);
  if (a <= p) return 0;
  const rest = a < 1 ? (1 - a) * Math.log((1 - a) / (1 - p)) : 0;
  return all * (a * Math.log(a / p) + rest);
}

/**
 * A tool's calls to destinations: their times in the last hour (learned or not; oldest first from
 * `head`), and the weight of those it learned (its destinations' learned counts are shares of it).
 */
export interface ToolCalls {
  readonly times: number[];
  head: number;
  uses: number;
}

/** No events (nothing held). */
export const NO_EVENTS: readonly SecurityEvent[] = [];

/** Whether an event falls within the hour up to `ms` (after `ms - 1 h`, not after `ms`). */
function inHour(event: SecurityEvent, ms: number): boolean {
  const t = event.timestamp.getTime();
  return t > ms - HOUR_MS && t <= ms;
}

/** Index of the first time from `head` within the hour before `ms`. */
function firstInHour(times: readonly number[], head: number, ms: number): number {
  let i = head;
  while (i < times.length && times[i]! <= ms - HOUR_MS) i++;
  return i;
}

/** Counts a call at `ms` in the tool's hour (times arrive about in order). */
function addCall(calls: ToolCalls, ms: number): void {
  const times = calls.times;
  calls.head = firstInHour(times, calls.head, ms);
  // Times past the hour go once they are half of what is held (a quiet tool keeps few).
  if (calls.head >= 16 && 2 * calls.head >= times.length) {
    times.splice(0, calls.head);
    calls.head = 0;
  }
  if (times.length - calls.head < MAX_HOUR_CALLS) times.push(ms);
}

/** Index of the first call of a destination's window within the hour before `ms`. */
function hourStart(window: DestinationWindow, ms: number): number {
  return firstInHour(window.times, window.head, ms);
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

function formatBytes(value: number): string {
  if (value >= 1e9) return `${(value / 1e9).toFixed(1)} GB`;
  if (value >= 1e6) return `${(value / 1e6).toFixed(1)} MB`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(0)} KB`;
  return `${value.toFixed(0)} B`;
}

/** Told of each value a vocabulary forgets. */
type Forget = (value: string, stats: ValueStats) => void;

function see(
  map: Map<string, ValueStats>,
  value: string,
  ms: number,
  weight: number,
  cap: number,
  forget?: Forget,
): ValueStats {
  const stats = map.get(value);
  if (stats === undefined) {
    if (map.size >= cap + (cap >> 3)) trim(map, Number.NEGATIVE_INFINITY, cap, forget);
    const made = { learned: weight, firstMs: ms, lastMs: ms };
    map.set(value, made);
    return made;
  }
  stats.learned += weight;
  if (ms > stats.lastMs) stats.lastMs = ms;
  if (ms < stats.firstMs) stats.firstMs = ms;
  return stats;
}

/** Drops values last seen before `beforeMs`, then the least recently seen past `cap`. */
function trim(map: Map<string, ValueStats>, beforeMs: number, cap: number, forget?: Forget): void {
  for (const [value, stats] of map) {
    if (stats.lastMs >= beforeMs) continue;
    map.delete(value);
    forget?.(value, stats);
  }
  if (map.size <= cap) return;
  const byAge = [...map].sort((a, b) => a[1].lastMs - b[1].lastMs);
  for (let i = 0; i < byAge.length - cap; i++) {
    map.delete(byAge[i]![0]);
    forget?.(byAge[i]![0], byAge[i]![1]);
  }
}

function histogramFor(map: Map<string, FadingHistogram>, key: string, cap: number): FadingHistogram {
  let histogram = map.get(key);
  if (histogram === undefined) {
    histogram = new FadingHistogram();
    if (map.size < cap) map.set(key, histogram);
  }
  return histogram;
}
