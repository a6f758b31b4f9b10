// Timestamps arrive as Date, ISO-8601 text or epoch milliseconds. We parse ISO text ourselves:
// `Date.parse` reads offset-less text as local time and rolls impossible dates (Feb 30) over.
import { z } from 'zod';
import { dateValue, describeValue } from './validation.js';

/** Earliest and latest accepted instants: 1970-01-01 to 9999-12-31 (UTC). */
export const MIN_TIMESTAMP_MS = 0;
export const MAX_TIMESTAMP_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const ISO_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

const MONTH_DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  if (month !== 2) return MONTH_DAYS[month - 1]!;
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
}

/** Digits of `text` from `from` (inclusive) to `to` (exclusive) as a number; NaN on any non-digit. */
function digits(text: string, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number.NaN;
    value = value * 10 + d;
  }
  return value;
}

/**
 * The canonical form `Date.toISOString` writes (`2026-03-01T09:30:00.000Z`), read without a regular
 * expression; `undefined` for anything else (or an impossible date), which the general path handles.
 */
function canonicalIso(text: string): number | undefined {
  if (
    text.length !== 24 ||
    text.charCodeAt(4) !== 45 || // -
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(10) !== 84 || // T
    text.charCodeAt(13) !== 58 || // :
    text.charCodeAt(16) !== 58 ||
    text.charCodeAt(19) !== 46 || // .
    text.charCodeAt(23) !== 90 // Z
  ) {
    return undefined;
  }
  const year = digits(text, 0, 4);
  const month = digits(text, 5, 7);
  const day = digits(text, 8, 10);
  const hour = digits(text, 11, 13);
  const minute = digits(text, 14, 16);
  const second = digits(text, 17, 19);
  const millis = digits(text, 20, 23);
  // NaN fails every comparison below, so a non-digit also falls through to the general path.
  if (!(month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month))) return undefined;
  if (!(hour <= 23 && minute <= 59 && second <= 59 && millis >= 0 && year >= 100)) return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second, millis);
}

/**
 * Parses ISO-8601 date or date-time text to epoch milliseconds. Text without an offset is read as
 * UTC. Returns a reason string when the text is not a real instant.
 */
export function parseIsoTimestamp(text: string): number | string {
  return canonicalIso(text) ?? parseIsoGeneral(text);
}

/** @internal The general grammar behind {@link parseIsoTimestamp} (exported for its tests). */
export function parseIsoGeneral(text: string): number | string {
  const match = ISO_PATTERN.exec(text.trim());
  if (!match) return 'expected an ISO-8601 date-time such as 2026-03-01T09:30:00Z';
  const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', offset] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  // Date.UTC would read years 0-99 as 1900-1999; no such year is in our range anyway.
  if (year < 100) return 'expected an instant between 1970 and 9999';
  if (month < 1 || month > 12) return `month ${month} does not exist`;
  if (day < 1 || day > daysInMonth(year, month)) return `day ${day} does not exist in ${y}-${mo}`;
  if (hour > 23 || minute > 59 || second > 59) return `time ${h}:${mi}:${s} does not exist`;
  const millis = fraction ? Math.floor(Number(`0.${fraction}`) * 1000) : 0;
  let offsetMinutes = 0;
  if (offset && offset !== 'Z' && offset !== 'z') {
    const sign = offset.startsWith('-') ? -1 : 1;
    const digits = offset.slice(1).replace(':', '');
    const offH = Number(digits.slice(0, 2));
    const offM = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (offH > 23 || offM > 59) return `offset ${offset} does not exist`;
    offsetMinutes = sign * (offH * 60 + offM);
  }
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
  return utc;
}

function checkRange(ms: number): string | undefined {
  if (ms < MIN_TIMESTAMP_MS || ms > MAX_TIMESTAMP_MS) return 'expected an instant between 1970 and 9999';
  return undefined;
}

/**
 * Converts a Date, ISO-8601 string or epoch-milliseconds number to epoch milliseconds, or returns
 * the reason it cannot.
 */
export function toEpochMillis(value: unknown): number | string {
  let ms: number | string;
  if (value instanceof Date) {
    // An object with Date's prototype but no date inside (`Object.create(Date.prototype)`) makes
    // getTime throw: it is not a Date, whatever its prototype says.
    const time = dateValue(value);
    if (time === undefined)
      return 'expected a Date, an ISO-8601 string or epoch milliseconds, received an object posing as a Date';
    ms = time;
  } else if (typeof value === 'number') ms = value;
  else if (typeof value === 'string') ms = parseIsoTimestamp(value);
  else return `expected a Date, an ISO-8601 string or epoch milliseconds, received ${describeValue(value)}`;
  if (typeof ms === 'string') return `${ms}, received ${describeValue(value)}`;
  if (!Number.isFinite(ms)) return `expected a valid instant, received ${describeValue(value)}`;
  const outOfRange = checkRange(ms);
  return outOfRange ? `${outOfRange}, received ${describeValue(value)}` : ms;
}

/** Zod schema: Date | ISO-8601 string | epoch ms → `Date`. Impossible dates are rejected. */
export const TimestampSchema = z.unknown().transform((value, ctx): Date => {
  const ms = toEpochMillis(value);
  if (typeof ms === 'string') {
    ctx.addIssue({ code: 'custom', message: ms, input: value });
    return z.NEVER;
  }
  return new Date(ms);
});
