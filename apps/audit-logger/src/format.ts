// Command-line formats: `--since` values, alert and incident lines.
import { InvalidArgumentError } from 'commander';
import type { Alert, IncidentRecord } from './audit-store.js';

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

/** A tail probability, short: what ranks alerts and incidents (`-` when unknown). */
function tail(p: number | null): string {
  return p === null ? 'tail -' : `tail ${p.toExponential(1)}`;
}

/** An alert: level, score, tail, when, who, status, what the event was, and why. */
export function formatAlert(a: Alert): string {
  const { tool, destination, path, sessionId } = a.context;
  const what = [tool, destination ?? path, sessionId && `session ${sessionId}`].filter(Boolean).join(' ');
  return `#${a.id} ${a.threatLevel.toUpperCase().padEnd(8)} ${a.threatScore.toFixed(2)} ${tail(a.tailProbability)} ${a.eventTimestamp.toISOString()} ${a.actor ?? '-'} [${a.status}]${what ? ` ${what}` : ''}\n    ${a.explanation}`;
}

/** An incident: id, level, tail, alerts, span in event time, status, agents, then its reasons. */
export function formatIncident(i: IncidentRecord): string {
  const kind = i.campaign ? 'CAMPAIGN ' : '';
  const status = i.resolution ? `${i.status}: ${i.resolution}` : i.status;
  const agents = i.campaign ? `${i.agentIds.length} agents: ${i.agentIds.join(', ')}` : i.agentIds.join(', ');
  return `${i.id} ${kind}${i.peakLevel.toUpperCase()} ${tail(i.tailProbability)} ${i.alerts} alert${i.alerts === 1 ? '' : 's'} ${i.firstSeen.toISOString()} .. ${i.lastSeen.toISOString()} [${status}] ${agents}\n    ${i.reasons.join('; ')}`;
}
