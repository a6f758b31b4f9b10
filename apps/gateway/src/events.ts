// From an MCP tool call to the SecurityEvent the detector assesses: what is known before the call
// (time, tool, file path, destination host), then the same event completed with its outcome.
import type { SecurityEventInput } from '@harombe/security-ml';
import type { EventConfig } from './config.js';

/** Who made the call and where it came from. */
export interface CallContext {
  readonly agentId: string;
  readonly sessionId?: string;
  readonly eventId: string;
}

/** How the call went, as the gateway saw it. */
export interface CallOutcome {
  readonly durationMs: number;
  readonly success: boolean;
}

const MAX_TEXT = 4096;

function stringArgument(args: Record<string, unknown>, names: readonly string[]): string | undefined {
  for (const name of names) {
    const value = args[name];
    if (typeof value === 'string' && value.length > 0) return value.slice(0, MAX_TEXT);
  }
  return undefined;
}

/** The host of a URL argument, lower-cased, or undefined when it is not a URL with a host. */
export function destinationOf(url: string): string | undefined {
  try {
    const host = new URL(url).hostname.toLowerCase().replace(/^\[|\]$/g, '');
    return host.length > 0 ? host : undefined;
  } catch {
    return undefined;
  }
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** The event for a tool call about to be forwarded. `timestamp` comes from the gateway's clock. */
export function toolCallEvent(
  tool: string,
  args: Record<string, unknown>,
  context: CallContext,
  timestamp: Date,
  config: EventConfig,
): SecurityEventInput {
  const mapping = config.tools[tool];
  const event: SecurityEventInput = {
    timestamp,
    event_type: mapping?.eventType ?? 'tool_call',
    tool_name: tool,
    agent_id: context.agentId,
    event_id: context.eventId,
  };
  if (context.sessionId) event.session_id = context.sessionId;
  const path = stringArgument(args, config.pathArguments);
  if (path !== undefined) {
    // A trailing slash makes a directory its own location ("logs" is read as "logs/").
    event.file_path = mapping?.pathKind === 'directory' && !/[/\\]$/.test(path) ? `${path}/` : path;
  }
  const url = stringArgument(args, config.urlArguments);
  const host = url === undefined ? undefined : destinationOf(url);
  if (host !== undefined) {
    if (IPV4.test(host) || host.includes(':')) event.destination_ip = host;
    else event.destination_domain = host;
  }
  return event;
}

/** The same event with what the call did: its duration and whether it succeeded. */
export function completedEvent(event: SecurityEventInput, outcome: CallOutcome): SecurityEventInput {
  return {
    ...event,
    duration_ms: outcome.durationMs,
    success: outcome.success,
    status: outcome.success ? 'success' : 'failure',
  };
}
