import { describe, expect, it } from 'vitest';
import { parseIsoTimestamp, TimestampSchema, toEpochMillis } from '../src/index.js';

describe('timestamps', () => {
  it('accepts Date, ISO-8601 text and epoch milliseconds for the same instant', () => {
    const ms = Date.UTC(2026, 2, 4, 14, 25, 0);
    expect(toEpochMillis(new Date(ms))).toBe(ms);
    expect(toEpochMillis('2026-03-04T14:25:00Z')).toBe(ms);
    expect(toEpochMillis('2026-03-04T15:25:00+01:00')).toBe(ms);
    expect(toEpochMillis('2026-03-04T09:25:00-0500')).toBe(ms);
    expect(toEpochMillis('2026-03-04 14:25')).toBe(ms);
    expect(toEpochMillis(ms)).toBe(ms);
  });

  it('reads offset-less text as UTC whatever the process time zone', () => {
    expect(toEpochMillis('2026-03-04T14:25:00')).toBe(Date.UTC(2026, 2, 4, 14, 25));
    expect(toEpochMillis('2026-03-04')).toBe(Date.UTC(2026, 2, 4));
  });

  it('keeps millisecond precision and truncates finer fractions', () => {
    expect(toEpochMillis('2026-03-04T14:25:00.987654Z')).toBe(Date.UTC(2026, 2, 4, 14, 25, 0, 987));
  });

  it('rejects impossible dates instead of rolling them over', () => {
    expect(parseIsoTimestamp('2026-02-29T00:00:00Z')).toMatch(/day 29 does not exist/);
    expect(parseIsoTimestamp('2024-02-29T00:00:00Z')).toBe(Date.UTC(2024, 1, 29));
    expect(parseIsoTimestamp('2026-13-01')).toMatch(/month 13/);
    expect(parseIsoTimestamp('2026-04-31')).toMatch(/day 31/);
    expect(parseIsoTimestamp('2026-01-01T24:00:00Z')).toMatch(/does not exist/);
    expect(parseIsoTimestamp('2026-01-01T10:00:00+25:00')).toMatch(/offset/);
  });

  it('rejects text that is not ISO-8601, invalid Dates and instants out of range', () => {
    expect(toEpochMillis('yesterday')).toMatch(/expected an ISO-8601/);
    expect(toEpochMillis('03/04/2026')).toMatch(/expected an ISO-8601/);
    expect(toEpochMillis(new Date('nope'))).toMatch(/valid instant/);
    expect(toEpochMillis(-1)).toMatch(/between 1970 and 9999/);
    expect(toEpochMillis(1e16)).toMatch(/between 1970 and 9999/);
    expect(toEpochMillis(true)).toMatch(/expected a Date/);
  });

  it('is a zod schema producing Date', () => {
    const parsed = TimestampSchema.parse('2026-03-04T14:25:00Z');
    expect(parsed).toBeInstanceOf(Date);
    expect(TimestampSchema.safeParse('2026-02-30').success).toBe(false);
  });
});
