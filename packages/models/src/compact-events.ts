// Many events kept compactly, for a detector's training reservoir (up to 10,000 events per agent by
// default): what learning reads, in columns. Numbers sit in typed arrays, repeated labels (event
// type, tool, status) once each in a table, and the event id, file path and destination as
// references: about 200 bytes an event with its id and path strings (measured), where a parsed
// event object takes ~470 and a `trainingCopy` ~365 (its Date and property storage). Events come
// back as training copies.
import type { SecurityEventInput, TrainingFields } from './event/fields.js';
import type { SecurityEvent } from './event/parsed-event.js';
import { ensureSecurityEvent } from './event/parser.js';
import { NO_METADATA, NO_RESOURCES, trustedTrainingCopy } from './event/training-copy.js';

/** Label columns per event: type, tool (-1: none), status. */
const LABELS = 3;

export class CompactEvents {
  private size = 0;
  private times = new Float64Array(0);
  /** NaN where the event had none. */
  private durations = new Float64Array(0);
  private counts = new Float64Array(0);
  private success = new Uint8Array(0);
  private labels = new Int32Array(0);
  private readonly labelTable: string[] = [];
  private readonly labelIndex = new Map<string, number>();
  private readonly ids: (string | undefined)[] = [];
  private readonly paths: (string | undefined)[] = [];
  private readonly ips: (string | undefined)[] = [];
  private readonly domains: (string | undefined)[] = [];
  /** Resource usage of the events that had any. */
  private readonly usage: (Record<string, number> | undefined)[] = [];

  /**
   * @throws {ValidationError} an invalid event (each is parsed unless it was already).
   */
  static from(events: Iterable<SecurityEventInput | SecurityEvent>): CompactEvents {
    const compact = new CompactEvents();
    if (Array.isArray(events)) compact.grow(events.length);
    for (const event of events) compact.push(event);
    return compact;
  }

  get length(): number {
    return this.size;
  }

  /** @throws {ValidationError} an invalid event (parsed unless it was already). */
  push(input: SecurityEventInput | SecurityEvent): void {
    const event = ensureSecurityEvent(input);
    const i = this.size;
    if (i === this.times.length) this.grow(Math.max(16, 2 * i));
    this.times[i] = event.timestamp.getTime();
    this.durations[i] = event.durationMs ?? Number.NaN;
    this.counts[i] = event.resourceCount ?? Number.NaN;
    this.success[i] = event.success ? 1 : 0;
    this.labels[i * LABELS] = this.label(event.eventType);
    this.labels[i * LABELS + 1] = event.toolName === undefined ? -1 : this.label(event.toolName);
    this.labels[i * LABELS + 2] = this.label(event.status);
    this.ids[i] = event.eventId;
    this.paths[i] = event.filePath;
    this.ips[i] = event.destinationIp;
    this.domains[i] = event.destinationDomain;
    this.usage[i] = Object.keys(event.resourceUsage).length > 0 ? event.resourceUsage : undefined;
    this.size = i + 1;
  }

  /** The i-th event as a training copy: the fields pushed that learning reads, and its id. */
  at(i: number): SecurityEvent {
    if (!(i >= 0 && i < this.size)) throw new RangeError(`CompactEvents.at: no event ${i} of ${this.size}`);
    const tool = this.labels[i * LABELS + 1]!;
    const duration = this.durations[i]!;
    const count = this.counts[i]!;
    return trustedTrainingCopy({
      timestamp: new Date(this.times[i]!),
      eventType: this.labelTable[this.labels[i * LABELS]!]!,
      success: this.success[i] === 1,
      status: this.labelTable[this.labels[i * LABELS + 2]!]!,
      resourceUsage: this.usage[i] ?? NO_RESOURCES,
      eventId: this.ids[i],
      toolName: tool < 0 ? undefined : this.labelTable[tool],
      durationMs: Number.isNaN(duration) ? undefined : duration,
      resourceCount: Number.isNaN(count) ? undefined : count,
      destinationIp: this.ips[i],
      destinationDomain: this.domains[i],
      filePath: this.paths[i],
    } satisfies TrainingFields);
  }

  /** The i-th event's time (epoch ms), without reading the rest of it. */
  timeAt(i: number): number {
    if (!(i >= 0 && i < this.size))
      throw new RangeError(`CompactEvents.timeAt: no event ${i} of ${this.size}`);
    return this.times[i]!;
  }

  /**
   * Reads events into one reused object, for a single pass that keeps nothing of them (fitting
   * features straight from the columns, without an object per event): each read overwrites the object
   * the previous one returned. It holds what {@link at} gives, but is neither frozen nor a parsed
   * event (`ensureSecurityEvent` would parse it again). It decodes the columns as {@link at} does,
   * written out again on purpose: one decoder shared by both objects made refits ~15% slower.
   * @throws {RangeError} (from the read) a position outside `0 .. length - 1`.
   */
  reader(): (i: number) => SecurityEvent {
    const view: TrainingFields & Pick<SecurityEvent, 'metadata'> = {
      timestamp: new Date(0),
      eventType: '',
      success: true,
      status: '',
      resourceUsage: NO_RESOURCES,
      metadata: NO_METADATA,
      eventId: undefined,
      toolName: undefined,
      durationMs: undefined,
      resourceCount: undefined,
      destinationIp: undefined,
      destinationDomain: undefined,
      filePath: undefined,
    };
    return (i: number): SecurityEvent => {
      if (!(i >= 0 && i < this.size))
        throw new RangeError(`CompactEvents.reader: no event ${i} of ${this.size}`);
      const tool = this.labels[i * LABELS + 1]!;
      const duration = this.durations[i]!;
      const count = this.counts[i]!;
      view.timestamp.setTime(this.times[i]!);
      view.eventType = this.labelTable[this.labels[i * LABELS]!]!;
      view.success = this.success[i] === 1;
      view.status = this.labelTable[this.labels[i * LABELS + 2]!]!;
      view.resourceUsage = this.usage[i] ?? NO_RESOURCES;
      view.eventId = this.ids[i];
      view.toolName = tool < 0 ? undefined : this.labelTable[tool];
      view.durationMs = Number.isNaN(duration) ? undefined : duration;
      view.resourceCount = Number.isNaN(count) ? undefined : count;
      view.destinationIp = this.ips[i];
      view.destinationDomain = this.domains[i];
      view.filePath = this.paths[i];
      return view;
    };
  }

  /** Every event, in order, as training copies. */
  toArray(): SecurityEvent[] {
    return Array.from({ length: this.size }, (_, i) => this.at(i));
  }

  /** The events for which `keep` holds, in order. */
  filter(keep: (event: SecurityEvent) => boolean): CompactEvents {
    const kept = new CompactEvents();
    for (let i = 0; i < this.size; i++) {
      const event = this.at(i);
      if (keep(event)) kept.push(event);
    }
    return kept;
  }

  private label(text: string): number {
    let index = this.labelIndex.get(text);
    if (index === undefined) {
      index = this.labelTable.length;
      this.labelTable.push(text);
      this.labelIndex.set(text, index);
    }
    return index;
  }

  private grow(capacity: number): void {
    if (capacity <= this.times.length) return;
    this.times = grown(this.times, capacity);
    this.durations = grown(this.durations, capacity);
    this.counts = grown(this.counts, capacity);
    this.success = grown(this.success, capacity);
    this.labels = grown(this.labels, capacity * LABELS);
  }
}

/** A copy of a typed array with room for `capacity` elements. */
function grown<T extends Float64Array | Int32Array | Uint8Array>(array: T, capacity: number): T {
  const next = new (array.constructor as new (length: number) => T)(capacity);
  next.set(array);
  return next;
}
