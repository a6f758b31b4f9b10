import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Fleet, generateFleet, type LabelledEvent } from '@harombe/agent-sim';
import { AuditLogger } from '../src/index.js';

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'harombe-audit-'));
}

/** A fleet with every attack scenario, smaller than the demo's. */
export const fleet = generateFleet({ seed: 11, agents: 10, historyDays: 21, liveDays: 7 });
export const timeZones = Object.fromEntries(fleet.personas.map((p) => [p.agentId, p.timeZone]));

/** A new database holding these events, logged without detection (history: there are no models yet). */
export async function withHistory(
  history: readonly LabelledEvent[] = fleet.history,
): Promise<{ dir: string; path: string }> {
  const dir = await tempDir();
  const path = join(dir, 'audit.db');
  const logger = await AuditLogger.open({ path });
  for (const { event } of history) logger.log(event);
  await logger.close();
  return { dir, path };
}

/** Of each label's live events, how many raised an alert, and how many there are. */
export function alertedByLabel(
  logger: AuditLogger,
  of: Fleet = fleet,
): Map<string, { alerted: number; events: number }> {
  const alerted = new Set(logger.alerts({ limit: 1_000_000 }).map((a) => a.eventId));
  const byLabel = new Map<string, { alerted: number; events: number }>();
  for (const { label, event } of of.live) {
    const counts = byLabel.get(label) ?? { alerted: 0, events: 0 };
    counts.events++;
    if (alerted.has(event.event_id)) counts.alerted++;
    byLabel.set(label, counts);
  }
  return byLabel;
}
