// FeatureExtractor: fitted on one agent's training events, it turns any event into a fixed-length
// Float64Array with stable names. It learns vocabularies (event types, tools, destinations, file
// locations), neutral values for missing fields, and the typical range of every feature.
import {
  type CompactEvents,
  destinationOf,
  directoryOf,
  ensureSecurityEvent,
  LocalClock,
  parseOrThrow,
  type SecurityEvent,
  templatePath,
  ValidationError,
} from '@harombe/models';
import { ActivityWindow, type WindowEntry, type WindowStats } from './activity-window.js';
import { FeatureExtractorError, featureModelError } from './errors.js';
import { EVENT_FEATURES, F, type FeatureInfo, layout, WINDOW_FEATURES } from './feature-names.js';
import {
  type FeatureExtractorOptions,
  FeatureExtractorOptionsSchema,
  type ResolvedFeatureOptions,
} from './options.js';
import { quantilesInPlace } from './order-statistics.js';
import { Rarity } from './rarity.js';
import { decodeExtractor, encodeExtractor, type SerializedExtractor } from './serialization.js';
import type { ExtractorSnapshot, ExtractorState, FeatureRange } from './state.js';

const TWO_PI = 2 * Math.PI;
/** The weekday's position on the circle (the same values as computing them per event). */
const WEEKDAY_SIN = Float64Array.from({ length: 7 }, (_, day) => Math.sin((TWO_PI * day) / 7));
const WEEKDAY_COS = Float64Array.from({ length: 7 }, (_, day) => Math.cos((TWO_PI * day) / 7));
/** The tool "category" of events that name no tool. */
export const NO_TOOL = '(none)';

/** A row-major matrix of feature vectors (one row per event). */
export interface FeatureMatrix {
  readonly data: Float64Array;
  readonly rows: number;
  readonly columns: number;
}

export { destinationOf, directoryOf };

/** Novelty in an agent's first week of training is the agent starting out, not its habit. */
const WARM_UP_MS = 7 * 86_400_000;

function median(values: readonly number[]): number {
  if (values.length === 0) return 0;
  return quantilesInPlace(Float64Array.from(values), [0.5])[0]!;
}

/**
 * Extra order statistics of the training columns, read in the same pass as the features' own
 * percentiles (each column is gathered and partially ordered once).
 */
export interface FitColumnsOptions {
  /** Ranks (0-based, in sorted order) to place in every column besides the percentiles' own. */
  readonly ranks?: readonly number[];
  /**
   * Called with each feature column (training order lost): every rank in `ranks` holds what a sorted
   * copy holds there, with no larger value before it and no smaller after it, so a range between
   * two such ranks holds the sorted copy's values there. The array is reused for the next column.
   */
  readonly onColumn?: (column: Float64Array, feature: number) => void;
}

/**
 * Turns events into fixed, named feature vectors.
 *
 * @example
 * const extractor = new FeatureExtractor({ timeZone: 'Europe/Berlin' });
 * const matrix = extractor.fitTransform(trainingEvents); // one row per event, in time order
 * const vector = extractor.transform(parseSecurityEvent(raw)); // Float64Array(extractor.dimension)
 */
export class FeatureExtractor {
  readonly options: Readonly<ResolvedFeatureOptions>;
  private readonly clock: LocalClock;
  private window: ActivityWindow;
  private state: ExtractorState | undefined;
  private infos: FeatureInfo[] = [];
  /** The window entry of the event at hand: the window copies what it keeps, so one object serves. */
  private readonly entry: MutableEntry = {
    timeMs: 0,
    durationMs: Number.NaN,
    tool: undefined,
    destination: undefined,
    failed: false,
    fileOperation: false,
  };
  /** Places of recent paths (see `placeOf`). */
  private readonly places = new Map<string, string>();
  private readonly windowStats: WindowStats = {
    callsPerHour: 0,
    toolInvocationsPerHour: 0,
    errorsPerHour: 0,
    avgDurationMs: 0,
    maxDurationMs: 0,
    uniqueTools: 0,
    uniqueDestinations: 0,
    fileOperations: 0,
  };

  constructor(options: FeatureExtractorOptions = {}) {
    this.options = Object.freeze(
      parseOrThrow(FeatureExtractorOptionsSchema, options, 'FeatureExtractor options'),
    );
    this.clock = new LocalClock(this.options.timeZone);
    this.window = this.newWindow();
  }

  private newWindow(): ActivityWindow {
    return new ActivityWindow(this.options.windowMs, this.options.windowCapacity, this.options);
  }

  get fitted(): boolean {
    return this.state !== undefined;
  }

  /** Feature names in vector order. */
  get featureNames(): readonly string[] {
    this.requireState('featureNames');
    return this.infos.map((info) => info.name);
  }

  /** Feature descriptions in vector order. */
  get features(): readonly FeatureInfo[] {
    this.requireState('features');
    return this.infos;
  }

  /** Length of every vector. */
  get dimension(): number {
    this.requireState('dimension');
    return this.infos.length;
  }

  /** What was learned (read-only view). */
  get learned(): Readonly<ExtractorState> {
    return this.requireState('learned');
  }

  /**
   * Learns from an agent's training events (any order; snake_case or camelCase) and returns the
   * training vectors in time order, each computed with the sliding window as it stood at that event.
   * The window is left holding the last `windowMs` of training, so live events continue it.
   * @throws {ValidationError} an event is invalid (names the index and field).
   * @throws {FeatureExtractorError} no events.
   */
  fitTransform(inputs: readonly unknown[] | CompactEvents, options: FitColumnsOptions = {}): FeatureMatrix {
    if (inputs === null || typeof inputs !== 'object')
      throw new FeatureExtractorError('FeatureExtractor.fit needs an array of events or a CompactEvents');
    if (inputs.length === 0) throw new FeatureExtractorError('FeatureExtractor.fit needs at least one event');
    const events = isEventArray(inputs) ? arrayInTimeOrder(inputs) : compactInTimeOrder(inputs);
    const rows = events.length;
    this.learnVocabulary(events);
    const columns = this.infos.length;
    const data = new Float64Array(rows * columns);
    this.window = this.newWindow();
    const row = new Float64Array(columns);
    const windowFeatures = this.options.windowFeatures;
    // Novelty as training saw it, in time order: a destination or place is new at its first use
    // (after the first week, when everything is), so an agent that often meets new ones (long-tail
    // browsing) has novelty in its training rows and one that never does has none.
    const seenDestinations = new Set<string>();
    const seenPlaces = new Set<string>();
    const warmUpEnd = rows > 0 ? events.at(0).timestamp.getTime() + WARM_UP_MS : 0;
    for (let i = 0; i < rows; i++) {
      const event = events.at(i);
      const entry = this.entryOf(event);
      this.vector(event, windowFeatures ? entry : undefined, row);
      const settled = event.timestamp.getTime() >= warmUpEnd;
      const destination = destinationOf(event);
      if (destination !== undefined && !seenDestinations.has(destination)) {
        seenDestinations.add(destination);
        if (settled) row[F.newDestination] = 1;
      }
      if (event.filePath !== undefined) {
        const place = this.placeOf(event.filePath);
        if (!seenPlaces.has(place)) {
          seenPlaces.add(place);
          if (settled) row[F.newFileLocation] = 1;
        }
      }
      data.set(row, i * columns);
      this.window.add(entry);
    }
    this.setRanges(data, rows, columns, options);
    return { data, rows, columns };
  }

  /** {@link fitTransform} without returning the vectors. */
  fit(inputs: readonly unknown[] | CompactEvents): this {
    this.fitTransform(inputs);
    return this;
  }

  /**
   * The event's feature vector. Window features describe the window as it would be with this event
   * in it; the window itself is not changed (call {@link observe} to record the event).
   * Never NaN or infinite. `out` (length {@link dimension}) avoids an allocation.
   */
  transform(event: SecurityEvent, out: Float64Array = new Float64Array(this.infos.length)): Float64Array {
    return this.vector(event, this.options.windowFeatures ? this.entryOf(event) : undefined, out);
  }

  /** {@link transform} with the event's window entry already made (fitting makes it once for both uses). */
  private vector(event: SecurityEvent, entry: WindowEntry | undefined, out: Float64Array): Float64Array {
    const state = this.requireState('transform');
    const ms = event.timestamp.getTime();
    out[F.resourceCount] = event.resourceCount ?? state.neutral[0]!;
    out[F.duration] = event.durationMs === undefined ? state.neutral[1]! : Math.log1p(event.durationMs);
    const hour = this.clock.hourOfDay(ms);
    const day = this.clock.dayOfWeek(ms);
    out[F.hourSin] = Math.sin((TWO_PI * hour) / 24);
    out[F.hourCos] = Math.cos((TWO_PI * hour) / 24);
    out[F.weekdaySin] = WEEKDAY_SIN[day]!;
    out[F.weekdayCos] = WEEKDAY_COS[day]!;
    out[F.weekend] = day >= 5 ? 1 : 0;
    out[F.eventTypeRarity] = state.eventTypes.rarity(event.eventType);
    out[F.toolRarity] = state.tools.rarity(event.toolName ?? NO_TOOL);
    out[F.failure] = event.success ? 0 : 1;
    const destination = destinationOf(event);
    out[F.newDestination] = destination !== undefined && !state.destinations.has(destination) ? 1 : 0;
    out[F.newFileLocation] =
      event.filePath !== undefined && !state.directories.has(this.placeOf(event.filePath)) ? 1 : 0;
    let index = EVENT_FEATURES.length;
    const keys = state.resourceKeys;
    for (let k = 0; k < keys.length; k++) {
      const value = event.resourceUsage[keys[k]!];
      out[index++] = value === undefined ? state.neutral[2 + k]! : Math.log1p(value);
    }
    if (entry !== undefined && !this.window.covers(entry.timeMs)) {
      // Too late for the window to know its hour: the training medians, which say nothing either way
      // (an empty window would read as an unusually quiet hour).
      const ranges = state.ranges;
      for (let k = 0; k < WINDOW_FEATURES.length; k++, index++) out[index] = ranges[index]!.p50;
    } else if (entry !== undefined) {
      const stats = this.window.statsWith(entry, this.windowStats);
      out[index++] = stats.callsPerHour;
      out[index++] = stats.toolInvocationsPerHour;
      out[index++] = stats.errorsPerHour;
      out[index++] = Math.log1p(stats.avgDurationMs);
      out[index++] = Math.log1p(stats.maxDurationMs);
      out[index++] = stats.uniqueTools;
      out[index++] = stats.uniqueDestinations;
      out[index++] = stats.fileOperations;
    }
    return out;
  }

  /**
   * Records an event into the sliding window. An event older than the window's newest is placed at
   * the newest time while it is still inside the window (so the window never moves backwards), and
   * not at all once older; one more than `maxLeadMs` ahead is held until confirmed (see the options).
   */
  observe(event: SecurityEvent): void {
    this.window.add(this.entryOf(event));
  }

  /**
   * The window's aggregates now, or at `atMs` (advancing the window to it when it is the present; a
   * time in the past or far ahead is read without changing the window), as the spec's FeatureVector fields.
   */
  activity(atMs?: number): WindowStats {
    if (atMs === undefined) return { ...this.window.statsWith(undefined, this.windowStats) };
    return { ...this.window.statsAtTime(atMs, this.windowStats) };
  }

  /**
   * Adds a confirmed-normal event to the vocabularies (its type, tool, destination and directory
   * stop being rare or new). Ranges and neutral values are kept until the next fit.
   */
  learn(event: SecurityEvent): void {
    const state = this.requireState('learn');
    const cap = this.options.maxVocabulary;
    if (state.eventTypes.count(event.eventType) > 0 || state.eventTypes.distinct < cap)
      state.eventTypes.add(event.eventType);
    const tool = event.toolName ?? NO_TOOL;
    if (state.tools.count(tool) > 0 || state.tools.distinct < cap) state.tools.add(tool);
    const destination = destinationOf(event);
    if (destination !== undefined && state.destinations.size < cap) state.destinations.add(destination);
    if (event.filePath !== undefined && state.directories.size < cap)
      state.directories.add(this.placeOf(event.filePath));
  }

  /**
   * The place a path names: its directory, templated (`/out/dt=2026-05-04/a.csv` → `/out/dt={date}`),
   * so that date partitions, numbered runs and ids recur instead of being new every time.
   */
  private placeOf(path: string): string {
    let place = this.places.get(path);
    if (place === undefined) {
      place = directoryOf(templatePath(path));
      if (this.places.size >= 4096) this.places.clear();
      this.places.set(path, place);
    }
    return place;
  }

  /** Typical range (5th, 50th, 95th percentile of training) of a feature, in feature units. */
  range(name: string): FeatureRange | undefined {
    const state = this.requireState('range');
    const index = this.infos.findIndex((info) => info.name === name);
    return index < 0 ? undefined : state.ranges[index];
  }

  /** Local hour of day (fractional) and weekday (0 = Monday) of an instant in the extractor's zone. */
  localTime(ms: number): { hour: number; weekday: number } {
    return { hour: this.clock.hourOfDay(ms), weekday: this.clock.dayOfWeek(ms) };
  }

  /** A versioned JSON snapshot of what was learned and of the live window. */
  toJSON(): SerializedExtractor {
    return encodeExtractor(this.snapshot());
  }

  /**
   * Restores an extractor from {@link toJSON} output (object or JSON text); it produces identical vectors.
   * @throws {featureModelError} foreign, wrong-version or malformed input.
   */
  static fromJSON(json: unknown): FeatureExtractor {
    const snapshot = decodeExtractor(json);
    const extractor = new FeatureExtractor(snapshot.options);
    extractor.state = snapshot.state;
    extractor.infos = layout(snapshot.state.resourceKeys, extractor.options.windowFeatures);
    if (extractor.infos.length !== snapshot.state.ranges.length) {
      throw featureModelError(
        'schema',
        `expected ${extractor.infos.length} ranges, found ${snapshot.state.ranges.length}`,
      );
    }
    extractor.replaceWindow(snapshot.window, snapshot.held);
    return extractor;
  }

  /** The extractor as plain data (what {@link toJSON} encodes). */
  private snapshot(): ExtractorSnapshot {
    return {
      options: this.options,
      state: this.learned,
      window: this.windowEntries(),
      held: this.heldEntries(),
    };
  }

  /**
   * Replaces the activity window with these entries (oldest first) and held ahead events, e.g. to
   * carry another extractor's window (`windowEntries()`, `heldEntries()`) over to a refitted one.
   */
  replaceWindow(entries: readonly WindowEntry[], held: readonly WindowEntry[] = []): void {
    this.window = this.newWindow();
    this.window.load(entries, held);
  }

  /** Events stamped too far ahead to be placed yet, oldest held first (see the `maxLeadMs` option). */
  heldEntries(): WindowEntry[] {
    return this.window.heldEntries();
  }

  /** The window's entries, oldest first (serialization, carrying a window across refits). */
  windowEntries(): WindowEntry[] {
    return this.window.entries();
  }

  private learnVocabulary(events: TrainingEvents): void {
    const cap = this.options.maxVocabulary;
    const eventTypeCounts = new Map<string, number>();
    const toolCounts = new Map<string, number>();
    const resourceKeyCounts = new Map<string, number>();
    /** ln(1 + value) of every resource counter, by key, in event order (for the neutral values). */
    const resourceValues = new Map<string, number[]>();
    const destinations = new Set<string>();
    const directories = new Set<string>();
    const hourCounts = new Float64Array(24);
    const weekdayCounts = new Float64Array(7);
    const resourceCounts: number[] = [];
    const durations: number[] = [];
    for (let i = 0; i < events.length; i++) {
      const event = events.at(i);
      eventTypeCounts.set(event.eventType, (eventTypeCounts.get(event.eventType) ?? 0) + 1);
      const tool = event.toolName ?? NO_TOOL;
      toolCounts.set(tool, (toolCounts.get(tool) ?? 0) + 1);
      const usage = event.resourceUsage;
      for (const key of Object.keys(usage)) {
        resourceKeyCounts.set(key, (resourceKeyCounts.get(key) ?? 0) + 1);
        let values = resourceValues.get(key);
        if (values === undefined) {
          values = [];
          resourceValues.set(key, values);
        }
        values.push(Math.log1p(usage[key]!));
      }
      const destination = destinationOf(event);
      if (destination !== undefined && destinations.size < cap) destinations.add(destination);
      if (event.filePath !== undefined && directories.size < cap)
        directories.add(this.placeOf(event.filePath));
      const ms = event.timestamp.getTime();
      hourCounts[Math.floor(this.clock.hourOfDay(ms))]!++;
      weekdayCounts[this.clock.dayOfWeek(ms)]!++;
      if (event.resourceCount !== undefined) resourceCounts.push(event.resourceCount);
      if (event.durationMs !== undefined) durations.push(Math.log1p(event.durationMs));
    }
    const byFrequency = (counts: Map<string, number>) =>
      [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, cap);
    const resourceKeys = byFrequency(resourceKeyCounts)
      .slice(0, this.options.maxResourceKeys)
      .map(([key]) => key)
      .sort();
    const neutral = new Float64Array(2 + resourceKeys.length);
    neutral[0] = median(resourceCounts);
    neutral[1] = median(durations);
    resourceKeys.forEach((key, k) => {
      neutral[2 + k] = median(resourceValues.get(key) ?? []);
    });
    this.infos = layout(resourceKeys, this.options.windowFeatures);
    this.state = {
      eventTypes: new Rarity(byFrequency(eventTypeCounts)),
      tools: new Rarity(byFrequency(toolCounts)),
      destinations,
      directories,
      resourceKeys,
      neutral,
      ranges: [],
      hourCounts,
      weekdayCounts,
      trainingEvents: events.length,
    };
  }

  private setRanges(data: Float64Array, rows: number, columns: number, options: FitColumnsOptions): void {
    const ranges: FeatureRange[] = [];
    const column = new Float64Array(rows);
    const extra = options.ranks ?? [];
    for (let c = 0; c < columns; c++) {
      for (let r = 0; r < rows; r++) column[r] = data[r * columns + c]!;
      const [p05, p50, p95] = quantilesInPlace(column, [0.05, 0.5, 0.95], extra);
      ranges.push({ p05: p05!, p50: p50!, p95: p95! });
      options.onColumn?.(column, c);
    }
    this.state = { ...this.state!, ranges };
  }

  /** The event's window entry, in the extractor's one entry object (valid until the next call). */
  private entryOf(event: SecurityEvent): WindowEntry {
    const entry = this.entry;
    entry.timeMs = event.timestamp.getTime();
    entry.durationMs = event.durationMs ?? Number.NaN;
    entry.tool = event.toolName;
    entry.destination = destinationOf(event);
    entry.failed = !event.success;
    entry.fileOperation = event.filePath !== undefined;
    return entry;
  }

  private requireState(member: string): ExtractorState {
    if (!this.state) throw new FeatureExtractorError(`FeatureExtractor.${member} requires fit(events) first`);
    return this.state;
  }
}

type MutableEntry = { -readonly [K in keyof WindowEntry]: WindowEntry[K] };

/** Parses the i-th training event, naming its index in the error. */
function parseAt(input: unknown, index: number): SecurityEvent {
  try {
    return ensureSecurityEvent(input);
  } catch (error) {
    if (error instanceof ValidationError) throw new ValidationError(`events[${index}]`, error.issues);
    throw error;
  }
}

/**
 * Training events in time order, one at a time. From a `CompactEvents` the event read is one reused
 * object: use it before reading the next (fitting keeps only strings and numbers of it).
 */
interface TrainingEvents {
  readonly length: number;
  at(i: number): SecurityEvent;
}

/** Stable: events at the same instant keep their input order. Nothing to do when already ordered. */
function timeOrder(length: number, timeAt: (i: number) => number): Int32Array | undefined {
  let sorted = true;
  let previous = length > 0 ? timeAt(0) : 0;
  for (let i = 1; i < length && sorted; i++) {
    const time = timeAt(i);
    sorted = previous <= time;
    previous = time;
  }
  if (sorted) return undefined;
  const times = Float64Array.from({ length }, (_, i) => timeAt(i));
  return Int32Array.from({ length }, (_, i) => i).sort((a, b) => times[a]! - times[b]! || a - b);
}

function arrayInTimeOrder(inputs: readonly unknown[]): TrainingEvents {
  const parsed = inputs.map(parseAt);
  const order = timeOrder(parsed.length, (i) => parsed[i]!.timestamp.getTime());
  const events = order ? Array.from(order, (i) => parsed[i]!) : parsed;
  return { length: events.length, at: (i) => events[i]! };
}

/** `Array.isArray` that narrows readonly arrays too. */
function isEventArray(inputs: readonly unknown[] | CompactEvents): inputs is readonly unknown[] {
  return Array.isArray(inputs);
}

/** A detector's reservoir, read column by column: no object per event. */
function compactInTimeOrder(compact: CompactEvents): TrainingEvents {
  // Duck-typed, so a CompactEvents from another copy of @harombe/models (CJS next to ESM) works too.
  if (typeof compact?.reader !== 'function' || typeof compact.timeAt !== 'function') {
    throw new FeatureExtractorError('FeatureExtractor.fit needs an array of events or a CompactEvents');
  }
  const read = compact.reader();
  const order = timeOrder(compact.length, (i) => compact.timeAt(i));
  return { length: compact.length, at: order ? (i) => read(order[i]!) : read };
}
