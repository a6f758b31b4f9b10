// Local hour and weekday of an instant in an IANA time zone, fast enough for the hot path: UTC
// offsets come from Intl about twice per zone and day, and are cached (a zone changes offset at
// most once a day: on a 15-minute boundary nowadays, anywhere to the second in the days of
// offsets with seconds, such as Africa/Monrovia's -0:44:30 until 1972).

import { z } from 'zod';

const QUARTER_HOUR_MS = 900_000;
const DAY_MS = 86_400_000;
const CACHE_LIMIT = 8192;

const knownZones = new Set<string>(['UTC']);

/** Validates an IANA zone name; throws RangeError for an unknown zone. Valid names are cached. */
export function checkTimeZone(timeZone: string): void {
  if (knownZones.has(timeZone)) return;
  new Intl.DateTimeFormat('en-US', { timeZone });
  knownZones.add(timeZone);
}

/** A quarter-hour in which the offset changes off its boundary: the first millisecond of the new one. */
interface Transition {
  readonly at: number;
  readonly before: number;
  readonly after: number;
}

/**
 * Offsets of one zone, shared by every clock of that zone. A day whose first and last second have
 * the same offset has it throughout (zones change offset at most once a day); only transition days
 * are resolved per quarter-hour, and a quarter-hour holding the change to the second. So Intl is
 * asked about twice per zone and day.
 */
class ZoneOffsets {
  private readonly format: Intl.DateTimeFormat;
  private readonly days = new Map<number, number | null>();
  private readonly quarters = new Map<number, number | Transition>();

  constructor(timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** Offset for a whole UTC day, or null when it changes that day. */
  day(day: number): number | null {
    let offset = this.days.get(day);
    if (offset === undefined) {
      const first = this.compute(day * DAY_MS);
      const last = this.compute((day + 1) * DAY_MS - 1000);
      offset = first === last ? first : null;
      if (this.days.size >= CACHE_LIMIT) this.days.clear();
      this.days.set(day, offset);
    }
    return offset;
  }

  /** Offset at `ms`, on a day whose offset changes. */
  quarter(ms: number): number {
    const bucket = Math.floor(ms / QUARTER_HOUR_MS);
    let entry = this.quarters.get(bucket);
    if (entry === undefined) {
      entry = this.resolveQuarter(bucket * QUARTER_HOUR_MS);
      if (this.quarters.size >= CACHE_LIMIT) this.quarters.clear();
      this.quarters.set(bucket, entry);
    }
    return typeof entry === 'number' ? entry : ms < entry.at ? entry.before : entry.after;
  }

  /** The quarter-hour's offset, or where in it the offset changes (offsets change on whole seconds). */
  private resolveQuarter(start: number): number | Transition {
    const before = this.compute(start);
    const after = this.compute(start + QUARTER_HOUR_MS - 1000);
    if (before === after) return before;
    // The first second with the new offset, after second 0 and at the latest the last one.
    let lo = 1;
    let hi = QUARTER_HOUR_MS / 1000 - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.compute(start + mid * 1000) === before) lo = mid + 1;
      else hi = mid;
    }
    return { at: start + lo * 1000, before, after };
  }

  private compute(at: number): number {
    const parts: Record<string, number> = {};
    for (const part of this.format.formatToParts(at)) {
      if (part.type !== 'literal') parts[part.type] = Number(part.value);
    }
    const local = Date.UTC(
      parts.year!,
      parts.month! - 1,
      parts.day!,
      parts.hour!,
      parts.minute!,
      parts.second!,
    );
    return local - at;
  }
}

const zones = new Map<string, ZoneOffsets>();

export class LocalClock {
  private readonly zone: ZoneOffsets | undefined;
  /** The last UTC day looked up and its offset: consecutive events almost always share it. */
  private lastDay = Number.NaN;
  private lastOffset = 0;

  constructor(readonly timeZone: string) {
    checkTimeZone(timeZone);
    if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return;
    let zone = zones.get(timeZone);
    if (!zone) {
      zone = new ZoneOffsets(timeZone);
      zones.set(timeZone, zone);
    }
    this.zone = zone;
  }

  /** Offset of local time from UTC at `ms`, in milliseconds. */
  offsetAt(ms: number): number {
    if (!this.zone) return 0;
    const day = Math.floor(ms / DAY_MS);
    if (day === this.lastDay) return this.lastOffset;
    const offset = this.zone.day(day);
    if (offset !== null) {
      this.lastDay = day;
      this.lastOffset = offset;
      return offset;
    }
    return this.zone.quarter(ms);
  }

  /** Local time of day in hours, in [0, 24). */
  hourOfDay(ms: number): number {
    const local = ms + this.offsetAt(ms);
    const intoDay = local - Math.floor(local / DAY_MS) * DAY_MS;
    return intoDay / 3_600_000;
  }

  /** Local day of week, 0 = Monday ... 6 = Sunday. */
  dayOfWeek(ms: number): number {
    const days = Math.floor((ms + this.offsetAt(ms)) / DAY_MS);
    // 1970-01-01 was a Thursday (3 with Monday = 0). One integer modulo (`| 0` turns -0 into 0).
    const weekday = (days + 3) % 7;
    return weekday < 0 ? weekday + 7 : weekday | 0;
  }

  /** Local hour-of-week slot, 0 (Monday 00:00-01:00) ... 167. */
  hourOfWeek(ms: number): number {
    return this.dayOfWeek(ms) * 24 + Math.floor(this.hourOfDay(ms));
  }
}

/** An IANA time zone name that this runtime knows. */
export const TimeZoneSchema = z.string().refine((zone) => {
  try {
    checkTimeZone(zone);
    return true;
  } catch {
    return false;
  }
}, 'expected an IANA time zone such as "Europe/Berlin"');
