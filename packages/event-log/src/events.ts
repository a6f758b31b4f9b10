// Events from JSON Lines, with their agent: the reader harombe-ml's commands and the apps use.
import { type SecurityEvent, safeParseSecurityEvent } from '@harombe/models';
import { EventLogError } from './errors.js';
import { readJsonl } from './jsonl.js';

export interface ReadEventsOptions {
  /** Fail on the first bad line (not JSON, not a valid event, no agent) instead of skipping it. */
  readonly strict: boolean;
  /** Called for each skipped line, with the reason. */
  readonly onSkip?: (line: number, reason: string) => void;
}

/** One event of a log, with its agent, its `label` (from metadata, when a string) and its line. */
export interface LoggedEvent {
  readonly agentId: string;
  readonly event: SecurityEvent;
  readonly label: string | undefined;
  readonly line: number;
}

/**
 * Reads events with an agent id (`agent_id`, `agentId` or `actor`) from JSONL (`-`: standard input).
 * @throws {EventLogError} the file cannot be read, or, with `strict`, a bad line.
 */
export async function readEvents(path: string, options: ReadEventsOptions): Promise<LoggedEvent[]> {
  const out: LoggedEvent[] = [];
  for await (const event of streamEvents(path, options)) out.push(event);
  return out;
}

/**
 * The events of {@link readEvents}, one at a time as they are read (nothing is held): for streams
 * and files of any size.
 * @throws {EventLogError} the file cannot be read, or, with `strict`, a bad line.
 */
export async function* streamEvents(path: string, options: ReadEventsOptions): AsyncGenerator<LoggedEvent> {
  const skip = (line: number, reason: string) => {
    if (options.strict)
      throw new EventLogError('EVENT_LOG_BAD_LINE', `${path}:${line}: ${reason}`, path, line);
    options.onSkip?.(line, reason);
  };
  for await (const { line, value } of readJsonl(path, { strict: options.strict, onSkip: skip })) {
    const event = loggedEvent(line, value);
    if (typeof event === 'string') skip(line, event);
    else yield event;
  }
}

/** The logged event a JSON value of line `line` holds, or why it holds none. */
export function loggedEvent(line: number, value: unknown): LoggedEvent | string {
  const parsed = safeParseSecurityEvent(value);
  if (!parsed.success) return parsed.error.message;
  const agentId = parsed.data.agentId;
  if (!agentId) return 'no agent_id (or actor)';
  const label = typeof parsed.data.metadata.label === 'string' ? parsed.data.metadata.label : undefined;
  return { agentId, event: parsed.data, label, line };
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
