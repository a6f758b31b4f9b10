import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LocalClock, TimeZoneSchema } from '../src/index.js';

describe('LocalClock', () => {
  it('local hour and weekday agree with Intl for any instant and zone', () => {
    const zones = [
      'UTC',
      'Europe/Berlin',
      'America/St_Johns',
      'Asia/Kathmandu',
      'Australia/Lord_Howe',
      'Pacific/Chatham',
    ];
    fc.assert(
      fc.property(
        fc.integer({ min: Date.UTC(1900, 0, 1), max: Date.UTC(2100, 0, 1) }),
        fc.constantFrom(...zones),
        (ms, zone) => {
          const clock = new LocalClock(zone);
          const parts = new Intl.DateTimeFormat('en-US', {
            timeZone: zone,
            hourCycle: 'h23',
            hour: 'numeric',
            minute: 'numeric',
            weekday: 'short',
          }).formatToParts(ms);
          const get = (type: string) => parts.find((p) => p.type === type)!.value;
          expect(Math.floor(clock.hourOfDay(ms))).toBe(Number(get('hour')));
          expect(['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][clock.dayOfWeek(ms)]).toBe(get('weekday'));
          expect(Object.is(clock.dayOfWeek(ms), -0)).toBe(false);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('follows an offset change that falls between quarter-hours, to the millisecond', () => {
    // Liberia's -0:44:30 ended at 00:44:30 UTC on 1972-01-07; St. John's -3:30:52 gave way to DST in
    // 1929 at 02:44:52 UTC (offsets with seconds: their changes are off the 15-minute grid).
    for (const [zone, change] of [
      ['Africa/Monrovia', Date.UTC(1972, 0, 7, 0, 44, 30)],
      ['America/St_Johns', Date.UTC(1929, 4, 6, 2, 44, 52)],
    ] as const) {
      const clock = new LocalClock(zone);
      const format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', hour: 'numeric' });
      for (const ms of [change - 60_000, change - 1, change, change + 60_000]) {
        expect(Math.floor(clock.hourOfDay(ms))).toBe(Number(format.format(ms)));
      }
    }
  });

  it('TimeZoneSchema takes the zones this runtime knows and names the problem otherwise', () => {
    expect(TimeZoneSchema.safeParse('Europe/Berlin').success).toBe(true);
    const bad = TimeZoneSchema.safeParse('Mars/Olympus_Mons');
    expect(bad.success).toBe(false);
    if (!bad.success) expect(bad.error.issues[0]!.message).toMatch(/IANA time zone/);
  });
});
