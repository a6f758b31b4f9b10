// Local hour and weekday of an instant in an IANA time zone, fast enough for the hot path: the UTC
// offset is looked up with Intl once per 15-minute bucket (every zone changes offset on such a
// boundary) and cached.

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

export class LocalClock {
  private readonly format: Intl.DateTimeFormat | undefined;
  private readonly offsets = new Map<number, number>();

  constructor(readonly timeZone: string) {
    checkTimeZone(timeZone);
    const utc = timeZone === 'UTC' || timeZone === 'Etc/UTC';
    this.format = utc
      ? undefined
      : new Intl.DateTimeFormat('en-US', {
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

  /** Offset of local time from UTC at `ms`, in milliseconds. */
  offsetAt(ms: number): number {
    if (!this.format) return 0;
    const bucket = Math.floor(ms / QUARTER_HOUR_MS);
    const cached = this.offsets.get(bucket);
    if (cached !== undefined) return cached;
    const at = bucket * QUARTER_HOUR_MS;
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
    const offset = local - at;
    if (this.offsets.size >= CACHE_LIMIT) this.offsets.clear();
    this.offsets.set(bucket, offset);
    return offset;
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
    // 1970-01-01 was a Thursday (3 with Monday = 0).
    return (((days + 3) % 7) + 7) % 7;
  }

  /** Local hour-of-week slot, 0 (Monday 00:00-01:00) ... 167. */
  hourOfWeek(ms: number): number {
    return this.dayOfWeek(ms) * 24 + Math.floor(this.hourOfDay(ms));
  }
}
