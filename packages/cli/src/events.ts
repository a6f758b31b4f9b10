// Events from JSON Lines, with their agent: the reader every command (and the gateway's history
// loading) uses.
import { type SecurityEvent, safeParseSecurityEvent } from '@harombe/security-ml';
import { CliError, type Io } from './io.js';
import { readJsonl } from './jsonl.js';

export interface ReadOptions {
  readonly strict: boolean;
}

/** Reads events with an agent id (`agent_id`, `agentId` or `actor`) from JSONL. */
export async function readEvents(
  path: string,
  options: ReadOptions,
  io: Io,
): Promise<Array<{ agentId: string; event: SecurityEvent; label: string | undefined; line: number }>> {
  const out: Array<{ agentId: string; event: SecurityEvent; label: string | undefined; line: number }> = [];
  let skipped = 0;
  const skip = (line: number, reason: string) => {
    if (options.strict) throw new CliError(`${path}:${line}: ${reason}`);
    skipped++;
    if (skipped <= 5) io.err(`harombe-ml: skipping ${path}:${line}: ${reason}`);
  };
  for await (const { line, value } of readJsonl(path, { strict: options.strict, onSkip: skip })) {
    const parsed = safeParseSecurityEvent(value);
    if (!parsed.success) {
      skip(line, parsed.error.message);
      continue;
    }
    const agentId = parsed.data.agentId;
    if (!agentId) {
      skip(line, 'no agent_id (or actor)');
      continue;
    }
    const label = typeof parsed.data.metadata.label === 'string' ? parsed.data.metadata.label : undefined;
    out.push({ agentId, event: parsed.data, label, line });
  }
  if (skipped > 0) io.err(`harombe-ml: skipped ${skipped} bad line${skipped === 1 ? '' : 's'} in ${path}`);
  return out;
}

/** Events grouped by agent, in file order. */
export function groupByAgent<T>(events: readonly { agentId: string; event: T }[]): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const { agentId, event } of events) {
    const list = groups.get(agentId) ?? [];
    list.push(event);
    groups.set(agentId, list);
  }
  return groups;
}
