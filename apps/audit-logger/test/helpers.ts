import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateFleet } from '@harombe/agent-sim';

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'harombe-audit-'));
}

/** A fleet with every attack scenario, smaller than the demo's. */
export const fleet = generateFleet({ seed: 11, agents: 10, historyDays: 21, liveDays: 7 });
export const timeZones = Object.fromEntries(fleet.personas.map((p) => [p.agentId, p.timeZone]));
