// Command-line formats: `--since` values and alert lines.
import { InvalidArgumentError } from 'commander';
import type { Alert } from './store.js';

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: an ISO date, or a duration back from now (`30m`, `24h`, `7d`). */
export function parseSince(value: string, now = Date.now()): Date {
  const relative = /^(\d+)([mhd])$/.exec(value);
  if (relative) return new Date(now - Number(relative[1]) * UNITS[relative[2]!]!);
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new InvalidArgumentError('expected an ISO date or a duration such as 24h or 7d');
  return date;
}

export function formatAlert(a: Alert): string {
  return `#${a.id} ${a.threatLevel.toUpperCase().padEnd(8)} ${a.threatScore.toFixed(2)} ${a.eventTimestamp.toISOString()} ${a.actor ?? '-'} [${a.status}]\n    ${a.explanation}`;
}
