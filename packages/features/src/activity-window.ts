// An agent's recent activity over a sliding window of event time, kept as a ring buffer with
// running aggregates: adding and expiring an event are O(1) amortised (the window maximum uses a
// monotonic deque), and memory is bounded by `capacity` events.
//
// Event time. The window's "now" is its newest event. An event stamped more than `maxLeadMs` past
// it is held (the `EventClock` rule of @harombe/models) until confirmed, so one forged or skewed
// time cannot expire the window. An event older than "now" is judged against the window at its own
// time (never the newest hour) and, while still inside the window, placed at "now"; older ones are
// not placed at all.
import { EventClock, type ResolvedEventClockOptions } from '@harombe/models';

/** One event as the window keeps it. */
export interface WindowEntry {
  readonly timeMs: number;
  /** NaN when the event had no duration. */
  readonly durationMs: number;
  readonly tool: string | undefined;
  readonly destination: string | undefined;
  readonly failed: boolean;
  readonly fileOperation: boolean;
}

/** Aggregates of the window, per hour where a rate. */
export interface WindowStats {
  callsPerHour: number;
  toolInvocationsPerHour: number;
  errorsPerHour: number;
  avgDurationMs: number;
  maxDurationMs: number;
  uniqueTools: number;
  uniqueDestinations: number;
  fileOperations: number;
}

function increment(map: Map<string, number>, key: string | undefined): void {
  if (key !== undefined) map.set(key, (map.get(key) ?? 0) + 1);
}

function decrement(map: Map<string, number>, key: string | undefined): void {
  if (key === undefined) return;
  const count = map.get(key)! - 1;
  if (count === 0) map.delete(key);
  else map.set(key, count);
}

/** Slots allocated at first: the ring grows (doubling, up to `capacity`) only when the window fills. */
const INITIAL_SLOTS = 64;
/**
 * An event at most this much older than the window's newest is judged as if current (collectors
 * merged within a minute are common, and the window at its own time differs by seconds at most).
 */
const LATE_TOLERANCE_MS = 60_000;

export class ActivityWindow {
  private times: Float64Array;
  private durations: Float64Array;
  private flags: Uint8Array;
  private tools: (string | undefined)[];
  private destinations: (string | undefined)[];
  /** Sequence numbers of entries with decreasing durations (front = window maximum). */
  private maxDeque: Float64Array;
  /** Slots allocated (entry sequence numbers map to `seq % slots`). */
  private slots: number;
  private dequeHead = 0;
  private dequeTail = 0;
  /** Sequence number of the oldest entry and of the next entry to add. */
  private head = 0;
  private tail = 0;
  private toolInvocations = 0;
  private errors = 0;
  private fileOperations = 0;
  private durationSum = 0;
  private durationCount = 0;
  private readonly toolCounts = new Map<string, number>();
  private readonly destinationCounts = new Map<string, number>();
  private readonly perHour: number;
  /** The newest event time placed; earlier events are placed at this time. */
  newestMs = Number.NEGATIVE_INFINITY;
  /** The rule for events ahead of the window; the ahead events held, once there are any. */
  private readonly clockRule: EventClock<WindowEntry>;
  private held: EventClock<WindowEntry> | undefined;
  /** Events at or before this time may have left the window (expired, or pushed out at capacity). */
  private forgottenUntil = Number.NEGATIVE_INFINITY;
  /** Tools and destinations seen by a scan at an event's own time (reused). */
  private readonly seenTools = new Set<string>();
  private readonly seenDestinations = new Set<string>();

  constructor(
    readonly windowMs: number,
    readonly capacity: number,
    private readonly clockOptions?: ResolvedEventClockOptions,
  ) {
    this.clockRule = new EventClock(clockOptions);
    this.slots = Math.min(capacity, INITIAL_SLOTS);
    this.times = new Float64Array(this.slots);
    this.durations = new Float64Array(this.slots);
    this.flags = new Uint8Array(this.slots);
    this.tools = new Array(this.slots).fill(undefined);
    this.destinations = new Array(this.slots).fill(undefined);
    this.maxDeque = new Float64Array(this.slots);
    this.perHour = 3_600_000 / windowMs;
  }

  get size(): number {
    return this.tail - this.head;
  }

  /**
   * The time the window uses for an event: its own, or the newest time already seen when it is
   * older (an out-of-order event neither rewinds the window nor lands behind newer entries).
   */
  effectiveTime(timeMs: number): number {
    return Math.max(timeMs, this.newestMs);
  }

  /** Expires entries at or before `timeMs - windowMs`. */
  advance(timeMs: number): void {
    const cutoff = timeMs - this.windowMs;
    if (cutoff > this.forgottenUntil) this.forgottenUntil = cutoff;
    while (this.head < this.tail && this.times[this.head % this.slots]! <= cutoff) this.removeOldest();
  }

  /**
   * Whether the window knows all the activity in (t - windowMs, t]: always at its present; for an
   * event off it, only while nothing of that span has been expired or pushed out.
   */
  covers(timeMs: number): boolean {
    return !this.offPresent(timeMs) || timeMs - this.windowMs >= this.forgottenUntil;
  }

  /**
   * Records an event (expiring what falls out of the window first). An event ahead of the window's
   * newest by more than `maxLeadMs` is held until confirmed (then the held ones are placed, oldest
   * first); one older than the window is not placed.
   */
  add(entry: WindowEntry): void {
    if (this.clockRule.isAhead(this.newestMs, entry.timeMs)) {
      this.held ??= new EventClock(this.clockOptions);
      const confirmed = this.held.admit(this.newestMs, entry.timeMs, { ...entry });
      if (!confirmed) return;
      this.held = undefined; // confirmed: nothing is held any more
      for (const held of confirmed) this.place(held);
      return;
    }
    this.place(entry);
  }

  /**
   * Restores a saved window: its entries, oldest first, placed as they are (no hold, no check), and
   * the ahead events it held.
   */
  load(entries: readonly WindowEntry[], held: readonly WindowEntry[] = []): void {
    for (const entry of entries) this.place(entry);
    if (held.length > 0) {
      this.held = new EventClock(this.clockOptions);
      this.held.restore(held.map((entry) => ({ ms: entry.timeMs, item: { ...entry } })));
    }
  }

  /** The ahead events held until their time is confirmed, oldest held first (for serialization). */
  heldEntries(): WindowEntry[] {
    return this.held?.heldItems() ?? [];
  }

  private place(entry: WindowEntry): void {
    if (entry.timeMs <= this.newestMs - this.windowMs) return; // left the window already
    const time = this.effectiveTime(entry.timeMs);
    this.advance(time);
    if (this.size === this.slots) {
      if (this.slots < this.capacity) this.grow();
      else this.removeOldest();
    }
    const slot = this.tail % this.slots;
    this.times[slot] = time;
    this.durations[slot] = entry.durationMs;
    this.flags[slot] = (entry.failed ? 1 : 0) | (entry.fileOperation ? 2 : 0);
    this.tools[slot] = entry.tool;
    this.destinations[slot] = entry.destination;
    if (entry.tool !== undefined) this.toolInvocations++;
    if (entry.failed) this.errors++;
    if (entry.fileOperation) this.fileOperations++;
    increment(this.toolCounts, entry.tool);
    increment(this.destinationCounts, entry.destination);
    if (!Number.isNaN(entry.durationMs)) {
      this.durationSum += entry.durationMs;
      this.durationCount++;
      while (this.dequeTail > this.dequeHead) {
        const last = this.maxDeque[(this.dequeTail - 1) % this.slots]!;
        if (this.durations[last % this.slots]! > entry.durationMs) break;
        this.dequeTail--;
      }
      this.maxDeque[this.dequeTail % this.slots] = this.tail;
      this.dequeTail++;
    }
    this.newestMs = time;
    this.tail++;
  }

  /**
   * The window's aggregates as they would be with `candidate` added, without adding it (entries
   * that have expired by the candidate's time are dropped for good: time only moves forward). A
   * candidate older than the newest entry (by more than a minute) or ahead of it is judged against
   * the window at its own time instead, the held ahead events included, and nothing is dropped.
   */
  statsWith(candidate: WindowEntry | undefined, out: WindowStats): WindowStats {
    if (candidate) {
      if (this.offPresent(candidate.timeMs)) return this.statsAt(candidate.timeMs, candidate, out);
      this.advance(this.effectiveTime(candidate.timeMs));
    }
    let calls = this.size;
    let tools = this.toolInvocations;
    let errors = this.errors;
    let files = this.fileOperations;
    let durationSum = this.durationSum;
    let durationCount = this.durationCount;
    let max =
      this.dequeTail > this.dequeHead
        ? this.durations[this.maxDeque[this.dequeHead % this.slots]! % this.slots]!
        : 0;
    let uniqueTools = this.toolCounts.size;
    let uniqueDestinations = this.destinationCounts.size;
    if (candidate) {
      // At capacity, the oldest entry would make room; its share is small enough to ignore.
      calls++;
      if (candidate.tool !== undefined) {
        tools++;
        if (!this.toolCounts.has(candidate.tool)) uniqueTools++;
      }
      if (candidate.destination !== undefined && !this.destinationCounts.has(candidate.destination))
        uniqueDestinations++;
      if (candidate.failed) errors++;
      if (candidate.fileOperation) files++;
      if (!Number.isNaN(candidate.durationMs)) {
        durationSum += candidate.durationMs;
        durationCount++;
        if (candidate.durationMs > max) max = candidate.durationMs;
      }
    }
    out.callsPerHour = calls * this.perHour;
    out.toolInvocationsPerHour = tools * this.perHour;
    out.errorsPerHour = errors * this.perHour;
    out.avgDurationMs = durationCount > 0 ? durationSum / durationCount : 0;
    out.maxDurationMs = max;
    out.uniqueTools = uniqueTools;
    out.uniqueDestinations = uniqueDestinations;
    out.fileOperations = files;
    return out;
  }

  /**
   * The window's aggregates at `timeMs`: advanced to it (for good) when it is the window's present,
   * else the window at that time, read without changing anything (see {@link statsWith}).
   */
  statsAtTime(timeMs: number, out: WindowStats): WindowStats {
    if (this.offPresent(timeMs)) return this.statsAt(timeMs, undefined, out);
    this.advance(this.effectiveTime(timeMs));
    return this.statsWith(undefined, out);
  }

  /** Whether `timeMs` is older than the window's newest by more than a minute, or ahead of it. */
  private offPresent(timeMs: number): boolean {
    return timeMs < this.newestMs - LATE_TOLERANCE_MS || this.clockRule.isAhead(this.newestMs, timeMs);
  }

  /**
   * The aggregates over the entries (and held ahead events) in (t - windowMs, t], with the candidate
   * if any: a scan of those entries, for times off the window's present.
   */
  private statsAt(time: number, candidate: WindowEntry | undefined, out: WindowStats): WindowStats {
    const from = time - this.windowMs;
    const tools = this.seenTools;
    const destinations = this.seenDestinations;
    tools.clear();
    destinations.clear();
    let calls = 0;
    let toolCalls = 0;
    let errors = 0;
    let files = 0;
    let durationSum = 0;
    let durationCount = 0;
    let max = 0;
    const count = (
      timeMs: number,
      duration: number,
      tool: string | undefined,
      destination: string | undefined,
      flags: number,
    ): void => {
      if (timeMs <= from || timeMs > time) return;
      calls++;
      if (tool !== undefined) {
        toolCalls++;
        tools.add(tool);
      }
      if (destination !== undefined) destinations.add(destination);
      if (flags & 1) errors++;
      if (flags & 2) files++;
      if (!Number.isNaN(duration)) {
        durationSum += duration;
        durationCount++;
        if (duration > max) max = duration;
      }
    };
    // Entries are in time order: start at the first inside (t - windowMs, t].
    let low = this.head;
    let high = this.tail;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.times[middle % this.slots]! <= from) low = middle + 1;
      else high = middle;
    }
    for (let seq = low; seq < this.tail; seq++) {
      const slot = seq % this.slots;
      if (this.times[slot]! > time) break;
      count(
        this.times[slot]!,
        this.durations[slot]!,
        this.tools[slot],
        this.destinations[slot],
        this.flags[slot]!,
      );
    }
    for (const held of this.held?.heldItems() ?? []) {
      count(
        held.timeMs,
        held.durationMs,
        held.tool,
        held.destination,
        (held.failed ? 1 : 0) | (held.fileOperation ? 2 : 0),
      );
    }
    if (candidate) {
      count(
        time,
        candidate.durationMs,
        candidate.tool,
        candidate.destination,
        (candidate.failed ? 1 : 0) | (candidate.fileOperation ? 2 : 0),
      );
    }
    out.callsPerHour = calls * this.perHour;
    out.toolInvocationsPerHour = toolCalls * this.perHour;
    out.errorsPerHour = errors * this.perHour;
    out.avgDurationMs = durationCount > 0 ? durationSum / durationCount : 0;
    out.maxDurationMs = max;
    out.uniqueTools = tools.size;
    out.uniqueDestinations = destinations.size;
    out.fileOperations = files;
    return out;
  }

  /** Entries oldest first, for serialization. */
  entries(): WindowEntry[] {
    const out: WindowEntry[] = [];
    for (let seq = this.head; seq < this.tail; seq++) {
      const slot = seq % this.slots;
      out.push({
        timeMs: this.times[slot]!,
        durationMs: this.durations[slot]!,
        tool: this.tools[slot],
        destination: this.destinations[slot],
        failed: (this.flags[slot]! & 1) === 1,
        fileOperation: (this.flags[slot]! & 2) === 2,
      });
    }
    return out;
  }

  /** Doubles the slots (up to `capacity`), keeping every entry and the deque at their sequence numbers. */
  private grow(): void {
    const slots = Math.min(this.capacity, this.slots * 2);
    const times = new Float64Array(slots);
    const durations = new Float64Array(slots);
    const flags = new Uint8Array(slots);
    const tools: (string | undefined)[] = new Array(slots).fill(undefined);
    const destinations: (string | undefined)[] = new Array(slots).fill(undefined);
    for (let seq = this.head; seq < this.tail; seq++) {
      const from = seq % this.slots;
      const to = seq % slots;
      times[to] = this.times[from]!;
      durations[to] = this.durations[from]!;
      flags[to] = this.flags[from]!;
      tools[to] = this.tools[from];
      destinations[to] = this.destinations[from];
    }
    const maxDeque = new Float64Array(slots);
    for (let at = this.dequeHead; at < this.dequeTail; at++)
      maxDeque[at % slots] = this.maxDeque[at % this.slots]!;
    this.slots = slots;
    this.times = times;
    this.durations = durations;
    this.flags = flags;
    this.tools = tools;
    this.destinations = destinations;
    this.maxDeque = maxDeque;
  }

  private removeOldest(): void {
    const slot = this.head % this.slots;
    if (this.times[slot]! > this.forgottenUntil) this.forgottenUntil = this.times[slot]!;
    const flags = this.flags[slot]!;
    if (this.tools[slot] !== undefined) this.toolInvocations--;
    if (flags & 1) this.errors--;
    if (flags & 2) this.fileOperations--;
    decrement(this.toolCounts, this.tools[slot]);
    decrement(this.destinationCounts, this.destinations[slot]);
    this.tools[slot] = undefined;
    this.destinations[slot] = undefined;
    const duration = this.durations[slot]!;
    if (!Number.isNaN(duration)) {
      this.durationSum -= duration;
      this.durationCount--;
      if (this.durationCount === 0) this.durationSum = 0;
    }
    if (this.dequeTail > this.dequeHead && this.maxDeque[this.dequeHead % this.slots] === this.head)
      this.dequeHead++;
    this.head++;
  }
}
