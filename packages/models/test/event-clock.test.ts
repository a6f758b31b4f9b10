import { describe, expect, it } from 'vitest';
import { EventClock, EventClockOptionsSchema } from '../src/index.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T = Date.UTC(2026, 2, 2, 9);
const FAR = Date.UTC(9999, 0, 1);

describe('EventClock', () => {
  it('classifies a time as current, late or ahead of the clock (a clock without events has no ahead)', () => {
    const clock = new EventClock<string>();
    expect(clock.classify(Number.NEGATIVE_INFINITY, FAR)).toBe('current');
    expect(clock.classify(T, T + 30 * 60_000)).toBe('current');
    expect(clock.classify(T, T + HOUR)).toBe('current');
    expect(clock.classify(T, T + HOUR + 1)).toBe('ahead');
    expect(clock.classify(T, T - 1)).toBe('late');
  });

  it('places events within the lead at once and allocates nothing for them', () => {
    const clock = new EventClock<string>();
    expect(clock.admit(T, T + 10 * 60_000, 'a')).toBeNull();
    expect(clock.admit(T, T - DAY, 'late')).toBeNull();
    expect(clock.heldCount).toBe(0);
  });

  it('holds a stray far-future time for good, however many ordinary events follow', () => {
    const clock = new EventClock<string>();
    expect(clock.admit(T, FAR, 'forged')).toBeUndefined();
    for (let i = 1; i <= 100; i++)
      expect(clock.admit(T + i * 60_000, T + i * 60_000 + 1, `e${i}`)).toBeNull();
    expect(clock.heldItems()).toEqual(['forged']);
  });

  it('moves on once `corroboration` ahead events within a day confirm the time, oldest first', () => {
    const clock = new EventClock<string>();
    const monday = T + 3 * DAY;
    expect(clock.admit(T, monday + 20 * 60_000, 'second')).toBeUndefined();
    expect(clock.admit(T, FAR, 'forged')).toBeUndefined();
    expect(clock.admit(T, monday, 'first')).toBeUndefined();
    // The third agreeing time confirms; the forged one, far from it, is dropped.
    expect(clock.admit(T, monday + 5 * 60_000, 'third')).toEqual(['first', 'third', 'second']);
    expect(clock.heldCount).toBe(0);
  });

  it('keeps at most 16 held events', () => {
    const clock = new EventClock<number>(EventClockOptionsSchema.parse({ corroboration: 16 }));
    for (let i = 0; i < 40; i++) clock.admit(T, FAR - i * 3 * DAY, i);
    expect(clock.heldCount).toBe(16);
    expect(clock.heldItems()[0]).toBe(24);
  });

  it('with corroboration 1 never holds (the guard off)', () => {
    const clock = new EventClock<string>(EventClockOptionsSchema.parse({ corroboration: 1 }));
    expect(clock.admit(T, FAR, 'x')).toEqual(['x']);
  });

  it('refuses options outside their ranges, naming the field', () => {
    expect(EventClockOptionsSchema.safeParse({ maxLeadMs: 10 }).success).toBe(false);
    expect(EventClockOptionsSchema.safeParse({ corroboration: 0 }).success).toBe(false);
    expect(EventClockOptionsSchema.safeParse({ other: 1 }).success).toBe(false);
  });
});
