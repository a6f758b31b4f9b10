// One agent's history in bounded aggregates: a bucket per local day (hour counts, event types,
// tools, failures, resource and duration distributions), the last hour by minute, and a short list
// of recently recorded events so that feedback can take one back out.
import type { LocalClock, SecurityEvent } from '@harombe/models';
import { Behaviour, NO_TOOL } from './behaviour.js';
import { DayBucket } from './day-bucket.js';
import { binOf, Distribution } from './distribution.js';
import { addTo, histogramFor, type WindowTotals } from './window-totals.js';

export const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
const RECENT_MINUTES = 60;
/** The short window of the rate dimension, which sees a burst before the hour fills up. */
export const BURST_MINUTES = 5;

/**
 * A minute's place in the minute ring. Minutes count from 1970 (the ring marks an empty slot with
 * -1, so earlier times are not tracked as recent activity).
 */
function slotOf(minute: number): number {
  return minute % RECENT_MINUTES;
}
/** Recorded events remembered for feedback, per agent. */
const REMEMBERED = 1000;

export { NO_TOOL } from './behaviour.js';
/** Category for vocabulary past the cap. */
export const OTHER = '(other)';

/** Calls and failures in the last hour, and calls in its last minutes (see `AgentHistory.recent`). */
export interface RecentCounts {
  events: number;
  failures: number;
  burst: number;
}

/** An event held while its time is ahead of the agent's clock, and whether to learn it once placed. */
export interface HeldEvent {
  readonly event: SecurityEvent;
  readonly learn: boolean;
}

/** Where a recorded event went, so feedback can remove it. */
export interface Remembered {
  readonly day: number;
  readonly hour: number;
  readonly weight: number;
}

export function fingerprint(event: SecurityEvent): string {
  if (event.eventId !== undefined) return `id:${event.eventId}`;
  return `${event.timestamp.getTime()}|${event.eventType}|${event.toolName ?? ''}|${event.durationMs ?? ''}|${event.resourceCount ?? ''}|${event.success}`;
}

/** The two 32-bit halves of the last {@link hashFingerprint}. */
const HASH = new Int32Array(2);

/**
 * A 64-bit hash of the event's fingerprint into {@link HASH}: two independent 32-bit hashes (FNV-1a,
 * and a multiply-xorshift one) in one pass. An event id is hashed as it is, without building the
 * `id:` string; other events hash their field string, with other seeds.
 */
function hashFingerprint(event: SecurityEvent): void {
  const id = event.eventId;
  const text = id ?? fingerprint(event);
  let a = id === undefined ? 0x811c9dc5 : 0x050c5d1f;
  let b = (id === undefined ? 0x9e3779b9 : 0x7f4a7c15) ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b + c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  HASH[0] = a;
  HASH[1] = b;
}

export class AgentHistory {
  readonly buckets = new Map<number, DayBucket>();
  /** What the agent does: places, destinations, verbs, volumes, rates by period (see `Behaviour`). */
  readonly behaviour: Behaviour;

  /** `windowDays`: the learner's window, which the behaviour's vocabularies keep too. */
  constructor(windowDays = 30) {
    this.behaviour = new Behaviour(windowDays * DAY_MS);
  }
  /** The agent's own IANA zone, when it differs from the learner's. */
  timeZone: string | undefined;
  newestMs = Number.NEGATIVE_INFINITY;
  /** Events and failures per minute for the last hour; `minuteOf[i]` says which minute slot i holds. */
  readonly recentEvents = new Float64Array(RECENT_MINUTES);
  readonly recentFailures = new Float64Array(RECENT_MINUTES);
  readonly minuteOf = new Float64Array(RECENT_MINUTES).fill(-1);
  /** The newest minute counted, and the events and failures of the hour ending with it. */
  private newestMinute = Number.NEGATIVE_INFINITY;
  private hourEvents = 0;
  private hourFailures = 0;
  /**
   * Recently recorded events, a ring (FIFO) of their fingerprints' 64-bit hashes (two 32-bit
   * halves) with where each went (day * 24 + hour; -1 for an empty slot) and its weight. Hashes,
   * not the strings: a fingerprint string (a chain of concatenations) held ~100-450 bytes, 1,000 of
   * them up to half of a full-window agent's baseline; two fingerprints sharing both halves (odds
   * about 1e-16 per lookup) would be taken for one event. Only feedback looks events up, rarely, by
   * a scan; recording just writes a slot. It starts small and grows to REMEMBERED slots.
   */
  private ringHashA = new Int32Array(16);
  private ringHashB = new Int32Array(16);
  private ringPlaces = new Int32Array(16).fill(-1);
  private ringWeights = new Int32Array(16);
  private ringPosition = 0;
  private readonly recentCounts: RecentCounts = { events: 0, failures: 0, burst: 0 };
  readonly quarantined = new Set<string>();
  /**
   * The calls of the trailing hour and 5 minutes as the event `learn` just counted saw them, or
   * `undefined` when it counted none (valid until the next call that reads the minute ring).
   */
  learnedRecent: RecentCounts | undefined;
  /** Events recorded since the cached baseline was computed (+Infinity: refresh at once). */
  changes = 0;
  /** Events of days that left the window since the cached baseline was computed. */
  expiredEvents = 0;
  /** Running totals of the buckets; `undefined` after a change they cannot follow (summed afresh). */
  totals: WindowTotals | undefined;

  bucket(day: number, weekday: number): DayBucket {
    let bucket = this.buckets.get(day);
    if (!bucket) {
      bucket = new DayBucket(day, weekday);
      this.buckets.set(day, bucket);
    }
    return bucket;
  }

  /** The first day kept at the last expiry: nothing to do until it moves. */
  private expiredBefore = Number.NEGATIVE_INFINITY;

  /** Drops days before `firstDay`, counting their events in `expiredEvents`. */
  expire(firstDay: number): void {
    if (firstDay <= this.expiredBefore) return;
    this.expiredBefore = firstDay;
    for (const [day, bucket] of this.buckets) {
      if (day < firstDay) {
        this.buckets.delete(day);
        this.totals?.subtractBucket(bucket);
        this.expiredEvents += bucket.events;
      }
    }
  }

  /**
   * Counts an event in the minute ring, in the minute of its own time: a late event within the hour
   * counts in its minute, an older one not at all (it is not recent). When the minute advances,
   * minutes that left the hour are subtracted from running totals, so events within a minute cost
   * O(1) instead of a scan of the ring.
   */
  countRecent(ms: number, failed: boolean): void {
    const minute = Math.floor(ms / MINUTE_MS);
    if (minute > this.newestMinute) this.slide(minute);
    else if (minute <= this.newestMinute - RECENT_MINUTES) return; // older than the hour
    const slot = slotOf(minute);
    if (this.minuteOf[slot] !== minute) {
      this.minuteOf[slot] = minute;
      this.recentEvents[slot] = 0;
      this.recentFailures[slot] = 0;
    }
    this.recentEvents[slot]!++;
    if (failed) this.recentFailures[slot]!++;
    this.hourEvents++;
    if (failed) this.hourFailures++;
  }

  /**
   * Moves the newest minute forward, dropping the minutes that leave the hour from the totals: those
   * in (old newest - 60, new newest - 60], one slot each, so O(minutes elapsed) and at most 60.
   */
  private slide(minute: number): void {
    const steps = Math.min(minute - this.newestMinute, RECENT_MINUTES);
    // The minutes minute - 60, minute - 61, ...: their slots run down from the minute's own (one
    // modulo per call; minutes are doubles, so a modulo per step would cost a library call each).
    let slot = slotOf(minute);
    for (let j = 0; j < steps; j++) {
      const held = this.minuteOf[slot]!;
      if (held >= 0 && held <= minute - RECENT_MINUTES) {
        this.hourEvents -= this.recentEvents[slot]!;
        this.hourFailures -= this.recentFailures[slot]!;
        this.minuteOf[slot] = -1;
        this.recentEvents[slot] = 0;
        this.recentFailures[slot] = 0;
      }
      slot = slot === 0 ? RECENT_MINUTES - 1 : slot - 1;
    }
    this.newestMinute = minute;
  }

  /**
   * Empties the minute ring: the last hour's activity starts afresh from the next event counted (a
   * scan of a period before the newest event must not see the hour that ended it).
   */
  clearRecent(): void {
    this.recentEvents.fill(0);
    this.recentFailures.fill(0);
    this.minuteOf.fill(-1);
    this.newestMinute = Number.NEGATIVE_INFINITY;
    this.hourEvents = 0;
    this.hourFailures = 0;
    this.learnedRecent = undefined;
  }

  /** Recomputes the running totals from the ring (after restoring it). */
  rebuildRecent(): void {
    let newest = Number.NEGATIVE_INFINITY;
    for (let i = 0; i < RECENT_MINUTES; i++) newest = Math.max(newest, this.minuteOf[i]!);
    this.newestMinute = newest;
    this.hourEvents = 0;
    this.hourFailures = 0;
    for (let i = 0; i < RECENT_MINUTES; i++) {
      const m = this.minuteOf[i]!;
      if (m >= 0 && m > newest - RECENT_MINUTES) {
        this.hourEvents += this.recentEvents[i]!;
        this.hourFailures += this.recentFailures[i]!;
      } else {
        // Keep the invariant that every held minute is inside the hour.
        this.minuteOf[i] = -1;
        this.recentEvents[i] = 0;
        this.recentFailures[i] = 0;
      }
    }
  }

  /**
   * Whether the minute ring still knows anything of the hour up to `ms`: false once the ring moved a
   * full hour past it (an event that late has no known recent activity, rather than none).
   */
  knowsHourOf(ms: number): boolean {
    return Math.floor(ms / MINUTE_MS) > this.newestMinute - RECENT_MINUTES;
  }

  /**
   * Events and failures in the 60 minutes up to and including the minute of `ms`, and events in
   * the last `burstMinutes` of them. At or after the newest minute (the usual case: an event is
   * scored before it is recorded) from the running totals, minus the minutes that would leave the
   * hour: O(minutes elapsed + burstMinutes), at most 60. Earlier minutes: one pass over the ring.
   * The object returned is the history's own, overwritten by the next call (one per event, so none
   * is allocated).
   */
  recent(ms: number, burstMinutes = 5): RecentCounts {
    const minute = Math.floor(ms / MINUTE_MS);
    const out = this.recentCounts;
    const newest = this.newestMinute;
    if (minute >= newest) {
      // Slots of consecutive minutes are consecutive (mod 60): one modulo, then steps.
      const own = slotOf(minute);
      let burst = 0;
      for (let k = 0, slot = own; k < burstMinutes; k++) {
        if (this.minuteOf[slot] === minute - k) burst += this.recentEvents[slot]!;
        slot = slot === 0 ? RECENT_MINUTES - 1 : slot - 1;
      }
      let events = this.hourEvents;
      let failures = this.hourFailures;
      if (minute - newest >= RECENT_MINUTES) {
        events = 0;
        failures = 0;
      } else {
        // Held minutes are in (newest - 60, newest]; those up to minute - 60 leave the hour. The
        // first of them, newest - 59, has the slot after the newest minute's.
        let slot = slotOf(newest) + 1;
        for (let m = newest - RECENT_MINUTES + 1; m <= minute - RECENT_MINUTES; m++) {
          if (slot === RECENT_MINUTES) slot = 0;
          if (this.minuteOf[slot] === m) {
            events -= this.recentEvents[slot]!;
            failures -= this.recentFailures[slot]!;
          }
          slot++;
        }
      }
      out.events = events;
      out.failures = failures;
      out.burst = burst;
      return out;
    }
    let events = 0;
    let failures = 0;
    let burst = 0;
    for (let i = 0; i < RECENT_MINUTES; i++) {
      const m = this.minuteOf[i]!;
      if (m > minute - RECENT_MINUTES && m <= minute) {
        events += this.recentEvents[i]!;
        failures += this.recentFailures[i]!;
        if (m > minute - burstMinutes) burst += this.recentEvents[i]!;
      }
    }
    out.events = events;
    out.failures = failures;
    out.burst = burst;
    return out;
  }

  /**
   * Learns an event into the bucket of its local day (`clock`) and the window's running totals:
   * `weight` for the temporal profile and the vocabularies; with `countActivity`, also as an event
   * that happened (activity, failures, per-tool distributions, the last hour's rates). An event of a
   * day before `firstDay` (the window's first) is not learned. Vocabularies hold `cap` values each.
   */
  learn(
    event: SecurityEvent,
    weight: number,
    countActivity: boolean,
    rememberedWeight: number,
    clock: LocalClock,
    firstDay: number,
    cap: number,
  ): number {
    this.learnedRecent = undefined;
    const ms = event.timestamp.getTime();
    const day = Math.floor((ms + clock.offsetAt(ms)) / DAY_MS);
    if (day < firstDay) return -1; // older than the window: nothing to learn
    const bucket = this.bucket(day, clock.dayOfWeek(ms));
    const hour = Math.floor(clock.hourOfDay(ms));
    // Every change to the bucket is mirrored in the window's running totals (when they exist).
    const totals = this.totals;
    bucket.slots[hour]! += weight;
    const type = addCount(bucket.eventTypes, event.eventType, weight, cap);
    const toolCounted = addCount(bucket.tools, event.toolName ?? NO_TOOL, weight, cap);
    if (totals) {
      totals.slots[bucket.weekday * 24 + hour]! += weight;
      addTo(totals.eventTypes, type, weight);
      addTo(totals.tools, toolCounted, weight);
    }
    // Per-tool distributions count each event once: a feedback weight would make one value look
    // like a tool's whole history.
    const tool = event.toolName ?? NO_TOOL;
    // Each value's histogram bin is worked out once for the four places it is counted.
    if (event.resourceCount !== undefined) {
      const bin = binOf(event.resourceCount);
      bucket.resourceCount.add(event.resourceCount, weight, bin);
      totals?.resourceCount.addBin(bin, weight);
      const perTool = countActivity ? distributionFor(bucket.toolResources, tool, cap) : undefined;
      if (perTool) {
        perTool.add(event.resourceCount, 1, bin);
        if (totals) histogramFor(totals.toolResources, tool).addBin(bin, 1);
      }
    }
    if (event.durationMs !== undefined) {
      const bin = binOf(event.durationMs);
      bucket.duration.add(event.durationMs, weight, bin);
      totals?.duration.addBin(bin, weight);
      const perTool = countActivity ? distributionFor(bucket.toolDurations, tool, cap) : undefined;
      if (perTool) {
        perTool.add(event.durationMs, 1, bin);
        if (totals) histogramFor(totals.toolDurations, tool).addBin(bin, 1);
      }
    }
    if (countActivity) {
      bucket.activity[hour]!++;
      bucket.events++;
      if (!event.success) bucket.failures++;
      bucket.firstMs = Math.min(bucket.firstMs, ms);
      if (totals) {
        totals.events++;
        if (!event.success) totals.failures++;
      }
      // At the event's own time, so a late event neither lands in nor reads the newest hour; the
      // calls around one too late for the minute ring to know are unknown, so not learned as a rate.
      if (this.knowsHourOf(ms)) {
        this.countRecent(ms, !event.success);
        const recent = this.recent(ms, BURST_MINUTES);
        this.learnedRecent = recent;
        const callsBin = binOf(recent.events);
        const burstBin = binOf(recent.burst);
        bucket.trailingCalls.add(recent.events, 1, callsBin);
        bucket.trailingBurst.add(recent.burst, 1, burstBin);
        if (totals) {
          totals.trailingCalls.addBin(callsBin, 1);
          totals.trailingBurst.addBin(burstBin, 1);
        }
      }
    }
    if (ms > this.newestMs) this.newestMs = ms;
    this.expire(firstDay);
    this.remember(event, { day, hour, weight: rememberedWeight });
    this.changes += 1;
    return hour;
  }

  /** Takes a learned event back out of the bucket it went to (feedback: a confirmed anomaly). */
  unlearn(event: SecurityEvent, weight: number, day: number, hour: number): void {
    const bucket = this.buckets.get(day);
    if (!bucket) return;
    this.totals = undefined; // summed afresh at the next refresh
    bucket.slots[hour] = Math.max(0, bucket.slots[hour]! - weight);
    subtractCount(bucket.eventTypes, event.eventType, weight);
    subtractCount(bucket.tools, event.toolName ?? NO_TOOL, weight);
    const tool = event.toolName ?? NO_TOOL;
    if (event.resourceCount !== undefined) {
      bucket.resourceCount.remove(event.resourceCount, weight);
      bucket.toolResources.get(tool)?.remove(event.resourceCount);
    }
    if (event.durationMs !== undefined) {
      bucket.duration.remove(event.durationMs, weight);
      bucket.toolDurations.get(tool)?.remove(event.durationMs);
    }
    if (bucket.activity[hour]! > 0) {
      bucket.activity[hour]!--;
      bucket.events = Math.max(0, bucket.events - 1);
      if (!event.success) bucket.failures = Math.max(0, bucket.failures - 1);
    }
  }

  remember(event: SecurityEvent, where: Remembered): void {
    let position = this.ringPosition;
    if (position === this.ringPlaces.length) {
      if (position < REMEMBERED) this.growRing(Math.min(REMEMBERED, 2 * position));
      else position = 0;
    }
    hashFingerprint(event);
    this.ringHashA[position] = HASH[0]!;
    this.ringHashB[position] = HASH[1]!;
    this.ringPlaces[position] = where.day * 24 + where.hour;
    this.ringWeights[position] = where.weight;
    this.ringPosition = position + 1;
  }

  /**
   * Where a recently recorded event went (its latest recording), if it is still remembered and its
   * day is still in the window (entries of expired days are left for the ring to overwrite).
   */
  lookup(event: SecurityEvent): Remembered | undefined {
    hashFingerprint(event);
    return this.rememberedAt(this.newestSlot());
  }

  /** {@link lookup}, then forgets every recording of the event. */
  forget(event: SecurityEvent): Remembered | undefined {
    hashFingerprint(event);
    const where = this.rememberedAt(this.newestSlot());
    const a = HASH[0]!;
    const b = HASH[1]!;
    for (let slot = 0; slot < this.ringPlaces.length; slot++) {
      if (this.ringHashA[slot] === a && this.ringHashB[slot] === b) this.ringPlaces[slot] = -1;
    }
    return where;
  }

  get rememberedCount(): number {
    let count = 0;
    for (const place of this.ringPlaces) if (place >= 0) count++;
    return count;
  }

  /** Where the recording in `slot` went, unless there is none or its day has left the window. */
  private rememberedAt(slot: number): Remembered | undefined {
    if (slot < 0) return undefined;
    const packed = this.ringPlaces[slot]!;
    if (Math.floor(packed / 24) < this.expiredBefore) return undefined;
    return { day: Math.floor(packed / 24), hour: packed % 24, weight: this.ringWeights[slot]! };
  }

  /**
   * The slot of the latest recording of the event last hashed (in {@link HASH}), or -1: newest
   * first, around the ring.
   */
  private newestSlot(): number {
    const a = HASH[0]!;
    const b = HASH[1]!;
    const size = this.ringPlaces.length;
    for (let i = 1; i <= size; i++) {
      const slot = (this.ringPosition - i + size) % size;
      if (this.ringPlaces[slot]! >= 0 && this.ringHashA[slot] === a && this.ringHashB[slot] === b)
        return slot;
    }
    return -1;
  }

  private growRing(capacity: number): void {
    const grown = (old: Int32Array, empty = 0) => {
      const next = new Int32Array(capacity).fill(empty);
      next.set(old);
      return next;
    };
    this.ringHashA = grown(this.ringHashA);
    this.ringHashB = grown(this.ringHashB);
    this.ringPlaces = grown(this.ringPlaces, -1);
    this.ringWeights = grown(this.ringWeights);
  }

  quarantine(key: string): void {
    this.quarantined.add(key);
    if (this.quarantined.size > REMEMBERED) this.quarantined.delete(this.quarantined.values().next().value!);
  }
}

/** The distribution for `key`, created while under the cap; undefined past it. */
export function distributionFor(
  map: Map<string, Distribution>,
  key: string,
  cap: number,
): Distribution | undefined {
  let distribution = map.get(key);
  if (!distribution && map.size < cap) {
    distribution = new Distribution();
    map.set(key, distribution);
  }
  return distribution;
}

/** Adds `weight` to a capped vocabulary map; values past the cap count as `(other)`. Returns the key counted. */
export function addCount(map: Map<string, number>, key: string, weight: number, cap: number): string {
  const existing = map.get(key);
  if (existing !== undefined) map.set(key, existing + weight);
  else if (map.size < cap) map.set(key, weight);
  else {
    map.set(OTHER, (map.get(OTHER) ?? 0) + weight);
    return OTHER;
  }
  return key;
}

export function subtractCount(map: Map<string, number>, key: string, weight: number): void {
  const target = map.has(key) ? key : OTHER;
  const existing = map.get(target);
  if (existing === undefined) return;
  if (existing <= weight) map.delete(target);
  else map.set(target, existing - weight);
}
